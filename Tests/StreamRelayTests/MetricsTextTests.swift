import Testing
@testable import StreamRelay

@Suite struct MetricsTextTests {
    static let histogramHead = """
        # HELP stream_config_relay_handshake_seconds Seconds from accepting a child to the end of its handshake.
        # TYPE stream_config_relay_handshake_seconds histogram

        """

    @Test func freshMetricsRenderEveryFamily() {
        #expect(RelayMetrics().prometheusText() == """
            # HELP stream_config_relay_connections_open Child connections currently open.
            # TYPE stream_config_relay_connections_open gauge
            stream_config_relay_connections_open 0
            # HELP stream_config_relay_connections_total Child connections accepted since start.
            # TYPE stream_config_relay_connections_total counter
            stream_config_relay_connections_total 0
            # HELP stream_config_relay_handshakes_pending Child connections open that have not completed their first request.
            # TYPE stream_config_relay_handshakes_pending gauge
            stream_config_relay_handshakes_pending 0
            # HELP stream_config_relay_accept_errors_total Failed accept calls on the listeners (e.g. no file descriptor left).
            # TYPE stream_config_relay_accept_errors_total counter
            stream_config_relay_accept_errors_total 0
            # HELP stream_config_relay_bytes_total Bytes relayed, by direction.
            # TYPE stream_config_relay_bytes_total counter
            stream_config_relay_bytes_total{direction="child_to_parent"} 0
            stream_config_relay_bytes_total{direction="parent_to_child"} 0
            # HELP stream_config_relay_refusals_total Child connections refused, by reason.
            # TYPE stream_config_relay_refusals_total counter
            # HELP stream_config_relay_upstream_failures_total Failed connection attempts to upstream parents, by destination.
            # TYPE stream_config_relay_upstream_failures_total counter
            # HELP stream_config_relay_handshake_seconds Seconds from accepting a child to the end of its handshake.
            # TYPE stream_config_relay_handshake_seconds histogram
            stream_config_relay_handshake_seconds_bucket{le="0.001"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.0025"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.005"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.01"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.025"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.05"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.1"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.25"} 0
            stream_config_relay_handshake_seconds_bucket{le="0.5"} 0
            stream_config_relay_handshake_seconds_bucket{le="1"} 0
            stream_config_relay_handshake_seconds_bucket{le="2.5"} 0
            stream_config_relay_handshake_seconds_bucket{le="5"} 0
            stream_config_relay_handshake_seconds_bucket{le="10"} 0
            stream_config_relay_handshake_seconds_bucket{le="+Inf"} 0
            stream_config_relay_handshake_seconds_sum 0
            stream_config_relay_handshake_seconds_count 0

            """)
    }

    @Test func recordedValuesAreRendered() {
        let metrics = RelayMetrics()
        metrics.connectionOpened()
        metrics.connectionOpened()
        metrics.connectionOpened()
        metrics.connectionClosed()
        metrics.bytesFromChildren(1399)
        metrics.bytesFromChildren(100)
        metrics.bytesFromChildren(-5)  // ignored
        metrics.bytesToChildren(50)
        metrics.refused(reason: "bad_key")
        metrics.refused(reason: "bad_key")
        metrics.refused(reason: "already_connected")
        metrics.upstreamFailure(destination: "10.0.0.5:19999")
        metrics.handshakeCompleted(seconds: 0.001)   // le="0.001" (bounds are inclusive)
        metrics.handshakeCompleted(seconds: 0.3)     // le="0.5"
        metrics.handshakeCompleted(seconds: 42)      // only +Inf
        metrics.handshakeCompleted(seconds: .nan)    // ignored

        let text = metrics.prometheusText()
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        #expect(samples == [
            "stream_config_relay_connections_open 2",
            "stream_config_relay_connections_total 3",
            "stream_config_relay_handshakes_pending 0",
            "stream_config_relay_accept_errors_total 0",
            "stream_config_relay_bytes_total{direction=\"child_to_parent\"} 1499",
            "stream_config_relay_bytes_total{direction=\"parent_to_child\"} 50",
            "stream_config_relay_refusals_total{reason=\"already_connected\"} 1",
            "stream_config_relay_refusals_total{reason=\"bad_key\"} 2",
            "stream_config_relay_upstream_failures_total{destination=\"10.0.0.5:19999\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.001\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.0025\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.005\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.01\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.025\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.05\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.1\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.25\"} 1",
            "stream_config_relay_handshake_seconds_bucket{le=\"0.5\"} 2",
            "stream_config_relay_handshake_seconds_bucket{le=\"1\"} 2",
            "stream_config_relay_handshake_seconds_bucket{le=\"2.5\"} 2",
            "stream_config_relay_handshake_seconds_bucket{le=\"5\"} 2",
            "stream_config_relay_handshake_seconds_bucket{le=\"10\"} 2",
            "stream_config_relay_handshake_seconds_bucket{le=\"+Inf\"} 3",
            "stream_config_relay_handshake_seconds_sum 42.301",
            "stream_config_relay_handshake_seconds_count 3",
        ])
        #expect(metrics.connectionsOpen == 2)
        #expect(metrics.bytesChildToParent == 1499)
    }

    @Test func labelValuesAreEscaped() {
        let metrics = RelayMetrics()
        metrics.upstreamFailure(destination: "a\"b\\c\nd\r\ne")
        #expect(metrics.prometheusText().contains(
            #"stream_config_relay_upstream_failures_total{destination="a\"b\\c\nd\#r\ne"} 1"# + "\n"))
    }

    @Test func labelCardinalityIsBounded() {
        let metrics = RelayMetrics()
        for index in 0..<(RelayMetrics.maxLabelValues + 5) { metrics.upstreamFailure(destination: "host\(index):19999") }
        metrics.upstreamFailure(destination: "host0:19999")  // known values keep counting
        let lines = metrics.prometheusText().split(separator: "\n").filter { $0.hasPrefix("stream_config_relay_upstream_failures_total{") }
        #expect(lines.count == RelayMetrics.maxLabelValues + 1)
        #expect(lines.contains("stream_config_relay_upstream_failures_total{destination=\"other\"} 5"))
        #expect(lines.contains("stream_config_relay_upstream_failures_total{destination=\"host0:19999\"} 2"))
    }

    @Test func concurrentUpdatesAreNotLost() async {
        let metrics = RelayMetrics()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 {
                        metrics.connectionOpened()
                        metrics.bytesFromChildren(3)
                        metrics.refused(reason: "busy")
                        metrics.handshakeCompleted(seconds: 0.002)
                        metrics.connectionClosed()
                    }
                }
            }
        }
        let text = metrics.prometheusText()
        #expect(metrics.connectionsOpen == 0)
        #expect(metrics.connectionsTotal == 8000)
        #expect(metrics.bytesChildToParent == 24000)
        #expect(text.contains("stream_config_relay_refusals_total{reason=\"busy\"} 8000\n"))
        #expect(text.contains("stream_config_relay_handshake_seconds_count 8000\n"))
        #expect(text.contains("stream_config_relay_handshake_seconds_bucket{le=\"0.0025\"} 8000\n"))
    }

    @Test func numbersAreFormattedForPrometheus() {
        #expect(RelayMetrics.formatNumber(1) == "1")
        #expect(RelayMetrics.formatNumber(0.0025) == "0.0025")
        #expect(RelayMetrics.formatNumber(.infinity) == "+Inf")
        #expect(RelayMetrics.formatNumber(-.infinity) == "-Inf")
        #expect(RelayMetrics.formatNumber(.nan) == "NaN")
    }
}
