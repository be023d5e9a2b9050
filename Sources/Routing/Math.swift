#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few libm functions `Routing` needs, behind one name so the rest of the module
/// imports no platform module.
package enum Math {
    @inline(__always) package static func log(_ x: Double) -> Double { Glibc_log(x) }
    @inline(__always) package static func exp(_ x: Double) -> Double { Glibc_exp(x) }
    @inline(__always) package static func pow(_ x: Double, _ y: Double) -> Double { Glibc_pow(x, y) }
    @inline(__always) package static func sqrt(_ x: Double) -> Double { x.squareRoot() }
}

@inline(__always) private func Glibc_log(_ x: Double) -> Double { log(x) }
@inline(__always) private func Glibc_exp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func Glibc_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
