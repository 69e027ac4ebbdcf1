/// A small FileCheck: directives in `#` comments of a `.kir` file say which passes to run and what
/// the output must contain.
///
/// - `# RUN: fold,cse` — the pass list (`--fast-math` after it turns on fast-math rules).
/// - `# CHECK: text` — the next output line containing `text`, after the previous match.
/// - `# CHECK-NEXT: text` — the line right after the previous match contains `text`.
/// - `# CHECK-NOT: text` — no line between the previous match and the next one (or the end of the
///   output) contains `text`.
///
/// Matching is by substring on whole lines; each line matches at most one CHECK or CHECK-NEXT.
struct CheckFile {
    enum Kind: String { case check = "CHECK", next = "CHECK-NEXT", not = "CHECK-NOT" }

    struct Directive {
        var kind: Kind
        var pattern: String
        /// Line of the directive in the check file (1-based).
        var line: Int
    }

    var passes: String
    var fastMath: Bool
    var directives: [Directive]

    /// Reads the directives of `text`; a file without a RUN line or without CHECKs is an error.
    init(parsing text: String) throws(CheckError) {
        var run: String?
        var directives: [Directive] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.drop(while: \.isWhitespace)
            guard line.hasPrefix("#") else { continue }
            let comment = line.dropFirst().drop(while: \.isWhitespace)
            guard let colon = comment.firstIndex(of: ":") else { continue }
            let keyword = String(comment[..<colon])
            let value = String(comment[comment.index(after: colon)...]).trimmed
            if keyword == "RUN" {
                guard run == nil else { throw CheckError("line \(index + 1): a second RUN line") }
                run = value
            } else if let kind = Kind(rawValue: keyword) {
                guard !value.isEmpty else { throw CheckError("line \(index + 1): \(keyword) needs a pattern") }
                directives.append(Directive(kind: kind, pattern: value, line: index + 1))
            }
        }
        guard let run else { throw CheckError("no '# RUN: <passes>' line") }
        guard directives.contains(where: { $0.kind != .not }) else { throw CheckError("no CHECK line") }
        var words = run.split(separator: " ").map(String.init)
        fastMath = words.contains("--fast-math")
        words.removeAll { $0 == "--fast-math" }
        guard words.count == 1 else { throw CheckError("RUN line '\(run)' must be a pass list, optionally followed by --fast-math") }
        passes = words[0]
        self.directives = directives
    }

    /// Checks `output` against the directives; the error names the failing directive and where the
    /// search was.
    func check(_ output: String) throws(CheckError) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        var cursor = 0
        var previousMatch: Int?
        var forbidden: [Directive] = []

        func checkForbidden(upTo end: Int) throws(CheckError) {
            for d in forbidden {
                if let hit = (cursor..<end).first(where: { lines[$0].contains(d.pattern) }) {
                    throw CheckError("line \(d.line): CHECK-NOT: '\(d.pattern)' found on output line \(hit + 1): \(lines[hit])")
                }
            }
            forbidden = []
        }

        for d in directives {
            switch d.kind {
            case .not:
                forbidden.append(d)
            case .check:
                guard let hit = (cursor..<lines.count).first(where: { lines[$0].contains(d.pattern) }) else {
                    throw CheckError("line \(d.line): CHECK: '\(d.pattern)' not found after output line \(cursor)")
                }
                try checkForbidden(upTo: hit)
                previousMatch = hit
                cursor = hit + 1
            case .next:
                guard let previous = previousMatch else {
                    throw CheckError("line \(d.line): CHECK-NEXT needs a CHECK before it")
                }
                guard cursor < lines.count, lines[cursor].contains(d.pattern) else {
                    let found = cursor < lines.count ? String(lines[cursor]) : "the end of the output"
                    throw CheckError("line \(d.line): CHECK-NEXT: '\(d.pattern)' is not on the line after output line \(previous + 1); found: \(found)")
                }
                try checkForbidden(upTo: cursor)
                previousMatch = cursor
                cursor += 1
            }
        }
        try checkForbidden(upTo: lines.count)
    }
}

struct CheckError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension String {
    var trimmed: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
