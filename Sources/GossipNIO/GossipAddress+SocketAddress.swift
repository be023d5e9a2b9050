import Gossip
import NIOCore

/// Conversions between the wire's address (`GossipAddress`: 4 or 16 address bytes and a port)
/// and NIO's `SocketAddress`.
extension GossipAddress {
    /// The IPv4 or IPv6 address of a socket address; nil for a Unix-domain one.
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            let ip = v4.address.sin_addr.s_addr.bigEndian
            self.init(ip: [UInt8(ip >> 24), UInt8(ip >> 16 & 0xff), UInt8(ip >> 8 & 0xff), UInt8(ip & 0xff)],
                      port: UInt16(address.port ?? 0))
        case .v6(let v6):
            self.init(ip: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }, port: UInt16(address.port ?? 0))
        default:
            return nil
        }
    }

    /// An IP literal (`10.0.0.1`, `::1`) and a port; nil for anything else (no name lookup).
    public init?(ipLiteral host: String, port: Int) {
        guard let a = try? SocketAddress(ipAddress: host, port: port) else { return nil }
        self.init(a)
    }

    /// The socket address to send to; nil if the bytes are not an IPv4 or IPv6 address.
    public var socketAddress: SocketAddress? {
        if ip.count == 4 { return try? SocketAddress(ipAddress: ip.map(String.init).joined(separator: "."), port: Int(port)) }
        let text = description
        guard ip.count == 16, let close = text.lastIndex(of: "]") else { return nil }
        return try? SocketAddress(ipAddress: String(text[text.index(after: text.startIndex)..<close]), port: Int(port))
    }
}
