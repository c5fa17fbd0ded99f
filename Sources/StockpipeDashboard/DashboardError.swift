/// Why the dashboard will not start, in the dashboard's terms; the command line adds which of its
/// settings fixes it. Never holds the token.
public enum DashboardError: Error, Sendable, Equatable, CustomStringConvertible {
    case portOutOfRange(Int)
    /// The token is set but unusable: `problem` ends a sentence naming it (see
    /// ``DashboardConfiguration/tokenProblem(_:)``).
    case weakToken(problem: String)
    /// Bound beyond loopback without a token, the data would be open to the network.
    case exposedWithoutToken(host: String)
    case hostDoesNotResolve(host: String, reason: String)
    case portInUse(host: String, port: Int)

    public var description: String {
        switch self {
        case .portOutOfRange(let port): "the dashboard's port must be between 0 and 65535, not \(port)"
        case .weakToken(let problem): "the dashboard token \(problem)"
        case .exposedWithoutToken(let host): "the dashboard on \(host) would be reachable from the network without a token"
        case .hostDoesNotResolve(let host, let reason):
            "the dashboard cannot listen on \(host): the host does not resolve (\(reason)); "
                + "use an address such as 127.0.0.1 or 0.0.0.0, or a name this machine resolves"
        case .portInUse(let host, let port): "the dashboard cannot listen on \(host):\(port): the port is in use"
        }
    }
}
