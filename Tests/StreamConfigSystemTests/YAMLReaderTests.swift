import Testing
@testable import StreamConfigSystem

/// The YAML subset fleet files are read with: what it reads, where, and what it refuses.
@Suite struct YAMLReaderTests {
    static func root(_ text: String) throws -> YAML.Node { try #require(try YAML.parse(text)) }

    static func map(_ node: YAML.Node) -> [String: YAML.Node] {
        guard case .mapping(let mapping) = node else { return [:] }
        return Dictionary(uniqueKeysWithValues: mapping.pairs.map { ($0.key.string ?? "", $0.value) })
    }

    @Test func testBlockAndFlowCollectionsWithMarks() throws {
        let text = """
        # a comment
        ---
        hosts:
          web1:
            address: 10.1.0.11   # trailing comment
            tags: [a, "b c", 'd''e']
          web2: {address: "10.1.0.12", config: hosts/#not-a-comment}
          web3:
        list:
        - x
        - {k: v}
        - key: 1
          other: 2
        """
        let top = Self.map(try Self.root(text))
        let hosts = Self.map(try #require(top["hosts"]))
        let web1 = Self.map(try #require(hosts["web1"]))
        #expect(web1["address"]?.string == "10.1.0.11" && web1["address"]?.mark == YAML.Mark(line: 5, column: 14))
        guard case .sequence(let tags, _) = try #require(web1["tags"]) else { Issue.record("tags"); return }
        #expect(tags.map(\.string) == ["a", "b c", "d'e"])
        let web2 = Self.map(try #require(hosts["web2"]))
        #expect(web2["address"]?.string == "10.1.0.12" && web2["config"]?.string == "hosts/#not-a-comment")
        #expect(hosts["web3"]?.isNull == true)
        guard case .sequence(let list, _) = try #require(top["list"]) else { Issue.record("list"); return }
        #expect(list.count == 3 && list[0].string == "x" && Self.map(list[1])["k"]?.string == "v")
        #expect(Self.map(list[2])["other"]?.string == "2")
    }

    @Test func testScalarsStayText() throws {
        let top = Self.map(try Self.root("netdata: 1.37\nquoted: \"null\"\nempty:\nport: 019999\n"))
        #expect(top["netdata"]?.string == "1.37" && top["port"]?.string == "019999")
        #expect(top["quoted"]?.isNull == false && top["empty"]?.isNull == true)
    }

    @Test func testCRLFAndEmptyDocuments() throws {
        #expect(Self.map(try Self.root("a: 1\r\nb: 2\r\n"))["b"]?.string == "2")
        #expect(try YAML.parse("# only a comment\n\n") == nil)
    }

    @Test(arguments: [
        ("a: 1\na: 2\n", 2, "repeated"),
        ("a: &x 1\n", 1, "anchors"),
        ("a: |\n  text\n", 1, "block scalars"),
        ("a: {b: 1\n", 1, "without `}`"),
        ("a: \"open\n", 1, "does not end"),
        ("a:\n  b: 1\n c: 2\n", 3, "indentation"),
        ("just text\n", 1, "key: value"),
        // Found by the fuzzer: an entry followed by neither `,` nor the bracket repeated empty
        // items until memory ran out (fuzz/regressions/fleet).
        ("a: [b: 1, c]\n", 1, "expected `,` or `]`"),
        ("a: {b: 1 c: 2}\n", 1, "expected `,` or `}`"),
    ])
    func testWhatItRefusesIsAnErrorAtItsLine(_ text: String, _ line: Int, _ words: String) {
        do {
            _ = try YAML.parse(text)
            Issue.record("\(text) was read")
        } catch let error as YAML.Error {
            #expect(error.mark.line == line && error.description.contains(words), "\(error.mark): \(error.description)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
