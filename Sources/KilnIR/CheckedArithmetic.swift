/// Overflow-checked `Int` arithmetic for sizes computed from IR input (shapes and attributes):
/// the result, or an error saying which op and attributes made it overflow.
enum CheckedSize {
    /// `terms` added up; `what` names the op and attributes, e.g. `'pad' attributes 'low' and 'high'`.
    static func sum(_ terms: [Int], _ what: @autoclosure () -> String) throws(KilnError) -> Int {
        var total = 0
        for t in terms {
            let (next, overflow) = total.addingReportingOverflow(t)
            guard !overflow else { throw tooLarge(what()) }
            total = next
        }
        return total
    }

    /// `a * b`; `what` names the op and attributes.
    static func product(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws(KilnError) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw tooLarge(what()) }
        return p
    }

    private static func tooLarge(_ what: String) -> KilnError {
        KilnError("\(what) make the size arithmetic overflow (beyond \(Int.max)); use smaller values")
    }
}
