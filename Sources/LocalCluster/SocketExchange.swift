#if canImport(Glibc)
import Glibc
#endif

/// Opens a TCP connection to 127.0.0.1:port (with send/receive timeouts), or returns nil.
public func connectLoopback(_ port: Int, timeoutSeconds: Int = 2) -> Int32? {
    guard let fd = streamSocket(AF_INET, timeoutSeconds: timeoutSeconds) else { return nil }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); return nil }
    return fd
}

/// Opens a connection to the Unix socket at `path` (with send/receive timeouts), or returns nil.
public func connectUnix(_ path: String, timeoutSeconds: Int = 2) -> Int32? {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
        for (i, b) in bytes.enumerated() { raw[i] = b }
    }
    guard let fd = streamSocket(AF_UNIX, timeoutSeconds: timeoutSeconds) else { return nil }
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if rc != 0 { close(fd); return nil }
    return fd
}

/// A stream socket whose reads and writes give up after `timeoutSeconds`.
private func streamSocket(_ family: Int32, timeoutSeconds: Int) -> Int32? {
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// Sends `command` to 127.0.0.1:port on a fresh connection and reads until the reply ends with
/// `terminator` (memcached's text protocol: readiness checks, `stats`, raw gets and sets).
/// Nil if the connection or a read fails first.
public func loopbackExchange(_ port: Int, _ command: [UInt8], until terminator: String, timeoutSeconds: Int = 2) -> [UInt8]? {
    loopbackExchange(port, command, timeoutSeconds: timeoutSeconds, until: endsWith(terminator))
}

/// `loopbackExchange` ending when `complete` says the reply so far is whole (binary answers).
public func loopbackExchange(_ port: Int, _ command: [UInt8], timeoutSeconds: Int = 2, until complete: ([UInt8]) -> Bool) -> [UInt8]? {
    guard let fd = connectLoopback(port, timeoutSeconds: timeoutSeconds) else { return nil }
    defer { close(fd) }
    return exchange(fd, command, until: complete)
}

/// `loopbackExchange` on the Unix socket at `path` (the sidecar's memcache front door).
public func unixExchange(_ path: String, _ command: [UInt8], until terminator: String, timeoutSeconds: Int = 2) -> [UInt8]? {
    unixExchange(path, command, timeoutSeconds: timeoutSeconds, until: endsWith(terminator))
}

/// `unixExchange` ending when `complete` says the reply so far is whole (binary answers).
public func unixExchange(_ path: String, _ command: [UInt8], timeoutSeconds: Int = 2, until complete: ([UInt8]) -> Bool) -> [UInt8]? {
    guard let fd = connectUnix(path, timeoutSeconds: timeoutSeconds) else { return nil }
    defer { close(fd) }
    return exchange(fd, command, until: complete)
}

/// Whether a reply so far ends with `terminator`.
private func endsWith(_ terminator: String) -> ([UInt8]) -> Bool {
    let end = Array(terminator.utf8)
    return { $0.count >= end.count && $0.suffix(end.count).elementsEqual(end) }
}

/// Sends `command` on `fd` and reads until `complete` holds for the reply; nil if a read fails first.
private func exchange(_ fd: Int32, _ command: [UInt8], until complete: ([UInt8]) -> Bool) -> [UInt8]? {
    let sent = command.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard sent == command.count else { return nil }
    var reply = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !complete(reply) {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return nil }
        reply.append(contentsOf: buffer[0..<n])
    }
    return reply
}
