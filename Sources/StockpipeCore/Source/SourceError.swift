/// A source that cannot be read, said in the source's terms; the command line adds which of its
/// flags fixes it.
public enum SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The replay file is not there, or its directory cannot be searched.
    case cannotRead(path: String, reason: String)
    case notARegularFile(path: String)
    case permissionDenied(path: String)
    /// The file could not be opened (again: it was replaced or removed while followed).
    case cannotOpen(path: String, reason: String)
    case readFailed(reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read replay file \(path): \(reason)"
        case .notARegularFile(let path): "replay file \(path) is not a regular file"
        case .permissionDenied(let path): "cannot read replay file \(path): permission denied"
        case .cannotOpen(let path, let reason): "cannot open replay file \(path): \(reason)"
        case .readFailed(let reason): "reading the replay file failed: \(reason)"
        }
    }
}
