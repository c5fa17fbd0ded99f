import Foundation

/// Where process numbers mean something: this boot and this process-id namespace. Two containers
/// may share a host name and both run their process as number 1, so "process 7 of this host is
/// gone" is only known when the scope is the same too.
public enum ProcessScope {
    /// The first 8 characters of the boot id and the namespace's inode (`3f2a9c1e-4026531836`);
    /// empty when /proc does not say, and then nothing is taken for gone before its lease.
    public static let current: String = {
        let boot =
            (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines).prefix(8) ?? ""
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))?.filter(\.isNumber) ?? ""
        return boot.isEmpty || namespace.isEmpty ? "" : "\(boot)-\(namespace)"
    }()
}
