import Logging
import NIOCore

/// The relay's command-line options as values (`stream-config relay`), checked, and turned into
/// what the relay runs with: listen addresses, TLS files and `RelayLimits`.
public struct RelaySettings: Sendable, Equatable {
    public var listen: [String] = []
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var metricsListen: String?
    /// Seconds.
    public var requestTimeout: Double = 30
    public var connectTimeout: Double = 5
    public var upstreamTimeout: Double = 20
    public var idleTimeout: Double = 900
    public var drainTimeout: Double = 10
    public var maxConnections = 4096
    public var maxHandshakes = 1024
    public var maxHandshakesPerAddress = 128
    /// Milliseconds.
    public var coalesceMs: Double = 5
    public var logLevel = "info"

    public init() {}

    /// Why the options cannot be used (a usage error), worded for the command line.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Checks every option; the first problem found is thrown.
    public func validate() throws(Invalid) {
        if listen.isEmpty { throw Invalid(message: "give at least one --listen HOST:PORT") }
        for address in listen {
            do { _ = try ListenAddress.parse(address) } catch { throw Invalid(message: error.describing(option: "--listen")) }
        }
        if let metricsListen {
            do { _ = try ListenAddress.parse(metricsListen) } catch { throw Invalid(message: error.describing(option: "--metrics-listen")) }
        }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw Invalid(message: "--tls-certificate and --tls-key go together") }
        if Logger.Level(rawValue: logLevel) == nil { throw Invalid(message: "invalid --log-level '\(logLevel)'") }
        for (name, value) in [("request", requestTimeout), ("connect", connectTimeout), ("upstream", upstreamTimeout),
                              ("idle", idleTimeout), ("drain", drainTimeout)] where !(value > 0 && value < 1e7) {
            throw Invalid(message: "--\(name)-timeout must be a positive number of seconds")
        }
        for (name, value) in [("max-connections", maxConnections), ("max-handshakes", maxHandshakes),
                              ("max-handshakes-per-address", maxHandshakesPerAddress)] where value < 1 {
            throw Invalid(message: "--\(name) must be at least 1")
        }
        if !(coalesceMs >= 0 && coalesceMs <= 1000) { throw Invalid(message: "--coalesce-ms must be between 0 and 1000") }
    }

    /// The `--listen` addresses (those that parse; `validate` refuses the others).
    public var listenAddresses: [ListenAddress] { listen.compactMap { try? ListenAddress.parse($0) } }

    public var metricsAddress: ListenAddress? { metricsListen.flatMap { try? ListenAddress.parse($0) } }

    public var tlsFiles: ServerTLSFiles? {
        guard let tlsCertificate, let tlsKey else { return nil }
        return ServerTLSFiles(certificateChain: tlsCertificate, privateKey: tlsKey)
    }

    public var level: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }

    public var limits: RelayLimits {
        var limits = RelayLimits()
        limits.requestTimeout = Self.amount(seconds: requestTimeout)
        limits.connectTimeout = Self.amount(seconds: connectTimeout)
        limits.upstreamBudget = Self.amount(seconds: upstreamTimeout)
        limits.idleTimeout = Self.amount(seconds: idleTimeout)
        limits.drainTimeout = Self.amount(seconds: drainTimeout)
        limits.maxConnections = maxConnections
        limits.maxPendingHandshakes = maxHandshakes
        limits.maxPendingHandshakesPerAddress = maxHandshakesPerAddress
        limits.readCoalescing = .nanoseconds(Int64(coalesceMs * 1_000_000))
        return limits
    }

    /// Seconds as a `TimeAmount` (nanoseconds, truncated).
    public static func amount(seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
}
