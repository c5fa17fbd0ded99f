import Testing

@testable import StockpipeCQL

/// The connection's protocol logic, without sockets.
@Suite("CQL connection state machine")
struct CQLStateMachineTests {
    let query = CQLRequest.query("SELECT now() FROM system.local", QueryParameters(consistency: .one))

    @Test func aV4HandshakeThenRequestsMatchedByStream() {
        var machine = ConnectionStateMachine(credentials: nil)
        #expect(machine.connected(offering: .v4) == .send(.startup(cqlVersion: "3.0.0"), stream: 0))
        #expect(machine.received(stream: 0, .ready) == .handshakeSucceeded(.v4))
        #expect(machine.send(query) == .send(query, stream: 0))
        #expect(machine.send(query) == .send(query, stream: 1))
        #expect(machine.inFlight == 2)
        #expect(machine.received(stream: 1, .result(.void)) == .deliver(stream: 1, .result(.void)))
        #expect(machine.inFlight == 1)
        #expect(machine.send(query) == .send(query, stream: 1), "a stream id is reused once answered")
    }

    @Test func aRefusedVersionStepsDownUntilV1() {
        var version = ProtocolVersion.v4
        var offered: [ProtocolVersion] = []
        let refusal = CQLResponse.error(CQLServerError(kind: .protocolError, message: "Invalid or unsupported protocol version"))
        while true {
            var machine = ConnectionStateMachine(credentials: nil)
            offered.append(version)
            _ = machine.connected(offering: version)
            // A Cassandra 1.2 server: only v1.
            let answer: CQLResponse = version == .v1 ? .ready : refusal
            switch machine.received(stream: 0, answer) {
            case .reconnect(let lower): version = lower
            case .handshakeSucceeded(let agreed):
                #expect(agreed == .v1)
                #expect(offered == [.v4, .v3, .v2, .v1])
                return
            default:
                Issue.record("unexpected action")
                return
            }
        }
    }

    @Test func noVersionInCommonIsOneClearFailure() {
        var machine = ConnectionStateMachine(credentials: nil)
        _ = machine.connected(offering: .v1)
        let action = machine.received(stream: 0, .error(CQLServerError(kind: .protocolError, message: "v1 refused")))
        guard case .handshakeFailed(let reason) = action else { Issue.record("\(action)"); return }
        #expect(reason.contains("no protocol version this client does"))
    }

    @Test func passwordAuthenticationPerVersion() {
        let credentials = ConnectionStateMachine.Credentials(username: "user", password: "pass")
        var v4 = ConnectionStateMachine(credentials: credentials)
        _ = v4.connected(offering: .v4)
        #expect(
            v4.received(stream: 0, .authenticate(authenticator: "PasswordAuthenticator"))
                == .send(.authResponse(Array("\u{0}user\u{0}pass".utf8)), stream: 0))
        #expect(v4.received(stream: 0, .authSuccess(nil)) == .handshakeSucceeded(.v4))

        var v1 = ConnectionStateMachine(credentials: credentials)
        _ = v1.connected(offering: .v1)
        #expect(
            v1.received(stream: 0, .authenticate(authenticator: "PasswordAuthenticator"))
                == .send(.credentials(username: "user", password: "pass"), stream: 0))
        #expect(v1.received(stream: 0, .ready) == .handshakeSucceeded(.v1))

        var refused = ConnectionStateMachine(credentials: credentials)
        _ = refused.connected(offering: .v4)
        _ = refused.received(stream: 0, .authenticate(authenticator: "PasswordAuthenticator"))
        let action = refused.received(stream: 0, .error(CQLServerError(kind: .badCredentials, message: "Username and/or password are incorrect")))
        guard case .handshakeFailed(let reason) = action else { Issue.record("\(action)"); return }
        #expect(reason.contains("refused the credentials"))

        var anonymous = ConnectionStateMachine(credentials: nil)
        _ = anonymous.connected(offering: .v4)
        guard case .handshakeFailed(let missing) = anonymous.received(stream: 0, .authenticate(authenticator: "PasswordAuthenticator")) else {
            Issue.record("no failure"); return
        }
        #expect(missing.contains("give a username and password"))
    }

    @Test func streamIdsRunOutAt128BeforeV3() {
        var machine = ConnectionStateMachine(credentials: nil)
        _ = machine.connected(offering: .v2)
        _ = machine.received(stream: 0, .ready)
        for expected in Int16(0)...127 { #expect(machine.send(query) == .send(query, stream: expected)) }
        #expect(machine.send(query) == nil, "the 129th request waits")
        _ = machine.received(stream: 42, .result(.void))
        #expect(machine.send(query) == .send(query, stream: 42))
    }
}
