import Testing
@testable import MemcacheProtocol

@Suite struct ExpiryTests {
    let now: Int64 = 1_764_676_800_000   // 2025-12-02T12:00:00Z in ms

    @Test func memcachedExpiryRule() {
        #expect(MemcacheExpiry.resolve(exptime: 0, nowMilliseconds: now) == .never)
        #expect(MemcacheExpiry.resolve(exptime: -1, nowMilliseconds: now) == .expired)
        #expect(MemcacheExpiry.resolve(exptime: .min, nowMilliseconds: now) == .expired)
        #expect(MemcacheExpiry.resolve(exptime: 1, nowMilliseconds: now) == .at(millisecondsSinceEpoch: now + 1000))
        // 30 days exactly is still relative; one second more is a Unix time (long past, so expired).
        #expect(MemcacheExpiry.resolve(exptime: 2_592_000, nowMilliseconds: now)
            == .at(millisecondsSinceEpoch: now + 2_592_000_000))
        #expect(MemcacheExpiry.resolve(exptime: 2_592_001, nowMilliseconds: now) == .expired)
        // Absolute: in the future, exactly now, in the past.
        #expect(MemcacheExpiry.resolve(exptime: now / 1000 + 60, nowMilliseconds: now)
            == .at(millisecondsSinceEpoch: now + 60_000))
        #expect(MemcacheExpiry.resolve(exptime: now / 1000, nowMilliseconds: now) == .expired)
        #expect(MemcacheExpiry.resolve(exptime: now / 1000 - 1, nowMilliseconds: now) == .expired)
        // No overflow traps.
        #expect(MemcacheExpiry.resolve(exptime: .max, nowMilliseconds: now) == .at(millisecondsSinceEpoch: .max))
        #expect(MemcacheExpiry.resolve(exptime: 10, nowMilliseconds: .max - 5) == .at(millisecondsSinceEpoch: .max))
    }
}

@Suite struct ArithmeticTests {
    @Test func incrementWrapsAndDecrementFloors() {
        #expect(MemcacheArithmetic.apply(.increment, delta: 1, to: 41) == 42)
        #expect(MemcacheArithmetic.apply(.increment, delta: 1, to: .max) == 0)
        #expect(MemcacheArithmetic.apply(.increment, delta: .max, to: 2) == 1)
        #expect(MemcacheArithmetic.apply(.decrement, delta: 5, to: 3) == 0)
        #expect(MemcacheArithmetic.apply(.decrement, delta: 3, to: 3) == 0)
        #expect(MemcacheArithmetic.apply(.decrement, delta: 1, to: .max) == UInt64.max - 1)
    }

    @Test func storedValueMustBeDecimalDigitsOfAUInt64() {
        #expect(MemcacheArithmetic.apply(.increment, delta: 2, toStored: b("10")) == .success(12))
        #expect(MemcacheArithmetic.apply(.increment, delta: 1, toStored: b("18446744073709551615")) == .success(0))
        // memcached pads a shortened decremented value with spaces.
        #expect(MemcacheArithmetic.apply(.decrement, delta: 1, toStored: b("9  ")) == .success(8))
        #expect(MemcacheArithmetic.apply(.increment, delta: 1, toStored: b("007")) == .success(8))
        for bad in ["", " ", "abc", "-1", "+1", "1.5", "18446744073709551616", " 1", "1a", "0x10"] {
            #expect(MemcacheArithmetic.apply(.increment, delta: 1, toStored: b(bad)) == .failure(.nonNumericValue), "\(bad)")
        }
        #expect(MemcacheArithmetic.apply(.decrement, delta: 1, toStored: [0xff]) == .failure(.nonNumericValue))
        #expect(MemcacheArithmetic.Failure.nonNumericValue.textResponse.bytes
            == b("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"))
        #expect(MemcacheArithmetic.Failure.nonNumericValue.binaryStatus.rawValue == 0x0006)
    }

    @Test func storedBytesAreDecimal() {
        #expect(MemcacheArithmetic.storedBytes(0) == b("0"))
        #expect(MemcacheArithmetic.storedBytes(1_000_000) == b("1000000"))
        #expect(MemcacheArithmetic.storedBytes(.max) == b("18446744073709551615"))
        var rng = SplitMix64(seed: 3)
        for _ in 0..<1000 {
            let v = UInt64.random(in: 0 ... .max, using: &rng) >> UInt64.random(in: 0..<64, using: &rng)
            #expect(MemcacheArithmetic.storedBytes(v) == b(String(v)))
            #expect(MemcacheArithmetic.counterValue(MemcacheArithmetic.storedBytes(v)) == v)
        }
    }
}

@Suite struct ASCIINumberTests {
    @Test func parsing() {
        func u(_ s: String) -> UInt64? { b(s).withUnsafeBufferPointer { ASCII.parseUInt64($0, 0, $0.count) } }
        func i(_ s: String) -> Int64? { b(s).withUnsafeBufferPointer { ASCII.parseInt64($0, 0, $0.count) } }
        #expect(u("0") == 0 && u("18446744073709551615") == .max)
        #expect(u("") == nil && u("18446744073709551616") == nil && u("-1") == nil && u("1 ") == nil && u("+1") == nil)
        #expect(i("-9223372036854775808") == .min && i("9223372036854775807") == .max && i("-0") == 0)
        #expect(i("9223372036854775808") == nil && i("-9223372036854775809") == nil && i("-") == nil && i("--1") == nil)
    }
}
