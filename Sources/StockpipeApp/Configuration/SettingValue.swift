import Foundation
import StockpipeCore

/// One setting's value as the configuration file, the environment or a flag gave it, with the readers
/// every settings section shares. Each reader answers the value in the type the setting needs, or
/// throws one sentence that names the setting, where it came from and what it must be.
public struct SettingValue {
    /// The value as given: text, a number, a flag, or (only for `symbols`) a list.
    let given: Any
    /// The value as text (`true`, `60`, `kafka-1:9092`; empty for YAML's null).
    public let text: String
    /// Where it came from: the file's path, `environment variable STOCKPIPE_...`, or `--flag`.
    public let origin: String
    /// How an error names it: the flag itself, or `key in origin`.
    public let subject: String

    init(key: String, given: Any, origin: String) {
        self.given = given
        text = Self.text(of: given)
        self.origin = origin
        subject = origin.hasPrefix("--") ? origin : "\(key) in \(origin)"
    }

    /// The sentence for a value that does not fit: `SUBJECT must be EXPECTED, not 'VALUE'`.
    public func fail(_ expected: String) -> UserError {
        UserError("\(subject) must be \(expected), not \(text.isEmpty ? "empty" : "'\(text.prefix(80))'")")
    }

    /// A non-empty text, for keys that name something.
    public func nonEmpty(_ expected: String) throws -> String {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(expected) }
        return text
    }

    /// A finite number in `range`; `above` excludes the lower bound.
    public func number(_ range: ClosedRange<Double>, above: Bool = false, _ expected: String) throws -> Double {
        guard let number = Double(text), number.isFinite, range.contains(number), !(above && number == range.lowerBound) else {
            throw fail(expected)
        }
        return number
    }

    /// A whole number in `range`.
    public func whole(_ range: ClosedRange<Int>, _ expected: String) throws -> Int {
        guard let number = Int(text), range.contains(number) else { throw fail(expected) }
        return number
    }

    /// A duration in `range`, in milliseconds (see ``Settings/duration(_:)``); with `orZero`, 0 too.
    public func duration(_ range: ClosedRange<Int64>, orZero: Bool = false, _ expected: String) throws -> Int64 {
        guard let milliseconds = Settings.duration(text), range.contains(milliseconds) || (orZero && milliseconds == 0) else {
            throw fail(expected)
        }
        return milliseconds
    }

    /// `true` or `false`, in any case.
    public func flag() throws -> Bool {
        guard let flag = Bool(text.lowercased()) else { throw fail("true or false") }
        return flag
    }

    /// How a value reads as text: YAML's null as empty, numbers and flags as written.
    static func text(of value: Any) -> String {
        switch value {
        case let string as String: string
        case let number as Int: String(number)
        case let number as Double: String(number)
        case let flag as Bool: String(flag)
        case is NSNull: ""
        default: String(describing: value)
        }
    }
}
