/// A growable byte buffer that owns its memory: an append is a bounds check and a store, with
/// none of an array's uniqueness checks. Non-copyable, so the memory has exactly one owner.
///
/// ```swift
/// var buffer = ByteBuffer(capacity: 64)
/// buffer.put(UInt8(ascii: "{"))
/// buffer.putVarint(300)
/// let bytes = buffer.bytes
/// ```
public struct ByteBuffer: ~Copyable {
    @usableFromInline var storage: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var written: Int

    /// Bytes written so far.
    public var count: Int { written }

    public init(capacity initialCapacity: Int) {
        let size = max(initialCapacity, 16)
        storage = .allocate(capacity: size)
        capacity = size
        written = 0
    }

    deinit { storage.deallocate() }

    /// Starts over, keeping the memory.
    public mutating func reset() { written = 0 }

    /// A copy of what was written.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: written)) }

    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: storage, count: written))
    }

    @inlinable @inline(__always)
    public mutating func reserve(_ extra: Int) {
        if written + extra > capacity { grow(written + extra) }
    }

    @usableFromInline
    mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        larger.update(from: storage, count: written)
        storage.deallocate()
        storage = larger
        capacity = newCapacity
    }

    @inlinable @inline(__always)
    public mutating func put(_ byte: UInt8) {
        reserve(1)
        storage[written] = byte
        written += 1
    }

    @inlinable
    public mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let base = bytes.baseAddress { (storage + written).update(from: base, count: bytes.count) }
        written += bytes.count
    }

    @inlinable
    public mutating func put(_ literal: StaticString) {
        put(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Writes at most `maximum` bytes in place; `body` returns how many it wrote.
    @inlinable
    public mutating func put(upTo maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        written += body(storage + written)
    }

    /// LEB128: seven bits a byte, low bits first.
    @inlinable
    public mutating func putVarint(_ value: UInt64) {
        put(upTo: 10) { target in
            var value = value
            var written = 0
            while value >= 0x80 {
                target[written] = UInt8(truncatingIfNeeded: value) | 0x80
                written += 1
                value >>= 7
            }
            target[written] = UInt8(value)
            return written + 1
        }
    }
}
