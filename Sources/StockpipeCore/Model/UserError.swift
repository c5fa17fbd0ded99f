/// A mistake the user can fix; printed as one line, without a stack trace.
public struct UserError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
