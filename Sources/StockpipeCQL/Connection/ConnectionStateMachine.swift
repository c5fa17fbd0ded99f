/// One connection's protocol logic, without sockets: the handshake (STARTUP, then READY or SASL
/// PLAIN authentication), stepping down a protocol version when a server refuses ours, and
/// matching responses to requests by stream id. It returns what to do; the channel handler does it.
struct ConnectionStateMachine: Sendable {
    enum State: Sendable, Equatable {
        case idle
        case startingUp(ProtocolVersion)
        case authenticating(ProtocolVersion)
        case ready(ProtocolVersion)
        case closed
    }

    enum Action: Sendable, Equatable {
        case send(CQLRequest, stream: Int16)
        /// The server refused this version: connect again offering the lower one.
        case reconnect(offering: ProtocolVersion)
        case handshakeSucceeded(ProtocolVersion)
        case handshakeFailed(String)
        /// A response for the request on `stream`.
        case deliver(stream: Int16, CQLResponse)
        case nothing
    }

    struct Credentials: Sendable, Equatable {
        var username: String
        var password: String
    }

    private(set) var state: State = .idle
    private var streams = StreamIDs(version: .v4)
    let credentials: Credentials?

    init(credentials: Credentials?) {
        self.credentials = credentials
    }

    /// The socket is open: offer `version`.
    mutating func connected(offering version: ProtocolVersion) -> Action {
        state = .startingUp(version)
        return .send(.startup(cqlVersion: "3.0.0"), stream: 0)
    }

    /// A request to send once ready; nil when every stream id is taken (queue it and try later).
    mutating func send(_ request: CQLRequest) -> Action? {
        guard case .ready = state else { return .nothing }
        guard let stream = streams.take() else { return nil }
        return .send(request, stream: stream)
    }

    mutating func received(stream: Int16, _ response: CQLResponse) -> Action {
        switch state {
        case .startingUp(let version):
            switch response {
            case .ready:
                return becomeReady(version)
            case .authenticate(let authenticator):
                guard let credentials else {
                    state = .closed
                    return .handshakeFailed("the server requires a login (\(authenticator)); give a username and password")
                }
                state = .authenticating(version)
                if version == .v1 {
                    return .send(.credentials(username: credentials.username, password: credentials.password), stream: 0)
                }
                return .send(.authResponse(Array(("\u{0}" + credentials.username + "\u{0}" + credentials.password).utf8)), stream: 0)
            case .error(let error) where error.kind == .protocolError:
                state = .closed
                if let lower = version.lower { return .reconnect(offering: lower) }
                return .handshakeFailed("the server speaks no protocol version this client does (v1 to v4): \(error.message)")
            case .error(let error):
                state = .closed
                return .handshakeFailed(error.description)
            default:
                state = .closed
                return .handshakeFailed("unexpected answer to STARTUP: \(response)")
            }
        case .authenticating(let version):
            switch response {
            case .authSuccess, .ready:
                return becomeReady(version)
            case .error(let error):
                state = .closed
                return .handshakeFailed(error.description)
            default:
                state = .closed
                return .handshakeFailed("unexpected answer while logging in: \(response)")
            }
        case .ready:
            streams.give(back: stream)
            return .deliver(stream: stream, response)
        case .idle, .closed:
            return .nothing
        }
    }

    var inFlight: Int { streams.inFlight }

    private mutating func becomeReady(_ version: ProtocolVersion) -> Action {
        state = .ready(version)
        streams = StreamIDs(version: version)
        return .handshakeSucceeded(version)
    }
}
