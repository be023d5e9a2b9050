/// Nearest-rank percentiles over a sorted sample.
enum Percentile {
    static func of(sorted xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let rank = Int((q * Double(xs.count)).rounded(.up))
        return xs[min(max(rank - 1, 0), xs.count - 1)]
    }
}

/// Small sample statistics for the benchmark table.
enum Stats {
    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}
