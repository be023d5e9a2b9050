import Replication

/// How a copy is kept on a Redis node: one hash per record key with
///   `v` = the sealed record (the same bytes as over memcached: nothing readable),
///   `o` = the copy's `RecordOrder` in clear, 33 hex digits (version, tombstone, touchedAt),
///         so the node can compare copies without opening them,
///   `c` = a CAS id: greater than the previous one and than the node's clock in µs, so a key
///         deleted and created again never gets a CAS id it had before.
/// Expiry: PEXPIREAT on every copy, PERSIST for `Record.never`.
enum RedisCopyLayout {
    static let valueField: [UInt8] = Array("v".utf8)
    static let casField: [UInt8] = Array("c".utf8)

    /// Fixed-width hex, so comparing the text (8 digits at a time, in Lua) compares the orders.
    static func orderText(_ order: RecordOrder) -> String {
        func hex(_ v: UInt64) -> String {
            let digits = String(v, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        // touchedAt is signed: flipping the sign bit keeps the order of negative times too.
        return hex(order.version) + (order.isTombstone ? "1" : "0") + hex(UInt64(bitPattern: order.touchedAt) ^ (1 << 63))
    }

    /// The one script every conditional write runs (EVALSHA; EVAL when the node lost its script cache).
    /// KEYS[1] = key. ARGV = mode ("add" | "cas" | "newer"), value, order text, PEXPIREAT ms
    /// ("0" = never), expected CAS id (cas), CAS id of the copy the caller read ("" = none; newer).
    /// Returns 1 when written, 0 when the condition failed.
    ///
    /// "newer" writes where there is no copy, where the copy's order is lower, or where the copy
    /// still has the CAS id the caller read: the core asks to replace a copy only after reading
    /// it and finding it older or unreadable (a tampered or garbled copy), and a CAS id that did
    /// not change means nothing was written there since.
    static let writeScript = """
    local k = KEYS[1]
    local mode = ARGV[1]
    local cur = redis.call('HMGET', k, 'o', 'c')
    local exists = redis.call('EXISTS', k) == 1
    local function older(a, b)
      if not a or #a ~= #b then return true end
      for i = 1, #b, 8 do
        local x = tonumber(string.sub(a, i, i + 7), 16)
        local y = tonumber(string.sub(b, i, i + 7), 16)
        if x == nil then return true end
        if x ~= y then return x < y end
      end
      return false
    end
    if mode == 'add' then
      if exists then return 0 end
    elseif mode == 'cas' then
      if not exists or cur[2] ~= ARGV[5] then return 0 end
    elseif mode == 'newer' then
      if exists and not (ARGV[6] ~= '' and cur[2] == ARGV[6]) and not older(cur[1], ARGV[3]) then return 0 end
    else
      return redis.error_reply('unknown mode')
    end
    local t = redis.call('TIME')
    local c = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local old = tonumber(cur[2])
    if old and old >= c then c = old + 1 end
    redis.call('HSET', k, 'v', ARGV[2], 'o', ARGV[3], 'c', string.format('%.0f', c))
    if ARGV[4] == '0' then redis.call('PERSIST', k) else redis.call('PEXPIREAT', k, ARGV[4]) end
    return 1
    """
}
