import Foundation
import StockpipeKafka
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("The mock cluster's connections")
struct KafkaMockConnectionTests {
    /// librdkafka's mock leaves Nagle's algorithm on where brokers turn it off: each answer after
    /// the first on a connection waited for the client's delayed acknowledgement, up to 40 ms, and
    /// every stage that waits for its outputs' acknowledgements paid it at each batch.
    @Test func theBrokerSideOfEveryConnectionSendsWithoutDelay() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        defer { cluster.close() }
        let port = try #require(cluster.bootstrapServers.split(separator: ":").last.flatMap { UInt16($0) })
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let clientPort = try #require(Self.ports(of: client)).local
        var brokerSide: Int32?
        // Generous: the whole suite runs beside it on two cores.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            brokerSide = Self.descriptors().first { descriptor in
                Self.ports(of: descriptor).map { $0.local == port && $0.peer == clientPort } ?? false
            }
            if let brokerSide, Self.noDelay(brokerSide) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let accepted = try #require(brokerSide, "the mock never accepted the connection")
        #expect(Self.noDelay(accepted))
        #expect(!Self.noDelay(client), "only the broker's side is changed")
    }

    static func descriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    static func noDelay(_ descriptor: Int32) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0 && value != 0
    }

    static func ports(of descriptor: Int32) -> (local: UInt16, peer: UInt16)? {
        func port(_ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> UInt16? {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let result = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, &length) }
            }
            guard result == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
            return UInt16(bigEndian: address.sin_port)
        }
        guard let local = port(getsockname), let peer = port(getpeername) else { return nil }
        return (local, peer)
    }
}

@Suite("The mock cluster beside child processes")
struct KafkaMockClusterChildProcessTests {
    /// A child started while a broker goes down held the broker's listening socket (children hold
    /// every descriptor until they exec), the broker could not bind its port again, and librdkafka
    /// aborted the whole test process, twice in CI. Started through ``KafkaMockCluster/startingProcess(_:)``,
    /// children and downed brokers take turns. Without it this aborts within a few downs.
    @Test func brokersGoDownAndUpWhileChildrenAreStartedBesideThem() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        // A thread of its own: waiting for each child blocks, and on the tests' cooperative pool
        // (two threads on two cores) it stalled every other test of the suite for a minute.
        let spawner = Spawner()
        spawner.start()
        // Also on a thread of its own: setBroker waits for the mock's thread while it holds the lock
        // that every test starting a child takes, and that wait must not hold a pool thread either.
        let flapped = Flag()
        Thread {
            for round in 0..<15 {
                let broker = Int32(round % 3 + 1)
                cluster.setBroker(broker, up: false)
                cluster.setBroker(broker, up: true)
                usleep(5_000)
            }
            flapped.set()
        }.start()
        while !flapped.isSet { try await Task.sleep(for: .milliseconds(20)) }
        let started = try await spawner.stop()
        #expect(started > 10, "children were started meanwhile: \(started)")
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    /// Starts `/bin/true` again and again on a thread of its own until stopped.
    final class Spawner: Sendable {
        private let state = Mutex((stopping: false, finished: false, started: 0, failure: String?.none))

        func start() {
            let thread = Thread { [self] in
                while !state.withLock({ $0.stopping }) {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/bin/true")
                    do {
                        try KafkaMockCluster.startingProcess { try process.run() }
                    } catch {
                        state.withLock { $0.failure = "\(error)" }
                        break
                    }
                    process.waitUntilExit()
                    state.withLock { $0.started += 1 }
                }
                state.withLock { $0.finished = true }
            }
            thread.start()
        }

        /// Stops it and returns how many children it started, waiting without holding a thread.
        func stop() async throws -> Int {
            state.withLock { $0.stopping = true }
            while !state.withLock({ $0.finished }) { try await Task.sleep(for: .milliseconds(10)) }
            let (started, failure) = state.withLock { ($0.started, $0.failure) }
            if let failure { Issue.record("a child could not be started: \(failure)") }
            return started
        }
    }
}
