import Testing
@testable import StreamConfig

/// Expected outputs are what GNU `diff -U<n> --label old --label new` prints for the same input.
@Suite struct DiffTests {
    private func diff(_ old: String, _ new: String, context: Int = 3) -> String {
        UnifiedDiff.make(old: Document(old), new: Document(new), oldLabel: "old", newLabel: "new", context: context)
    }

    private func numbers(_ range: ClosedRange<Int>, replacing: [Int: String] = [:]) -> String {
        range.map { replacing[$0] ?? String($0) }.joined(separator: "\n") + "\n"
    }

    @Test func identicalDocumentsGiveEmptyString() {
        #expect(diff("", "") == "")
        #expect(diff("[stream]\n    enabled = no\n", "[stream]\n    enabled = no\n") == "")
        #expect(diff("a\r\nb", "a\r\nb") == "")
    }

    @Test func oneChangedLineWithContext() {
        let expected = """
            --- old
            +++ new
            @@ -1,5 +1,5 @@
             1
            -2
            +two
             3
             4
             5
            @@ -15,6 +15,6 @@
             15
             16
             17
            -18
            +eighteen
             19
             20

            """
        #expect(diff(numbers(1...20), numbers(1...20, replacing: [2: "two", 18: "eighteen"])) == expected)
    }

    @Test func changesSixLinesApartShareAHunkAndSevenApartDoNot() {
        let merged = diff(numbers(1...20), numbers(1...20, replacing: [2: "two", 9: "nine"]))
        #expect(merged.split(separator: "\n").filter { $0.hasPrefix("@@") } == ["@@ -1,12 +1,12 @@"])
        let split = diff(numbers(1...20), numbers(1...20, replacing: [2: "two", 10: "ten"]))
        #expect(split.split(separator: "\n").filter { $0.hasPrefix("@@") } == ["@@ -1,5 +1,5 @@", "@@ -7,7 +7,7 @@"])
    }

    @Test func zeroContext() {
        let expected = "--- old\n+++ new\n@@ -2 +2 @@\n-2\n+two\n@@ -8 +8 @@\n-8\n+eight\n"
        #expect(diff(numbers(1...20), numbers(1...20, replacing: [2: "two", 8: "eight"]), context: 0) == expected)
        #expect(diff("a\nb\nc\n", "a\nc\n", context: 0) == "--- old\n+++ new\n@@ -2 +1,0 @@\n-b\n")
    }

    @Test func insertionsAndDeletionsAtTheEdges() {
        #expect(diff("a\nb\n", "x\na\nb\n") == "--- old\n+++ new\n@@ -1,2 +1,3 @@\n+x\n a\n b\n")
        #expect(diff("", "a\nb\n") == "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n")
        #expect(diff("a\nb\n", "") == "--- old\n+++ new\n@@ -1,2 +0,0 @@\n-a\n-b\n")
    }

    @Test func missingFinalNewlineIsMarked() {
        #expect(diff("a\nb", "a\nc") == """
            --- old
            +++ new
            @@ -1,2 +1,2 @@
             a
            -b
            \\ No newline at end of file
            +c
            \\ No newline at end of file

            """)
        #expect(diff("a", "a\n") == "--- old\n+++ new\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n")
    }

    @Test func removedLinesComeBeforeAddedOnes() {
        #expect(diff("a\nb\nc\n", "a\nx\ny\nc\n") == "--- old\n+++ new\n@@ -1,3 +1,4 @@\n a\n-b\n+x\n+y\n c\n")
    }

    @Test func crlfBytesAreKept() {
        let bytes = UnifiedDiff.bytes(old: Document("a\r\nb\r\n"), new: Document("a\r\nc\r\n"), oldLabel: "o", newLabel: "n")
        #expect(bytes == Array("--- o\n+++ n\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n".utf8))
    }

    /// Its speed is measured by lint-bench (`diff` line), not here.
    @Test func tenThousandLinesWithOneChangeIsOneHunk() {
        let old = numbers(1...10_000)
        let new = numbers(1...10_000, replacing: [5_000: "five thousand"])
        #expect(diff(old, new) == """
            --- old
            +++ new
            @@ -4997,7 +4997,7 @@
             4997
             4998
             4999
            -5000
            +five thousand
             5001
             5002
             5003

            """)
    }

    @Test func editorChangeShowsAsOneInPlaceHunk() throws {
        let old = Document("[stream]\n    enabled = no\n\n    #enable compression = yes\n\n[API_KEY]\n    type = api\n")
        var editor = ConfigEditor(old)
        try editor.set(section: "stream", key: "enable compression", value: "no")
        #expect(UnifiedDiff.make(old: old, new: editor.document, oldLabel: "a/stream.conf", newLabel: "b/stream.conf") == """
            --- a/stream.conf
            +++ b/stream.conf
            @@ -1,7 +1,7 @@
             [stream]
                 enabled = no
             \("")
            -    #enable compression = yes
            +    enable compression = no
             \("")
             [API_KEY]
                 type = api

            """)
    }
}
