/// Netdata's configuration directories, found the way `edit-config` finds them.
public struct ConfigDirectories: Sendable {
    public var user: String
    public var stock: String

    public init(user: String, stock: String) {
        self.user = user
        self.stock = stock
    }

    public static func fromEnvironment() -> ConfigDirectories {
        func nonEmpty(_ name: String) -> String? {
            guard let value = Environment.value(name), !value.isEmpty else { return nil }
            return value
        }
        let user = nonEmpty("NETDATA_USER_CONFIG_DIR") ?? "/etc/netdata"
        return ConfigDirectories(user: user,
                                 stock: nonEmpty("NETDATA_STOCK_CONFIG_DIR") ?? stockDirectory(user: user, prefix: nonEmpty("NETDATA_PREFIX")))
    }

    /// The stock directory that goes with `user`, found as edit-config 2.x finds it: under
    /// NETDATA_PREFIX, then beside the user directory (a static install keeps
    /// /opt/netdata/etc/netdata and /opt/netdata/usr/lib/netdata/conf.d), then the system one.
    public static func stockDirectory(user: String, prefix: String?) -> String {
        var candidates: [String] = []
        if let prefix {
            candidates += ["\(prefix)/usr/lib/netdata/conf.d", "\(prefix)/lib/netdata/conf.d"]
        }
        candidates += ["\(user)/../../usr/lib/netdata/conf.d", "\(user)/../../lib/netdata/conf.d"]
        for candidate in candidates where FileSystem.isDirectory(candidate) {
            return WriteTarget.realPath(candidate) ?? candidate
        }
        return "/usr/lib/netdata/conf.d"
    }

    public func userFile(_ name: String = "stream.conf") -> String { "\(user)/\(name)" }
    public func stockFile(_ name: String = "stream.conf") -> String { "\(stock)/\(name)" }

    /// The file Netdata reads: the user file if it can be opened, else the stock file.
    public func effectiveFile(_ name: String = "stream.conf") -> (path: String, why: String)? {
        let user = userFile(name)
        if FileAccess.exists(user) { return (user, "the user file, which Netdata reads") }
        let stock = stockFile(name)
        if FileAccess.exists(stock) { return (stock, "no \(user); Netdata reads the stock file") }
        return nil
    }
}
