/// Where the dashboard listens and who may use it.
public struct DashboardConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Required as `Authorization: Bearer TOKEN` (or once as `?token=`, which sets a cookie) when set;
    /// a dashboard bound to anything but loopback refuses to start without one.
    public var token: String?
    /// How often live updates are computed and sent.
    public var tick: Duration = .seconds(1)
    /// How often the pipeline's status is sampled for rates and `/metrics`.
    public var statusEvery: Duration = .seconds(2)

    public init() {}

    public var isLoopback: Bool {
        ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
    }
}
