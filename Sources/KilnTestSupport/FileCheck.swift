/// A small FileCheck: directives in `#` comments of a `.kir` file say what to run on the IR and
/// what the output must contain, so a test holds input, command and expectation in one file.
///
/// - `# RUN: fold,cse` — run these passes and check the printed IR (`--fast-math` after the list
///   turns on fast-math rules); `# RUN: emit-c` — check the C that code generation writes
///   (`--accumulators N` sets the reduction accumulators, `--threads N` the threads of parallel
///   loops, 1 when not given).
/// - `# CHECK: text` — the next output line containing `text`, after the previous match.
/// - `# CHECK-NEXT: text` — the line right after the previous match contains `text`.
/// - `# CHECK-NOT: text` — no line between the previous match and the next one (or the end of
///   the block) contains `text`.
/// - `# CHECK-LABEL: text` — labels are matched first, in order; they cut the output into blocks,
///   and the directives after a label match only within its block (up to the next label).
/// - `# -----` on a line of its own splits the file into independent cases, each with its own
///   IR and directives; the RUN line (in the first case) applies to all.
///
/// Matching is by substring on whole lines; each line matches at most one directive.
public struct CheckFile: Sendable {
    /// What the RUN line asks for.
    public enum Command: Equatable, Sendable {
        case passes(String, fastMath: Bool)
        case emitC(accumulators: Int?, threads: Int = 1)
    }

    public var command: Command
    /// The cases of the file, split at `# -----` lines.
    public var cases: [CheckCase]

    /// The pass list of a `passes` RUN line ("" for `emit-c`).
    public var passes: String {
        if case .passes(let list, _) = command { return list }
        return ""
    }

    public var fastMath: Bool {
        if case .passes(_, let fastMath) = command { return fastMath }
        return false
    }

    /// Every directive of every case, in file order.
    public var directives: [CheckDirective] { cases.flatMap(\.directives) }

    /// Reads the RUN line and the cases of `text`; a file without a RUN line, or a case without
    /// CHECKs, is an error.
    public init(parsing text: String) throws(CheckError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var run: String?
        var cases: [CheckCase] = []
        var start = 0
        for end in lines.indices.filter({ lines[$0].trimmed == "# -----" }) + [lines.count] {
            var directives: [CheckDirective] = []
            for index in start..<end {
                let line = lines[index].drop(while: \.isWhitespace)
                guard line.hasPrefix("#") else { continue }
                let comment = line.dropFirst().drop(while: \.isWhitespace)
                guard let colon = comment.firstIndex(of: ":") else { continue }
                let keyword = String(comment[..<colon])
                let value = String(comment[comment.index(after: colon)...]).trimmed
                if keyword == "RUN" {
                    guard run == nil else { throw CheckError("line \(index + 1): a second RUN line") }
                    run = value
                } else if let kind = CheckDirective.Kind(rawValue: keyword) {
                    guard !value.isEmpty else { throw CheckError("line \(index + 1): \(keyword) needs a pattern") }
                    directives.append(CheckDirective(kind: kind, pattern: value, line: index + 1))
                }
            }
            guard directives.contains(where: { $0.kind != .not }) else {
                throw CheckError("lines \(start + 1)-\(end): no CHECK line in this case")
            }
            // Earlier lines blanked, so that errors in the case's IR name the file's own lines.
            let input = Array(repeating: "", count: start) + lines[start..<end]
            cases.append(CheckCase(input: input.joined(separator: "\n"), directives: directives))
            start = end + 1
        }
        guard let run else { throw CheckError("no '# RUN: <passes>' or '# RUN: emit-c' line") }
        command = try Self.command(run)
        self.cases = cases
    }

    /// Checks `output` against the directives of a file that is one case.
    public func check(_ output: String) throws(CheckError) {
        guard cases.count == 1 else { throw CheckError("the file has \(cases.count) cases; check each") }
        try cases[0].check(output)
    }

