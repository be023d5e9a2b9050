import Foundation
import Testing
@testable import SessionCore

@Suite struct SessionViewTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_795_305_600_123), "2026-11-22T00:00:00.123Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
        (Int64(-86_400_000), "1969-12-31T00:00:00.000Z"),
        (Int64(1_709_164_800_000), "2024-02-29T00:00:00.000Z"),
        (Int64(1_709_251_199_999), "2024-02-29T23:59:59.999Z"),
        (Int64(253_402_300_799_999), "9999-12-31T23:59:59.999Z"),
    ])
    func timestampsAreRFC3339(_ ms: Int64, _ expected: String) {
        #expect(Timestamp.iso8601(milliseconds: ms) == expected)
    }

    @Test func jsonCarriesEveryFieldAndTheDataVerbatim() throws {
        let id = SessionID.random()
        let data = Array(#"{"cart":{"items":[1,2]},"user":"u-1"}"#.utf8)
        let record = SessionRecord(version: 7, createdAt: 1_795_305_600_123, lastAccessAt: 1_795_305_660_000,
                                   idleTimeout: 900_000, absoluteExpiresAt: 1_795_334_400_123, writeID: 1, data: data)
        let json = SessionView(id: id, record: record).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(object["id"] as? String == id.rawValue)
        #expect((object["version"] as? NSNumber)?.intValue == 7)
        #expect(object["createdAt"] as? String == "2026-11-22T00:00:00.123Z")
        #expect(object["lastAccessAt"] as? String == "2026-11-22T00:01:00.000Z")
        #expect(object["idleExpiresAt"] as? String == "2026-11-22T00:16:00.000Z")
        #expect(object["absoluteExpiresAt"] as? String == "2026-11-22T08:00:00.123Z")
        #expect(String(decoding: json, as: UTF8.self).contains(#""data":{"cart":{"items":[1,2]},"user":"u-1"},"#))
    }
}
