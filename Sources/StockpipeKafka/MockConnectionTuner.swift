import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Turns Nagle's algorithm off on the connections the mock cluster accepts, as Kafka brokers do
/// on every connection (`setTcpNoDelay(true)` in their acceptor).
///
/// librdkafka's mock leaves it on, so when a client has several requests in flight to a broker,
/// each answer after the first waits until the client acknowledges the one before, and the client
/// delays that acknowledgement up to 40 ms. Measured in one process: acknowledging 4,096 records
/// took 20-50 ms with it on and 7 ms with it off (1,000 records: 12-49 ms against 6 ms), whatever
/// the client's own `socket.nagle.disable`. Every stage that waits for its outputs to be
/// acknowledged before committing paid it at each batch, which no real broker makes it pay.
///
/// The mock offers no hook on the sockets it accepts, so a thread of its own looks at this
/// process's new sockets every 20 ms and sets `TCP_NODELAY` on those connected to a mock
/// broker's port on the broker's side. Linux only (it reads `/proc/self/fd`); elsewhere it does nothing.
final class MockConnectionTuner: Sendable {
    private let stopped = Atomic<Bool>(false)

    /// - Parameter bootstrapServers: the mock's `host:port,...`.
    init(bootstrapServers: String) {
        let ports = Set(bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { UInt16($0) } })
        guard !ports.isEmpty, FileManager.default.fileExists(atPath: "/proc/self/fd") else { return }
        let thread = Thread { [self] in
            var known = Set<Int32>()
            var scans = 0
            while !stopped.load(ordering: .relaxed) {
                // Descriptors seen before are skipped, so that a scan costs one directory read in a
                // process with hundreds of them (the test suite's); once a second all are looked at
                // again, for a number closed and given to a new connection in between.
                if scans % 50 == 0 { known.removeAll(keepingCapacity: true) }
                Self.tune(ports: ports, skipping: &known)
                scans += 1
                usleep(20_000)
            }
        }
        thread.name = "mock-nodelay"
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private static func tune(ports: Set<UInt16>, skipping known: inout Set<Int32>) {
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        var listed = Set<Int32>()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let descriptor = Int32(name) else { continue }
            listed.insert(descriptor)
            guard known.insert(descriptor).inserted, isBrokerSide(descriptor, ports: ports) else { continue }
            var on: Int32 = 1
            _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        known.formIntersection(listed)
    }

    /// A connected TCP socket whose own port is a broker's (a client's own port is an ephemeral one).
    private static func isBrokerSide(_ descriptor: Int32, ports: Set<UInt16>) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &value, &length) == 0, value == Int32(SOCK_STREAM.rawValue) else {
            return false
        }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0, value == 0 else { return false }
        length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0, value != 0 { return false }
        var address = sockaddr_storage()
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return false }
        let port: UInt16
        switch Int32(address.ss_family) {
        case AF_INET:
            port = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port } }
        case AF_INET6:
            port = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port } }
        default:
            return false
        }
        return ports.contains(UInt16(bigEndian: port))
    }
}
