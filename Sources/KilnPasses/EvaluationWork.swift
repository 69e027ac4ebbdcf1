import KilnIR

/// An estimate of the element operations the reference kernel spends on `op`: each operand and
/// result element once, plus the multiply-adds of contractions and the window of pools. `fold`
/// uses it so that no constant expression makes compilation slow.
func evaluationWork(_ op: Op, _ operands: [TensorType], _ result: TensorType) -> Int {
    let elements = operands.reduce(result.count) { $0 + $1.count }
    let extra = multiplyAdds(op, operands, result)
    return elements.addingReportingOverflow(extra).overflow ? Int.max : elements + extra
}
