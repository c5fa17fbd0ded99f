import Glibc
import NIOCore
import NIOPosix

/// A failed connect in words a user can act on.
///
/// SwiftNIO's own descriptions nest the attempt's internals, e.g.
/// `Connection errors: SingleConnectionFailure(target: [IPv4]127.0.0.1/127.0.0.1:1, error: connection
/// reset (error set): Connection refused (errno: 111))`; this says `connection refused`.
enum ConnectFailure {
    static func words(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve \(error.host)" }
            let reasons = error.connectionErrors.map { words($0.error) }
            var seen = Set<String>()
            let distinct = reasons.filter { seen.insert($0).inserted }
            return distinct.isEmpty ? "no address to connect to" : distinct.joined(separator: ", ")
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case ChannelError.connectTimeout(let after):
            return "no answer within \(after.nanoseconds / 1_000_000) ms"
        default:
            return "\(error)"
        }
    }
}
