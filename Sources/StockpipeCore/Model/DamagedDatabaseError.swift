/// A database file that SQLite found damaged while reading or writing it: the command stops rather
/// than answer from what it could still read.
public struct DamagedDatabaseError: Error, CustomStringConvertible {
    /// The file, like `./stockpipe-data/store.sqlite`.
    public var path: String
    /// SQLite's words, like `database disk image is malformed`.
    public var detail: String

    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }

    public var description: String {
        "\(path) is damaged (SQLite: \(detail)); nothing was answered from it: run `stockpipe check` to see the damage, "
            + "and restore the data directory from a backup"
    }
}
