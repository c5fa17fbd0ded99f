import Foundation

/// The wall clock in the unit every record uses: Unix milliseconds.
public enum WallClock {
    public static func milliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
