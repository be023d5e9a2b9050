/// Which protocol a connection speaks. memcached decides on the first byte a client sends:
/// the binary request magic 0x80 means binary, anything else text.
public enum MemcacheWireProtocol: Sendable, Equatable {
    case text, binary

    public static func detect(firstByte: UInt8) -> MemcacheWireProtocol {
        firstByte == BinaryHeader.requestMagic ? .binary : .text
    }
}
