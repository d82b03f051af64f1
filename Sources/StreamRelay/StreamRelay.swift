import StreamConfig

/// The relay engine. It starts from a configuration that passed the same lint as `lint`.
///
/// - `RelayConfiguration`: the linted stream.conf and the TLS client context derived from it.
/// - `RelayServer`: listeners, admission (`Admission.decide` in StreamConfig), upstream
///   connections with failover (`UpstreamConnector`), the splice (`SpliceHandler`), reload and
///   drain.
/// - `HandshakeDecoder`, `StreamRequest`, `ParentAnswerScanner`: the protocol pieces, pure or on
///   `EmbeddedChannel`.
public enum StreamRelay {
    public static let version = "0.1.0"
}
