import Foundation
import GRDB

extension DatabaseMigrator {
    /// Migrates `pool`, whose file is at `path`, holding an exclusive lock on `PATH.lock` meanwhile.
    ///
    /// A migrator reads which migrations were applied before it applies the others, so two
    /// processes that open a new data directory at once (the stages of one machine, started
    /// together) both found `v1` missing and the second failed with "table trades already exists".
    /// The lock makes the second wait and then find it applied. Without a lock file to make or
    /// open (a read-only directory), nothing can be migrated there anyway, and the migrator says so.
    func migrate(_ pool: DatabasePool, lockingBeside path: String) throws {
        // Readable by all: a lock file another user made (root running `stockpipe status`) is
        // still locked through a descriptor opened for reading.
        var descriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 { descriptor = open(path + ".lock", O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { return try migrate(pool) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        try migrate(pool)
    }
}
