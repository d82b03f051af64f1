import NIOCore
import NIOSSL
import StreamConfig

/// The relay's stream.conf, accepted only if it lints without errors, plus what is derived from
/// it once (the TLS client context for `:SSL` parents). Immutable: a reload builds a new one.
public struct RelayConfiguration: Sendable {
    public let file: String
    public let document: Document
    public let ini: Ini
    public let report: LintReport
    /// How TLS parents are checked (`[stream]` ssl/CA settings).
    public let tlsSettings: ProxyTLSSettings
    /// For `:SSL` destinations.
    let upstreamTLS: NIOSSLContext?
    /// Why `upstreamTLS` fell back to the system CAs or is missing, if it did.
    public let tlsWarning: String?
    /// Service names used as destination ports, resolved here (off the event loops).
    public let servicePorts: ServicePorts
    /// Admission of the usual child, worked out here once instead of per request.
    let admission: AdmissionTable

    public var target: NetdataTarget { report.target }

    /// `FILE:LINE: message` for every option the relay reads but does not honour (SC9xx), for
    /// the log at start and on reload.
    public var unhonoured: [String] {
        report.diagnostics.filter { $0.code.hasPrefix("SC9") }.map { "\($0.file):\($0.line): \($0.message) [\($0.code)]" }
    }

    /// Lints `bytes` as the relay's file (`lint --relay`; `target` nil = infer, as `lint` does)
    /// and refuses a file with errors.
    public static func load(bytes: [UInt8], file: String, target: NetdataTarget? = nil, fileMode: UInt32? = nil) throws(RelayConfigurationError) -> RelayConfiguration {
        let document = Document(bytes: bytes)
        let report = Linter.lint(document: document, file: file, options: LintOptions(target: target, fileMode: fileMode, relay: true))
        if report.hasErrors { throw RelayConfigurationError(file: file, report: report, document: document) }
        return RelayConfiguration(file: file, document: document, report: report)
    }

    init(file: String, document: Document, report: LintReport) {
        self.file = file
        self.document = document
        self.ini = Ini(document)
        self.report = report
        self.tlsSettings = ProxyTLSSettings(ini: ini)
        self.servicePorts = ServicePorts.resolving(ini)
        self.admission = AdmissionTable(ini: ini, target: report.target)
        // A TLS context holds the parsed system CA bundle (about a megabyte): build it only when
        // some destination can use TLS (`:SSL` appears in no value otherwise).
        if Self.mentionsTLS(ini) {
            (self.upstreamTLS, self.tlsWarning) = Self.makeClientContext(tlsSettings)
        } else {
            (self.upstreamTLS, self.tlsWarning) = (nil, nil)
        }
    }

    /// Whether any option value contains `:SSL`, the only way a destination asks for TLS.
    static func mentionsTLS(_ ini: Ini) -> Bool {
        ini.sections.contains { section in section.options.contains { $0.value.contains(":SSL") } }
    }

    /// Netdata's rules (spec 4, stream-conf 2.1): verification on unless `ssl skip certificate
    /// verification`; `CAfile`/`CApath` replace the system CAs; when they cannot be loaded,
    /// Netdata falls back to the system CAs (with an info message), and so do we. Unlike
    /// Netdata, the parent's name (or IP) is checked against its certificate too.
    static func makeClientContext(_ settings: ProxyTLSSettings) -> (NIOSSLContext?, String?) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = settings.skipCertificateVerification ? .none : .fullVerification
        let custom = [settings.caFile, settings.caPath].compactMap { $0 }
        if !settings.skipCertificateVerification, let first = custom.first {
            var withCustom = configuration
            withCustom.trustRoots = .file(first)
            withCustom.additionalTrustRoots = custom.dropFirst().map { .file($0) }
            if let context = try? NIOSSLContext(configuration: withCustom) { return (context, nil) }
            let names = [settings.caFile.map { "CAfile \($0)" }, settings.caPath.map { "CApath \($0)" }].compactMap { $0 }
            let warning = "cannot load \(names.joined(separator: " and ")); verifying TLS parents with the system CAs instead"
            return ((try? NIOSSLContext(configuration: configuration)), warning)
        }
        do {
            return (try NIOSSLContext(configuration: configuration), nil)
        } catch {
            return (nil, "cannot create a TLS client context (\(error)); :SSL parents cannot be reached")
        }
    }
}

/// A stream.conf the relay will not run with.
public struct RelayConfigurationError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let report: LintReport
    public let document: Document

    public var description: String {
        "\(file): \(report.errorCount) error(s); the relay does not run with a stream.conf that has lint errors"
    }
}