    private static func command(_ run: String) throws(CheckError) -> Command {
        var words = run.split(separator: " ").map(String.init)
        if words.first == "emit-c" {
            var (accumulators, threads): (Int?, Int) = (nil, 1)
            var rest = words.dropFirst()
            while rest.count >= 2, let n = Int(rest[rest.startIndex + 1]) {
                switch rest.first {
                case "--accumulators": accumulators = n
                case "--threads": threads = n
                default: throw CheckError("RUN line '\(run)': unknown option '\(rest.first ?? "")'")
                }
                rest = rest.dropFirst(2)
            }
            guard rest.isEmpty else {
                throw CheckError("RUN line '\(run)' must be 'emit-c', optionally followed by '--accumulators N' and '--threads N'")
            }
            return .emitC(accumulators: accumulators, threads: threads)
        }
        let fastMath = words.contains("--fast-math")
        words.removeAll { $0 == "--fast-math" }
        guard words.count == 1 else { throw CheckError("RUN line '\(run)' must be a pass list, optionally followed by --fast-math") }
        return .passes(words[0], fastMath: fastMath)
    }
}

/// One directive of a check file.
public struct CheckDirective: Sendable {
    public enum Kind: String, Sendable { case check = "CHECK", next = "CHECK-NEXT", not = "CHECK-NOT", label = "CHECK-LABEL" }
    public var kind: Kind
    public var pattern: String
    /// Line of the directive in the check file (1-based).
    public var line: Int
}

/// One case of a check file: its input text and its directives.
public struct CheckCase: Sendable {
    /// The case's lines, earlier cases' lines blank (so line numbers are the file's).
    public var input: String
    public var directives: [CheckDirective]

    /// Checks `output` against the directives; the error names the failing directive and where
    /// the search was.
    public func check(_ output: String) throws(CheckError) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Labels first: each cuts the output where it matches.
        var blocks: [(directives: [CheckDirective], label: Int?)] = [([], nil)]
        var cursor = 0
        for d in directives {
            guard d.kind == .label else {
                blocks[blocks.count - 1].directives.append(d)
                continue
            }
            guard let hit = (cursor..<lines.count).first(where: { lines[$0].contains(d.pattern) }) else {
                throw CheckError("line \(d.line): CHECK-LABEL: '\(d.pattern)' not found after output line \(cursor)")
            }
            blocks.append(([], hit))
            cursor = hit + 1
        }
        for (k, block) in blocks.enumerated() {
            let end = k + 1 < blocks.count ? blocks[k + 1].label ?? lines.count : lines.count
            try checkBlock(block.directives, lines, after: block.label, end: end)
        }
    }

    /// The directives of one block: lines after `label` (or from the start) up to `end`.
    private func checkBlock(_ directives: [CheckDirective], _ lines: [String], after label: Int?, end: Int) throws(CheckError) {
        var cursor = label.map { $0 + 1 } ?? 0
        var previousMatch = label
        var forbidden: [CheckDirective] = []

        func checkForbidden(upTo stop: Int) throws(CheckError) {
            for d in forbidden {
                if let hit = (cursor..<stop).first(where: { lines[$0].contains(d.pattern) }) {
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
                guard let hit = (cursor..<end).first(where: { lines[$0].contains(d.pattern) }) else {
                    throw CheckError("line \(d.line): CHECK: '\(d.pattern)' not found between output lines \(cursor + 1) and \(end)")
                }
                try checkForbidden(upTo: hit)
                previousMatch = hit
                cursor = hit + 1
            case .next:
                guard let previous = previousMatch else {
                    throw CheckError("line \(d.line): CHECK-NEXT needs a CHECK before it")
                }
                guard cursor < end, lines[cursor].contains(d.pattern) else {
                    let found = cursor < end ? lines[cursor] : "the end of the block"
                    throw CheckError("line \(d.line): CHECK-NEXT: '\(d.pattern)' is not on the line after output line \(previous + 1); found: \(found)")
                }
                try checkForbidden(upTo: cursor)
                previousMatch = cursor
                cursor += 1
            case .label:
                break  // matched before the blocks
            }
        }
        try checkForbidden(upTo: end)
    }
}

public struct CheckError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    var trimmed: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
