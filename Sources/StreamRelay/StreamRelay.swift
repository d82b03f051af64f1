import StreamConfig

/// The relay engine. It starts from a configuration that passed the same lint as `lint`.
public enum StreamRelay {
    public static let version = "0.1.0"
}
