import StockpipePipeline

#if canImport(Glibc)
    import StockpipeCore
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the dashboard listens, who may use it, and how much of it one client may hold.
public struct DashboardConfiguration: Sendable {
    /// The shortest dashboard token accepted.
    public static let minimumTokenLength = 16

    /// What is wrong with a dashboard token (surrounding whitespace already trimmed), as the end of a
    /// sentence naming it, or nil; never quotes the token. Whitespace or a control or invisible format
    /// character inside it could not be sent in an `Authorization` header as it is.
    public static func tokenProblem(_ token: String) -> String? {
        if token.unicodeScalars.contains(where: { $0.properties.isWhitespace || [.control, .format].contains($0.properties.generalCategory) }) {
            return "must not contain spaces or control characters; use e.g. `openssl rand -hex 16`"
        }
        if token.count < minimumTokenLength {
            return "is too short: use at least \(minimumTokenLength) characters (besides surrounding spaces), "
                + "e.g. from `openssl rand -hex 16`"
        }
        return nil
    }

    public var host = "127.0.0.1"
    public var port = 8080
    /// Required as `Authorization: Bearer TOKEN` (or once as `?token=`, which sets a session cookie)
    /// when set; a dashboard bound to anything but loopback refuses to start without one.
    public var token: String?
    /// How often live updates are computed and sent.
    public var tick: Duration = .seconds(1)
    /// How often the pipeline's status is sampled for rates and `/metrics`.
    public var statusEvery: Duration = .seconds(2)
    /// How long a client has to send a request's head (line and headers) once it has sent its
    /// first byte, or once it has connected: then the connection is closed.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a kept-alive connection may wait for its next request. An open response (the event
    /// stream) is not idle.
    public var idleTimeout: Duration = .seconds(60)
    /// Open connections at most; one more is answered 503 and closed.
    public var maxConnections = 512

    public init() {}

    /// Whether every address `host` resolves to is a loopback one (127.0.0.0/8 or ::1): only then
    /// can nothing but this machine reach the dashboard.
    public func isLoopback() throws(DashboardError) -> Bool {
        let addresses = try Self.resolve(host)
        return !addresses.isEmpty && addresses.allSatisfy(\.isLoopback)
    }

    enum Address {
        case v4(UInt32)
        case v6([UInt8])

        var isLoopback: Bool {
            switch self {
            case .v4(let address): address >> 24 == 127
            case .v6(let bytes):
                bytes == [UInt8](repeating: 0, count: 15) + [1]
                    // ::ffff:127.x.x.x, IPv4-mapped
                    || (bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127)
            }
        }
    }

    /// The addresses `host` resolves to for listening, as `getaddrinfo` gives them.
    static func resolve(_ host: String) throws(DashboardError) -> [Address] {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            let reason = String(cString: gai_strerror(status))
            throw DashboardError.hostDoesNotResolve(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var next = list
        while let entry = next {
            if let socketAddress = entry.pointee.ai_addr {
                switch Int32(socketAddress.pointee.sa_family) {
                case AF_INET:
                    socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        addresses.append(.v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)))
                    }
                case AF_INET6:
                    socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        var address = $0.pointee.sin6_addr
                        addresses.append(.v6(withUnsafeBytes(of: &address) { Array($0) }))
                    }
                default: break
                }
            }
            next = entry.pointee.ai_next
        }
        return addresses
    }
}
