/// A 128-bit hash that is the same on every machine and every run (unlike `Hasher`), so it can
/// name records durably. Not cryptographic: it only has to keep accidental collisions negligible.
public struct StableHasher {
    private var high: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var low: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var length: UInt64 = 0

    public init() {}

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    public mutating func combine(_ word: UInt64) {
        length &+= 8
        high = StableHasher.mix(high ^ word) &+ 0x2545_F491_4F6C_DD1D
        low = StableHasher.mix(low &+ word &* 0x9E37_79B9_7F4A_7C15) ^ high
    }

    public mutating func combine(_ string: String) {
        var string = string
        string.withUTF8 { combine(raw: UnsafeRawBufferPointer($0)) }
    }

    /// Mixes in bytes eight at a time, then their length.
    public mutating func combine(raw bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset + 8 <= bytes.count {
            combine(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        var tail: UInt64 = UInt64(bytes.count) << 56
        for index in offset..<bytes.count { tail |= UInt64(bytes[index]) << (8 * UInt64(index - offset)) }
        combine(tail)
    }

    public func finalize() -> (high: UInt64, low: UInt64) {
        (StableHasher.mix(high ^ length), StableHasher.mix(low &+ high))
    }

    /// A 64-bit digest of raw bytes, reading them eight at a time.
    public static func hash64(bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(raw: bytes)
        return hasher.finalize().low
    }

    /// A 64-bit digest of one string, for compact keys.
    public static func hash64(_ string: String) -> Int64 {
        var string = string
        return Int64(bitPattern: string.withUTF8 { hash64(bytes: UnsafeRawBufferPointer($0)) })
    }
}
