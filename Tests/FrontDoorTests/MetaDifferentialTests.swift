import Foundation
import Testing
import TestSupport

/// The meta commands a meta-only client sends (Dalli 5, meta-memcache), line for line against a
/// real memcached and against the sidecar's front door over the replicated store: the answers
/// must be the same.
///
/// What is normalized, and why:
/// - CAS uniques (`c<n>`): memcached counts globally, the store uses each record's version. A step
///   may use `{cas}`, the last `c<n>` that server answered, so a compare-CAS is exercised on each.
/// - TTLs above zero (`t<n>`): a second may pass between steps; `t-1` is kept. The script asks `t`
///   only of items with a TTL: the sidecar caps a TTL-less item at its absolute timeout and says so.
/// - `h` and `l` (hit before, last access): memcached answers them; the replicated store keeps no
///   access history and leaves them out, so they are dropped from memcached's answer.
@Suite(.serialized) struct MetaDifferentialTests {
    static let script: [String] = [
        // ma: a miss, vivify, deltas, modes, wrap-around, decrement floor, quiet rules.
        "ma c1", "ma c1 q", "ma c1 N100 J5 v t c", "ma c1 v", "ma c1 D10 v", "ma c1 MD D100 v", "ma c1 M- D1 v",
        "ma c1 M+ D18446744073709551615 v", "ma c1 MI v", "ma c1 Mi v", "ma c1 q", "ma c1 v k O9",
        // compare-CAS: the current one applies, the same one again is stale.
        "ma c1 c", "ma c1 C{cas} v", "ma c1 C{cas} v",
        // T: a new TTL on success; a TTL in the past answers the value and the counter is gone.
        "ma c1 T200 t v", "mg c1 t v", "ma c1 T-1 v", "mg c1 v",
        // N with q: the creation is answered, an update is not.
        "ma c2 N100 J7 q v", "ma c2 N100 J7 q v", "mg c2 v t f", "incr c2 1",
        // b: a base64 key, created and answered base64. (memcached 1.6.18's mg answers `k` with the
        // decoded key, unlike its ma; the sidecar answers base64 with `b` for both, so mg asks no `k`.)
        "ma Yzg= b k v N100 J3", "mg Yzg= b v",
        // A non-number, quiet or not.
        "set s 0 100 3\r\nabc", "ma s", "ma s q v",
        // Errors, as memcached 1.6 words them.
        "ma c2 Mx", "ma c2 D", "ma c2 Dx", "ma c2 N0 N0", "ma c2 O1 O2", "ma", "mg c2 v v", "md c2 q q", "md c2 z",
        "ms c3 1 T1 T1\r\nx", "mg c2 x",
        // mg flags meta-memcache sends by default, on a hit and a miss.
        "mg c2 v t f l h", "mg nothing v t f l h", "mg nothing v t f l h q",
        // ms and md around a counter.
        "ms c3 2 T100 c\r\n10", "ma c3 MD D3 v", "mg c3 v s", "md c3 C{cas}", "md c3 q", "md c3 q", "ma c3",
    ]

    /// One server's answers to the script, normalized.
    static func run(_ exchange: ([UInt8]) -> [UInt8]?) -> [String] {
        var cas = "0"
        var answers: [String] = []
        for step in script {
            let line = step.replacingOccurrences(of: "{cas}", with: cas)
            guard let reply = exchange(Array((line + "\r\nmn\r\n").utf8)) else { answers.append("<no answer>"); continue }
            let text = String(decoding: reply.dropLast("MN\r\n".utf8.count), as: UTF8.self)
            let lines = text.components(separatedBy: "\r\n").map { line in
                var tokens: [String] = []
                for token in line.split(separator: " ", omittingEmptySubsequences: false) {
                    if token.hasPrefix("c"), let n = Int(token.dropFirst()) { cas = String(n); tokens.append("c#"); continue }
                    if token.hasPrefix("t"), let n = Int(token.dropFirst()), n > 0 { tokens.append("t+"); continue }
                    if token.first == "h" || token.first == "l", Int(token.dropFirst()) != nil { continue }
                    tokens.append(String(token))
                }
                return tokens.joined(separator: " ")
            }
            answers.append(lines.joined(separator: "\r\n"))
        }
        return answers
    }

    @Test func theFrontDoorAnswersTheMetaScriptAsMemcachedDoes() throws {
        let cluster = try FrontDoorCluster()
        let reference = try MemcachedServer(dir: cluster.dir)
        defer { reference.kill() }
        let expected = Self.run { loopbackExchange(reference.port, $0, until: "MN\r\n") }
        let socket = cluster.sockets[0]
        let actual = Self.run { unixExchange(socket, $0, until: "MN\r\n") }
        // The script means something only if memcached itself answered every step.
        #expect(!expected.contains("<no answer>"), "\(expected)")
        for (i, step) in Self.script.enumerated() {
            #expect(actual[i] == expected[i], "step \(i) `\(step)`: memcached \(expected[i].debugDescription), sidecar \(actual[i].debugDescription)")
        }
        // Spot checks that the comparison compares something.
        #expect(expected[2] == "VA 1 t+ c#\r\n5\r\n" && expected[1] == "NF\r\n", "\(expected)")
    }
}
