/// Netdata's configuration directories, found the way `edit-config` finds them.
struct ConfigDirectories {
    var user: String
    var stock: String

    static func fromEnvironment() -> ConfigDirectories {
        func nonEmpty(_ name: String) -> String? {
            guard let value = Terminal.environment(name), !value.isEmpty else { return nil }
            return value
        }
        return ConfigDirectories(user: nonEmpty("NETDATA_USER_CONFIG_DIR") ?? "/etc/netdata",
                                 stock: nonEmpty("NETDATA_STOCK_CONFIG_DIR") ?? "/usr/lib/netdata/conf.d")
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
