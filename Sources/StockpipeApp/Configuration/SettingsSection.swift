/// A group of settings that belongs to one part of stockpipe (a backend, a source): it owns its keys,
/// how each is read, what needs several of them checked together, and (through ``SettingKey``) their
/// environment names.
///
/// ``Settings`` holds one of each (`settings.kafka`, `settings.cassandra`, ...) and assembles the list
/// of known keys, the environment names and the reading of a key from them (see ``Settings/layout``).
///
/// A new section: a type conforming to this, a property of ``Settings``, and a `.section` entry in
/// ``Settings/layout``.
public protocol SettingsSection: Sendable {
    /// Its keys as the configuration file writes them (`cassandra.keyspace`); `<property>` stands for
    /// a free-form name (`kafka.<property>`), which has no environment name.
    static var keys: [String] { get }

    /// Reads `value` into the setting `key` names; false when `key` is not one of this section's.
    mutating func apply(key: String, value: SettingValue) throws -> Bool

    /// Checks what cannot be checked one key at a time; called only when the section is in use
    /// (its backend chosen, its source selected).
    func validate() throws
}

extension SettingsSection {
    /// Nothing to check beyond each key.
    public func validate() throws {}
}

/// The settings section of a log or store backend: it can also say where the backend is.
public protocol BackendSettings: SettingsSection {
    /// Where the backend is, in words (`Kafka at kafka-1:9092`), never with a secret;
    /// `dataDirectory` is the process's, for a backend that keeps its data there.
    func summary(dataDirectory: String) -> String
}

/// How a setting's key is written elsewhere.
enum SettingKey {
    /// `data-dir` → `STOCKPIPE_DATA_DIR`, `validation.max-age` → `STOCKPIPE_VALIDATION_MAX_AGE`.
    static func environmentName(of key: String) -> String {
        "STOCKPIPE_" + key.uppercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_")
    }

    /// Each environment name of `keys` with its key, leaving out free-form keys (`kafka.<property>`).
    static func environmentKeys(of keys: [String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: keys.filter { !$0.contains("<") }.map { (environmentName(of: $0), $0) })
    }
}
