#if canImport(Glibc)
import Glibc
#endif
import SessionCore

/// The `Date` response header: IMF-fixdate (RFC 9110 §5.6.7), e.g. `Thu, 03 Dec 2026 08:41:00 GMT`,
/// made again only when the second changes.
struct HTTPDate {
    private var second = Int64.min
    private var text = ""

    mutating func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        if Int64(ts.tv_sec) != second {
            second = Int64(ts.tv_sec)
            text = Self.format(seconds: second)
        }
        return text
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(seconds: Int64) -> String {
        let t = Timestamp.civil(seconds: seconds)
        var out = [UInt8]()
        out.reserveCapacity(29)
        func digits(_ v: Int, _ width: Int) { DecimalText.append(Int64(v), minDigits: width, to: &out) }
        out.append(contentsOf: days[t.weekday].utf8); out.append(contentsOf: ", ".utf8)
        digits(t.day, 2); out.append(UInt8(ascii: " "))
        out.append(contentsOf: months[t.month - 1].utf8); out.append(UInt8(ascii: " "))
        digits(t.year, 4); out.append(UInt8(ascii: " "))
        digits(t.hour, 2); out.append(UInt8(ascii: ":"))
        digits(t.minute, 2); out.append(UInt8(ascii: ":"))
        digits(t.second, 2); out.append(contentsOf: " GMT".utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
