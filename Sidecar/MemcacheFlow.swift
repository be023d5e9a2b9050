import LocalCluster

/// One payment flow through the memcached-protocol front door, as a stock session handler would
/// run it (php-memcached's lock `add`, `set`, `get`, `gets`/`cas`, `delete`), each step on the next
/// sidecar: the door existing apps use, next to the HTTP API. Returns false on the first mismatch.
struct MemcacheFlow {
    let sockets: [String]

    func run() -> Bool {
        let sid = "memc.sess.key." + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        var step = 0
        func on(_ command: String, until terminator: String = "\r\n") -> String {
            let socket = sockets[step % sockets.count]
            step += 1
            let reply = unixExchange(socket, Array(command.utf8), until: terminator).map { String(decoding: $0, as: UTF8.self) } ?? "(no reply)"
            let shown = reply.replacingOccurrences(of: "\r\n", with: " ⏎ ")
            print("  memcache [host\((step - 1) % sockets.count + 1)] \(command.split(separator: "\r\n").first ?? "") → \(shown)")
            return reply
        }
        let cart = #"{"user":"alice","cart":["sku-1"],"paid":false}"#
        let paid = #"{"user":"alice","cart":["sku-1"],"paid":true}"#
        guard on("add \(sid).lock 0 30 1\r\n1\r\n") == "STORED\r\n",
              on("add \(sid).lock 0 30 1\r\n1\r\n") == "NOT_STORED\r\n",  // the lock holds across hosts
              on("set \(sid) 0 900 \(cart.utf8.count)\r\n\(cart)\r\n") == "STORED\r\n" else { return false }
        let gets = on("gets \(sid)\r\n", until: "END\r\n")
        guard gets.contains(cart), let unique = gets.split(separator: "\r\n").first?.split(separator: " ").last,
              on("cas \(sid) 0 900 \(paid.utf8.count) \(unique)\r\n\(paid)\r\n") == "STORED\r\n",
              on("cas \(sid) 0 900 \(paid.utf8.count) \(unique)\r\n\(paid)\r\n") == "EXISTS\r\n",  // no double payment
              on("get \(sid)\r\n", until: "END\r\n").contains(paid),
              on("delete \(sid).lock\r\n") == "DELETED\r\n",
              on("delete \(sid)\r\n") == "DELETED\r\n" else { return false }
        for _ in sockets where on("get \(sid)\r\n", until: "END\r\n") != "END\r\n" { return false }  // logged out everywhere
        return true
    }
}
