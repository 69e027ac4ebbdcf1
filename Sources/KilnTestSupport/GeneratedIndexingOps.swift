import KilnIR

/// gather, scatter_add, one_hot.
extension Synthesis {
    /// An integer index tensor of rank at most 2 such that gathering from a rank-`tableRank`
    /// table stays within `maxRank`.
    private func indexOperand(tableRank: Int) throws(KilnError) -> Value {
        let rank = rng.int(0...max(0, min(2, configuration.maxRank - tableRank + 1)))
        return try operand(among: integerDTypes, ranks: rank...rank)
    }

    func addGather() throws(KilnError) {
        let table = try operand(among: DType.allCases, ranks: 1...ShapeLimits.maxRank)
        let rank = type(table).rank
        try emit(.gather(axis: rng.int(0...rank - 1)), [table, try indexOperand(tableRank: rank)])
    }

    func addScatterAdd() throws(KilnError) {
        let target = try operand(among: numericDTypes, ranks: 1...ShapeLimits.maxRank)
        let t = type(target)
        let axis = rng.int(0...t.rank - 1)
        let indices = try indexOperand(tableRank: t.rank)
        let updates = try operand(ofType: try inferResultTypes(.gather(axis: axis), [t, type(indices)])[0])
        try emit(.scatterAdd(axis: axis), [target, indices, updates])
    }

    func addOneHot() throws(KilnError) {
        guard let dtype = rng.element(dtypes) else { throw KilnError("no dtype allowed") }
        let indices = try operand(among: integerDTypes, ranks: 0...max(0, configuration.maxRank - 1))
        try emit(.oneHot(depth: rng.int(1...max(1, configuration.maxDimension)), dtype: dtype), [indices])
    }
}
