/// A key section of a relay's stream.conf, with 1.37's names: children with `key` from
/// localhost are forwarded to `destination` with `upstreamKey`; `extra` lines (indented) go at
/// its end. One text for the relay suites and the relay interop tests.
public func relayKeySection(_ key: String, destination: String, upstreamKey: String, extra: String = "") -> String {
    """
    [\(key)]
        type = api
        enabled = yes
        allow from = localhost
        default proxy enabled = yes
        default proxy destination = \(destination)
        default proxy api key = \(upstreamKey)
    \(extra)

    """
}
