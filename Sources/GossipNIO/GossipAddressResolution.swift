import Gossip
import NIOCore
import NIOPosix

/// Where peers reach this node, and where the seeds are: name resolution and the interface
/// scan. Both block (getaddrinfo, getifaddrs): call them off the event loops and the
/// cooperative pool (`NIOThreadPool`).
public enum GossipAddressResolution {
    /// A seed or advertise address: an IP literal, or a host name resolved now (seeds are
    /// resolved on every join attempt, so a name that appears later still works).
    public static func resolve(host: String, port: Int) -> GossipAddress? {
        if let literal = GossipAddress(ipLiteral: host, port: port) { return literal }
        return (try? SocketAddress.makeAddressResolvingHost(host, port: port)).flatMap { GossipAddress($0) }
    }

    /// The address peers should use: the configured one (a name is resolved), else the bound
    /// one; for a wildcard bind (0.0.0.0), the first private IPv4 interface address, as memberlist
    /// does. Throws if none fits.
    public static func advertiseAddress(configured: (host: String, port: Int)?, bound: SocketAddress) throws -> GossipAddress {
        if let configured {
            guard let a = resolve(host: configured.host, port: configured.port) else {
                throw GossipShellError("cannot resolve the gossip advertise address \(configured.host):\(configured.port)")
            }
            return a
        }
        if let a = GossipAddress(bound), a.ip.contains(where: { $0 != 0 }) { return a }
        guard let ip = interfaceAddress() else {
            throw GossipShellError("gossip is bound to a wildcard address and no interface address was found: set --gossip-advertise")
        }
        return GossipAddress(ip: ip, port: UInt16(bound.port ?? 0))
    }

    /// The first private (RFC 1918) non-loopback IPv4 interface address, else the first
    /// non-loopback IPv4 one.
    static func interfaceAddress() -> [UInt8]? {
        let candidates = ((try? System.enumerateDevices()) ?? []).compactMap { device -> [UInt8]? in
            guard let address = device.address, let g = GossipAddress(address), g.ip.count == 4, g.ip[0] != 127 else { return nil }
            return g.ip
        }
        return candidates.first(where: isPrivate) ?? candidates.first
    }

    static func isPrivate(_ ip: [UInt8]) -> Bool {
        ip[0] == 10 || (ip[0] == 172 && (16...31).contains(ip[1])) || (ip[0] == 192 && ip[1] == 168)
    }
}

/// A gossip shell failure with its reason (an unresolvable address, Meta too large).
public struct GossipShellError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
