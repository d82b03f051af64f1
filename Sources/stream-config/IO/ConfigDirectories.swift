/// Netdata's configuration directories, found the way `edit-config` finds them.
struct ConfigDirectories {
    var user: String
    var stock: String

    static func fromEnvironment() -> ConfigDirectories {
        func nonEmpty(_ name: String) -> String? {
            guard let value = Terminal.environment(name), !value.isEmpty else { return nil }
            return value
        }
        let user = nonEmpty("NETDATA_USER_CONFIG_DIR") ?? "/etc/netdata"
        return ConfigDirectories(user: user,
                                 stock: nonEmpty("NETDATA_STOCK_CONFIG_DIR") ?? stockDirectory(user: user, prefix: nonEmpty("NETDATA_PREFIX")))
    }

    /// The stock directory that goes with `user`, found as edit-config 2.x finds it: under
    /// NETDATA_PREFIX, then beside the user directory (a static install keeps
    /// /opt/netdata/etc/netdata and /opt/netdata/usr/lib/netdata/conf.d), then the system one.
    static func stockDirectory(user: String, prefix: String?) -> String {
        var candidates: [String] = []
        if let prefix {
            candidates += ["\(prefix)/usr/lib/netdata/conf.d", "\(prefix)/lib/netdata/conf.d"]
        }
        candidates += ["\(user)/../../usr/lib/netdata/conf.d", "\(user)/../../lib/netdata/conf.d"]
        for candidate in candidates where EditTarget.isDirectory(candidate) {
            return WriteTarget.realPath(candidate) ?? candidate
        }
        return "/usr/lib/netdata/conf.d"
    }

    func userFile(_ name: String = "stream.conf") -> String { "\(user)/\(name)" }
    func stockFile(_ name: String = "stream.conf") -> String { "\(stock)/\(name)" }

    /// The file Netdata reads: the user file if it can be opened, else the stock file.
    func effectiveFile(_ name: String = "stream.conf") -> (path: String, why: String)? {
        let user = userFile(name)
        if FileAccess.exists(user) { return (user, "the user file, which Netdata reads") }
        let stock = stockFile(name)
        if FileAccess.exists(stock) { return (stock, "no \(user); Netdata reads the stock file") }
        return nil
    }
}
