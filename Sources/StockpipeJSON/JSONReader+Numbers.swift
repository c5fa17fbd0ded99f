#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A JSON number as read: its value, and its exact integer value when it has one.
public struct JSONNumber: Sendable, Equatable {
    public var double: Double
    /// Set when the number is integral and fits in 64 bits (`150` and `150.0` both qualify).
    public var integer: Int64?
}

/// 10^exponent for 0...22, all exact in a double. A switch, not a global array, so that the hot
/// path pays no lazy-initialisation check.
@inline(__always)
func exactPowerOfTen(_ exponent: Int) -> Double {
    switch exponent {
    case 0: 1e0
    case 1: 1e1
    case 2: 1e2
    case 3: 1e3
    case 4: 1e4
    case 5: 1e5
    case 6: 1e6
    case 7: 1e7
    case 8: 1e8
    case 9: 1e9
    case 10: 1e10
    case 11: 1e11
    case 12: 1e12
    case 13: 1e13
    case 14: 1e14
    case 15: 1e15
    case 16: 1e16
    case 17: 1e17
    case 18: 1e18
    case 19: 1e19
    case 20: 1e20
    case 21: 1e21
    default: 1e22
    }
}

extension JSONReader {
    /// Reads a number. `NaN`, `Infinity` and `-Infinity` are accepted and return non-finite values.
    public mutating func readNumber() throws(JSONError) -> JSONNumber {
        skipWhitespace()
        let start = index
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        if index < bytes.count, bytes[index] &- UInt8(ascii: "0") >= 10 {
            if matchLiteral("Infinity") {
                return JSONNumber(double: negative ? -.infinity : .infinity, integer: nil)
            }
            if !negative, matchLiteral("NaN") { return JSONNumber(double: .nan, integer: nil) }
        }

        var mantissa: UInt64 = 0
        var significantDigits = 0
        var decimalExponent = 0
        let integerStart = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
            accumulate(bytes[index], into: &mantissa, digits: &significantDigits, exponent: &decimalExponent)
            index += 1
        }
        let integerDigits = index - integerStart
        guard integerDigits > 0, !(integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0")) else {
            throw JSONError(offset: integerStart)
        }
        var hasFraction = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                accumulate(bytes[index], into: &mantissa, digits: &significantDigits, exponent: &decimalExponent)
                decimalExponent -= 1
                index += 1
            }
            guard index > fractionStart else { throw JSONError(offset: index) }
            hasFraction = true
        }
        var hasExponent = false
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            let exponentStart = index
            var exponent = 0
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                index += 1
            }
            guard index > exponentStart else { throw JSONError(offset: index) }
            decimalExponent += exponentNegative ? -exponent : exponent
            hasExponent = true
        }

        let value: Double
        if significantDigits <= 15, abs(decimalExponent) <= 22 {
            // Both operands are exact, so one IEEE operation gives the correctly rounded result.
            let magnitude = Double(mantissa)
            value =
                decimalExponent < 0
                ? magnitude / exactPowerOfTen(-decimalExponent)
                : magnitude * exactPowerOfTen(decimalExponent)
        } else {
            value = parseWithLibc(start: negative ? start + 1 : start, end: index)
        }
        let signed = negative ? -value : value
        var integer: Int64?
        if !hasFraction, !hasExponent, significantDigits <= 18, decimalExponent == 0 {
            integer = negative ? -Int64(mantissa) : Int64(mantissa)
        } else if signed.isFinite, signed == signed.rounded(), abs(signed) < 9.0e15 {
            integer = Int64(signed)
        }
        return JSONNumber(double: signed, integer: integer)
    }

    @inline(__always)
    private func accumulate(_ byte: UInt8, into mantissa: inout UInt64, digits: inout Int, exponent: inout Int) {
        let digit = UInt64(byte - UInt8(ascii: "0"))
        if digits < 19 {
            if mantissa != 0 || digit != 0 { digits += 1 }
            mantissa = mantissa * 10 + digit
        } else {
            exponent += 1  // digits beyond 19 only scale; the slow path re-reads them exactly
        }
    }

    /// Correctly rounded conversion for the rare numbers outside the fast path.
    private func parseWithLibc(start: Int, end: Int) -> Double {
        let length = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            for offset in 0..<length { buffer[offset] = CChar(bitPattern: bytes[start + offset]) }
            buffer[length] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }
}
