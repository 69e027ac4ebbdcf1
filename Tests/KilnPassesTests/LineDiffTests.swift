import Foundation
import KilnPasses
import KilnTestSupport
import Testing

@Suite struct LineDiffTests {
    @Test func equalTextsGiveNoDiff() {
        #expect(unifiedDiff(from: "a\nb\n", to: "a\nb\n", oldLabel: "x", newLabel: "y") == "")
    }

    @Test func distantChangesMakeSeparateHunks() {
        let old = (1...12).map { "l\($0)" }.joined(separator: "\n")
        let new = old.replacingOccurrences(of: "l2\n", with: "").replacingOccurrences(of: "l11", with: "L11")
        #expect(unifiedDiff(from: old, to: new, oldLabel: "a", newLabel: "b") == """
        --- a
        +++ b
        @@ -1,5 +1,4 @@
         l1
        -l2
         l3
         l4
         l5
        @@ -8,5 +7,5 @@
         l8
         l9
         l10
        -l11
        +L11
         l12

        """)
    }

    /// Applies a unified diff to `old`, hunk by hunk, checking every context and removed line.
    private func patch(_ old: [String], with diff: String) -> [String]? {
        var lines = diff.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count >= 2 else { return lines.isEmpty ? old : nil }
        var out: [String] = []
        var position = 0  // next unread line of old
        for line in lines.dropFirst(2) {
            if line.hasPrefix("@@") {
                // "@@ -start,count +start,count @@": copy the untouched lines before the hunk.
                let start = Int(line.dropFirst(4).prefix { $0 != "," }) ?? -1
                let count = Int(line.split(separator: " ")[1].split(separator: ",")[1]) ?? -1
                let first = count == 0 ? start : start - 1
                guard first >= position, first <= old.count else { return nil }
                out += old[position..<first]
                position = first
            } else if line.hasPrefix("+") {
                out.append(String(line.dropFirst()))
            } else {
                guard position < old.count, old[position] == String(line.dropFirst()) else { return nil }
                if line.hasPrefix(" ") { out.append(old[position]) }
                position += 1
            }
        }
        return out + old[position...]
    }

    @Test(arguments: [(8, 6), (40, 30), (300, 200)])
    func randomEditsPatchBack(lines: Int, edits: Int) throws {
        var rng = SplitMix64(seed: UInt64(lines))
        for _ in 0..<20 {
            let old = (0..<Int.random(in: 0...lines, using: &rng)).map { _ in "v\(Int.random(in: 0..<5, using: &rng))" }
            var new = old
            for _ in 0..<Int.random(in: 0...edits, using: &rng) {
                let k = Int.random(in: 0...new.count, using: &rng)
                if Bool.random(using: &rng) || new.isEmpty {
                    new.insert("w\(Int.random(in: 0..<3, using: &rng))", at: k)
                } else {
                    new.remove(at: min(k, new.count - 1))
                }
            }
            let diff = unifiedDiff(from: old.map { $0 + "\n" }.joined(), to: new.map { $0 + "\n" }.joined(),
                                   oldLabel: "old", newLabel: "new")
            #expect(diff.isEmpty == (old == new))
            #expect(patch(old, with: diff) == new, "\(diff)")
        }
    }

    /// Beyond the matcher's table size the middle is replaced wholesale: still a correct diff.
    @Test func largeChangesStillPatchBack() {
        let old = (0..<2100).map { "v\($0 % 7)" }
        let new = ["first"] + old.dropFirst().dropLast() + ["last"]
        let diff = unifiedDiff(from: old.joined(separator: "\n"), to: new.joined(separator: "\n"), oldLabel: "a", newLabel: "b")
        #expect(diff.hasPrefix("--- a\n+++ b\n@@ -1,2100 +1,2100 @@\n"))
        #expect(patch(old, with: diff) == new)
    }
}

