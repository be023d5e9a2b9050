/// Number formatting without Foundation, for the simulators' reports and tables.
public enum Format {
    /// `x` with exactly `digits` decimals (half away from zero).
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let negative = x < 0
        let r = (abs(x) * scale).rounded()
        guard r < 9.0e18 else { return String(x) }
        let n = UInt64(r)
        let intPart = n / UInt64(scale)
        let frac = n % UInt64(scale)
        var s = String(intPart)
        if digits > 0 {
            var f = String(frac)
            while f.count < digits { f = "0" + f }
            s += "." + f
        }
        return (negative && r != 0 ? "-" : "") + s
    }

    /// Three significant digits for table cells (e.g. 0.612, 8.61, 19.0, 123).
    public static func sig3(_ x: Double) -> String {
        let a = abs(x)
        if !x.isFinite { return fixed(x, 0) }
        if a >= 100 { return fixed(x, 0) }
        if a >= 10 { return fixed(x, 1) }
        if a >= 1 { return fixed(x, 2) }
        return fixed(x, 3)
    }

    /// `x` rounded to `digits` decimals (half away from zero), printed in Swift's shortest form
    /// (0.2 rather than 0.200).
    public static func rounded(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return "\((x * scale).rounded() / scale)"
    }

    /// A short form without trailing zeros (for labels).
    public static func trimmed(_ x: Double) -> String {
        var s = fixed(x, 4)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    public static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.count
        guard n < width else { return s }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }
}
