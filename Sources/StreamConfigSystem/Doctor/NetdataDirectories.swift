import StreamConfig

extension ConfigDirectories {
    /// Where Netdata looks for stream.conf when it runs with this netdata.conf: its
    /// `[directories] config` (and `stock config`), else these directories.
    public func forNetdata(_ netdata: Ini?) -> ConfigDirectories {
        let section = netdata?.section("directories")
        guard let user = section?.value("config"), !user.isEmpty else { return self }
        let stock = section?.value("stock config").flatMap { $0.isEmpty ? nil : $0 } ?? self.stock
        return ConfigDirectories(user: user, stock: stock)
    }
}
