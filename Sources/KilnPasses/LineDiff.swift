/// A unified diff (`diff -u` style, 3 lines of context) between two texts, line by line; empty when
/// they are equal.
///
/// Lines common to both ends are set aside first; the middle is matched by a longest common
/// subsequence when it is small enough (`maxMatchedCells` table cells), and otherwise shown as
/// removed then added, which is still a correct diff.
public func unifiedDiff(from old: String, to new: String, oldLabel: String, newLabel: String,
                        context: Int = 3) -> String {
    let a = lines(of: old), b = lines(of: new)
    let edits = editScript(a, b)
    guard edits.contains(where: { $0.kind != .keep }) else { return "" }
    var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
    for hunk in hunks(edits, context: context) {
        let slice = edits[hunk]
        let oldCount = slice.filter { $0.kind != .insert }.count
        let newCount = slice.filter { $0.kind != .delete }.count
        let first = edits[hunk.lowerBound]
        out += "@@ -\(range(first.oldLine, oldCount)) +\(range(first.newLine, newCount)) @@\n"
        for edit in slice {
            switch edit.kind {
            case .keep: out += " " + a[edit.oldLine]
            case .delete: out += "-" + a[edit.oldLine]
            case .insert: out += "+" + b[edit.newLine]
            }
            out += "\n"
        }
    }
    return out
}

/// Largest `old × new` table the line matcher fills (about 16 MB of counts).
private let maxMatchedCells = 1 << 22

private enum EditKind { case keep, delete, insert }

/// One line of the edit script, with the (0-based) positions it has reached in both texts.
private struct Edit {
    var kind: EditKind
    var oldLine: Int
    var newLine: Int
}

private func lines(of text: String) -> [Substring] {
    var result = text.split(separator: "\n", omittingEmptySubsequences: false)
    if result.last == "" { result.removeLast() }
    return result
}

private func editScript(_ a: [Substring], _ b: [Substring]) -> [Edit] {
    var prefix = 0
    while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
    var suffix = 0
    while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
    let midA = a[prefix..<(a.count - suffix)], midB = b[prefix..<(b.count - suffix)]

    var edits = (0..<prefix).map { Edit(kind: .keep, oldLine: $0, newLine: $0) }
    var i = midA.startIndex, j = midB.startIndex
    if midA.count * midB.count <= maxMatchedCells {
        // common[x][y]: length of the longest common subsequence of midA[x...] and midB[y...].
        let width = midB.count + 1
        var common = [Int32](repeating: 0, count: (midA.count + 1) * width)
        for x in stride(from: midA.count - 1, through: 0, by: -1) {
            for y in stride(from: midB.count - 1, through: 0, by: -1) {
                common[x * width + y] = midA[prefix + x] == midB[prefix + y]
                    ? common[(x + 1) * width + y + 1] + 1
                    : max(common[(x + 1) * width + y], common[x * width + y + 1])
            }
        }
        while i < midA.endIndex, j < midB.endIndex {
            let (x, y) = (i - prefix, j - prefix)
            if midA[i] == midB[j] {
                edits.append(Edit(kind: .keep, oldLine: i, newLine: j)); i += 1; j += 1
            } else if common[(x + 1) * width + y] >= common[x * width + y + 1] {
                edits.append(Edit(kind: .delete, oldLine: i, newLine: j)); i += 1
            } else {
                edits.append(Edit(kind: .insert, oldLine: i, newLine: j)); j += 1
            }
        }
    }
    while i < midA.endIndex { edits.append(Edit(kind: .delete, oldLine: i, newLine: j)); i += 1 }
    while j < midB.endIndex { edits.append(Edit(kind: .insert, oldLine: i, newLine: j)); j += 1 }
    for k in 0..<suffix { edits.append(Edit(kind: .keep, oldLine: i + k, newLine: j + k)) }
    return edits
}

/// Ranges of `edits` to show: every change with up to `context` unchanged lines around it, merged
/// when they touch.
private func hunks(_ edits: [Edit], context: Int) -> [Range<Int>] {
    var result: [Range<Int>] = []
    for (k, edit) in edits.enumerated() where edit.kind != .keep {
        let wanted = max(0, k - context)..<min(edits.count, k + context + 1)
        if let last = result.last, wanted.lowerBound <= last.upperBound {
            result[result.count - 1] = last.lowerBound..<wanted.upperBound
        } else {
            result.append(wanted)
        }
    }
    return result
}

/// `start,count` of a hunk header (1-based; an empty range names the line before it).
private func range(_ start: Int, _ count: Int) -> String {
    "\(count == 0 ? start : start + 1),\(count)"
}
