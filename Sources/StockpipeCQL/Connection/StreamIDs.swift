/// Stream ids for requests in flight on one connection: 0...127 up to v2, 0...32767 from v3
/// (negative ids are the server's). An id is reused only after its response came back.
struct StreamIDs: Sendable {
    private var free: [Int16]
    let capacity: Int

    init(version: ProtocolVersion) {
        let highest: Int16 = version >= .v3 ? .max : 127
        capacity = Int(highest) + 1
        // Handed out from the low end.
        free = Array((0...highest).reversed())
    }

    var inFlight: Int { capacity - free.count }

    /// The next free id; nil when every id is in flight (the caller queues the request).
    mutating func take() -> Int16? { free.popLast() }

    mutating func give(back id: Int16) { free.append(id) }
}
