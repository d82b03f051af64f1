/// journald `MESSAGE_ID`s that Netdata 2.x (since v1.44) puts on its streaming log entries
/// (protocol.md §6.2–6.4). The relay reuses them so that the queries operators already know,
/// `journalctl --namespace=netdata MESSAGE_ID=<id>`, also find the relay's entries.
///
/// The values are the compact form (32 lower-case hex digits, no dashes), because that is what
/// Netdata writes and journald matches field values as exact strings; the dashed form from
/// Netdata's README would not match.
///
/// Usage: `logger.info("...", metadata: ["MESSAGE_ID": "\(RelayMessageID.childConnection)"])`.
public enum RelayMessageID {
    /// "Child connection": Netdata logs it on the parent for every accept/reject decision and
    /// for the disconnection of a receiver (§6.3).
    public static let childConnection = "ed4cdb8f1beb4ad3b57cb3cae2d162fa"
    /// "Connection to parent": Netdata logs it on the child for connect attempts, the negotiated
    /// capabilities and the disconnection of a sender (§6.4).
    public static let parentConnection = "6e2e3839067648968b646045dbf28d66"
}
