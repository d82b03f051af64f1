import StreamConfig
import Testing
@testable import StreamConfigSystem

/// What `doctor` says of a parent's certificate, and the identity it probes with.
@Suite struct DoctorSupportTests {
    @Test func testAPresentedCertificateIsDescribed() throws {
        let made = try GeneratedTLS.make(names: [.dns("parent")], days: 400)
        let fine = CertificateDiagnosis.presented(made.der)
        #expect(fine.verdict == .accepted && fine.code == "tls-certificate" && fine.fix == nil)
        #expect(fine.summary.contains("SHA-256 \(TLSInspect.fingerprint(made.der))"))
        let short = try GeneratedTLS.make(names: [.dns("parent")], days: 3)
        #expect(CertificateDiagnosis.presented(short.der).code == "tls-certificate-expiring")
        let unreadable = CertificateDiagnosis.presented([1, 2, 3])
        #expect(unreadable.summary.hasPrefix("the parent's certificate cannot be read here"))
    }

    @Test func testAnUntrustedCertificateNamesWhatWasTrusted() throws {
        let made = try GeneratedTLS.make(names: [.dns("parent")], days: 30)
        let diagnosis = CertificateDiagnosis.untrusted(made.der, caFile: "/etc/netdata/ssl/parent.crt", caPath: nil)
        #expect(diagnosis.verdict == .refused && diagnosis.code == "tls-certificate-untrusted")
        #expect(diagnosis.summary.contains("(self-signed)"))
        #expect(diagnosis.summary.hasSuffix("CAfile /etc/netdata/ssl/parent.crt (and the system's CAs) do not vouch for it"))
    }

    /// The GUID comes from the registry file Netdata keeps (netdata.conf says where), or from
    /// --machine-guid; never made up: without it there is none, and the reason names the file.
    @Test func testTheIdentityComesFromTheRegistryOrIsUnknown() throws {
        let dir = try Scratch()
        let guid = "0b5f1c7e-1234-4cde-8f00-aabbccddeeff"
        try dir.file("netdata.public.unique.id", guid + "\n")
        let netdata = Ini(Document("[global]\n    hostname = child1\n[directories]\n    registry = \(dir.path)\n"))
        let found = NodeIdentity.find(hostname: nil, machineGUID: nil, netdata: netdata)
        #expect(found.hostname == "child1" && found.machineGUID == guid && found.problem == nil)
        let given = NodeIdentity.find(hostname: "h", machineGUID: "g", netdata: netdata)
        #expect(given.hostname == "h" && given.machineGUID == "g")
        let none = NodeIdentity.find(hostname: "h", machineGUID: nil, netdata: Ini(Document("[directories]\n    registry = \(dir.path("none"))\n")))
        #expect(none.machineGUID == nil)
        #expect(none.problem == "\(dir.path("none"))/netdata.public.unique.id does not exist", "\(none.problem ?? "")")
        // `[directories] lib` is the registry's parent by default; `[registry] netdata unique id file` wins.
        #expect(NodeIdentity.registryFile(nil) == "/var/lib/netdata/registry/netdata.public.unique.id")
        #expect(NodeIdentity.registryFile(Ini(Document("[directories]\n    lib = /srv/nd\n"))) == "/srv/nd/registry/netdata.public.unique.id")
        let named = Ini(Document("[directories]\n    registry = /x\n[registry]\n    netdata unique id file = \(dir.path)/netdata.public.unique.id\n"))
        #expect(NodeIdentity.find(hostname: "h", machineGUID: nil, netdata: named).machineGUID == guid)
        try dir.file("bad.id", "not a guid\n")
        let bad = NodeIdentity.find(hostname: "h", machineGUID: nil, netdata: Ini(Document("[registry]\n    netdata unique id file = \(dir.path("bad.id"))\n")))
        #expect(bad.machineGUID == nil && bad.problem?.hasSuffix("does not hold a machine GUID") == true)
    }

    /// stream.conf is where netdata.conf's `[directories] config` says, as Netdata looks for it.
    @Test func testStreamConfIsFoundThroughDirectoriesConfig() {
        let base = ConfigDirectories(user: "/etc/netdata", stock: "/usr/lib/netdata/conf.d")
        let moved = base.forNetdata(Ini(Document("[directories]\n    config = /srv/nd/etc\n")))
        #expect(moved.userFile() == "/srv/nd/etc/stream.conf" && moved.stock == "/usr/lib/netdata/conf.d")
        let both = base.forNetdata(Ini(Document("[directories]\n    config = /a\n    stock config = /b\n")))
        #expect(both.userFile() == "/a/stream.conf" && both.stockFile() == "/b/stream.conf")
        #expect(base.forNetdata(nil).user == "/etc/netdata" && base.forNetdata(Ini(Document("[global]\n"))).user == "/etc/netdata")
    }
}
