/// Turns a record into the bytes stored on a node and back. The production implementation seals
/// with AES-GCM and binds the bytes to their store key (`SessionCore.RecordSealer`), so a copy moved
/// under another key, or altered, fails to open.
public protocol RecordSealing: Sendable {
    func seal(_ record: Record, storeKey: String) -> [UInt8]
    /// Throws when the bytes do not open under `storeKey` (tampered, truncated, unknown key id).
    func open(_ bytes: [UInt8], storeKey: String) throws -> Record
}
