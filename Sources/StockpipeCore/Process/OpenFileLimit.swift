#if canImport(Glibc)
    import Glibc
#endif

/// The number of files and sockets this process may hold open at once.
///
/// A process starts with the soft limit its shell gives it, often 1,024, though the hard limit is
/// usually far higher. Every stage holds sockets to each broker and Cassandra node, and a process
/// running the mock Kafka cluster holds both ends of each connection. Past the soft limit
/// `socket()` fails, and librdkafka's mock then aborts the whole process (it asserts that a broker
/// taken down can bind its listener again). So processes raise their soft limit to the hard one
/// when they start, as the JVM and Go's runtime do.
///
/// ```swift
/// OpenFileLimit.raiseToHardLimit()   // 1024 → the hard limit, e.g. 524288
/// ```
public enum OpenFileLimit {
    /// Raises the soft limit to the hard limit and returns the soft limit in force afterwards, or
    /// nil where it cannot be read.
    @discardableResult
    public static func raiseToHardLimit() -> UInt64? {
        #if canImport(Glibc)
            var limits = rlimit()
            guard getrlimit(resource, &limits) == 0 else { return nil }
            if limits.rlim_cur < limits.rlim_max {
                var raised = limits
                raised.rlim_cur = limits.rlim_max
                if setrlimit(resource, &raised) == 0 { limits = raised }
            }
            return UInt64(limits.rlim_cur)
        #else
            return nil
        #endif
    }

    #if canImport(Glibc)
        private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #endif
}
