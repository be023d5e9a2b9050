import Testing
@testable import SessionCore

@Suite struct SessionIDTests {
    @Test func randomIdsAreWellFormedAndDistinct() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = SessionID.random()
            #expect(id.rawValue.utf8.count == 43)
            #expect(SessionID(id.rawValue) == id)
            seen.insert(id.rawValue)
        }
        #expect(seen.count == 10_000)
    }

    @Test func idsCarry256BitsSpreadOverEveryPosition() {
        // Each of the 42 full base64 positions should take many distinct values across ids.
        let ids = (0..<2000).map { _ in Array(SessionID.random().rawValue.utf8) }
        for position in 0..<42 {
            #expect(Set(ids.map { $0[position] }).count > 50, "position \(position) is not random")
        }
    }

    @Test(arguments: ["", "abc", String(repeating: "A", count: 42), String(repeating: "A", count: 44),
                      String(repeating: "A", count: 42) + "B",  // low bits of the last char must be 0
                      String(repeating: "A", count: 42) + "=", String(repeating: "/", count: 43), "../../../etc/passwd"])
    func rejectsIllFormedIds(_ text: String) {
        #expect(SessionID(text) == nil)
    }

    @Test func storageKeyIsAHashNotTheId() {
        let id = SessionID.random()
        #expect(!id.storageKey.contains(id.rawValue))
        #expect(id.storageKey.hasPrefix("sm1:"))
        #expect(id.storageKey == SessionID(id.rawValue)!.storageKey)
        #expect(id.storageKey != SessionID.random().storageKey)
    }

    @Test func base64URLMatchesRFC4648Vectors() {
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
    }
}
