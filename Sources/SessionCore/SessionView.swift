/// A live session as the API returns it.
public struct SessionView: Equatable, Sendable {
    public var id: SessionID
    public var record: SessionRecord

    public init(id: SessionID, record: SessionRecord) {
        self.id = id
        self.record = record
    }

    /// `{"id","version","data","createdAt","lastAccessAt","idleExpiresAt","absoluteExpiresAt"}`,
    /// built by concatenation: `data` is already validated JSON and is copied, not re-parsed.
    public func json() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(record.data.count + 256)
        out.append(contentsOf: #"{"id":""#.utf8)
        out.append(contentsOf: id.rawValue.utf8)
        out.append(contentsOf: #"","version":"#.utf8)
        out.append(contentsOf: String(record.version).utf8)
        out.append(contentsOf: #","data":"#.utf8)
        out.append(contentsOf: record.data)
        func timestamp(_ name: String, _ ms: Int64) {
            out.append(contentsOf: name.utf8)
            Timestamp.append(milliseconds: ms, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        timestamp(#","createdAt":""#, record.createdAt)
        timestamp(#","lastAccessAt":""#, record.lastAccessAt)
        timestamp(#","idleExpiresAt":""#, min(record.idleExpiresAt, record.absoluteExpiresAt))
        timestamp(#","absoluteExpiresAt":""#, record.absoluteExpiresAt)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// RFC 3339 timestamps in UTC with milliseconds, without Foundation's formatters.
public enum Timestamp {
    public static func iso8601(milliseconds: Int64) -> String {
        var bytes = [UInt8]()
        append(milliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DDThh:mm:ss.sssZ` (24 bytes for years 0–9999).
    public static func append(milliseconds: Int64, to out: inout [UInt8]) {
        let ms = Int(milliseconds % 1000 + 1000) % 1000
        let t = civil(seconds: (milliseconds - Int64(ms)) / 1000)
        func digits(_ v: Int, _ width: Int) { DecimalText.append(Int64(v), minDigits: width, to: &out) }
        digits(t.year, 4); out.append(UInt8(ascii: "-"))
        digits(t.month, 2); out.append(UInt8(ascii: "-"))
        digits(t.day, 2); out.append(UInt8(ascii: "T"))
        digits(t.hour, 2); out.append(UInt8(ascii: ":"))
        digits(t.minute, 2); out.append(UInt8(ascii: ":"))
        digits(t.second, 2); out.append(UInt8(ascii: "."))
        digits(ms, 3); out.append(UInt8(ascii: "Z"))
    }

    /// The UTC calendar date and time of `seconds` since the Unix epoch; `weekday` 0 is Sunday.
    public static func civil(seconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int) {
        var days = Int(seconds / 86_400)
        var rem = Int(seconds % 86_400)
        if rem < 0 { rem += 86_400; days -= 1 }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
        return (y, m, d, rem / 3600, rem / 60 % 60, rem % 60, weekday)
    }
}
