import Testing
@testable import StreamRelay

@Suite struct StreamRelayVersionTests {
    @Test func testVersionIsSet() { #expect(!StreamRelay.version.isEmpty) }
}
