import Crypto
import Replication

/// Store keys. A record's store key is its namespace's prefix and the SHA-256 of the key the app
/// knows it by (a session id, a memcache key, a token id), base64url: the app's key never appears
/// in a store, and two kinds never share a key.
public enum RecordKey {
    public static func derive(_ namespace: RecordNamespace, _ appKey: some Sequence<UInt8>) -> String {
        namespace.keyPrefix + Base64URL.encode(Array(SHA256.hash(data: Array(appKey))))
    }
}
