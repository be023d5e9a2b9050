/// Host CPU utilisation from `/proc/stat`: busy share of all jiffies between two readings.
public struct CPUUsage: Sendable, Equatable {
    public var total: UInt64
    public var idle: UInt64

    /// Parses the aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal …).
    public init?(procStat text: String) {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 4 else { return nil }
        // guest and guest_nice (fields 9, 10) are already counted in user and nice.
        total = fields.prefix(8).reduce(0, +)
        idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
    }

    public init(total: UInt64, idle: UInt64) {
        self.total = total
        self.idle = idle
    }

    /// Busy fraction in 0…1 since `earlier`.
    public func utilisation(since earlier: CPUUsage) -> Double {
        guard total > earlier.total else { return 0 }
        let dt = Double(total - earlier.total)
        let di = Double(idle >= earlier.idle ? idle - earlier.idle : 0)
        return max(0, min(1, (dt - di) / dt))
    }
}
