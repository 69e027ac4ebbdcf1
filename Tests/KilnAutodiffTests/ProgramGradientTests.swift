import KilnAutodiff
import KilnIR
import KilnRuntime
import Testing

/// Whole programs, checked against central differences in f64 with respect to all their weights.
@Suite struct ProgramGradientTests {
    static let mlp = """
    func @mlp(%x: f64[4,5], %labels: i32[4], %w1: f64[5,6], %b1: f64[6], %w2: f64[6,3], %b2: f64[3]) -> (f64[]) {
      %h = matmul(%x, %w1) : f64[4,6]
      %bb1 = broadcast_in_dim(%b1) {shape = [4,6], dims = [1]} : f64[4,6]
      %z = add(%h, %bb1) : f64[4,6]
      %a = relu(%z) : f64[4,6]
      %o = matmul(%a, %w2) : f64[4,3]
      %bb2 = broadcast_in_dim(%b2) {shape = [4,3], dims = [1]} : f64[4,3]
      %logits = add(%o, %bb2) : f64[4,3]
      %m = reduce_max(%logits) {axes = [1]} : f64[4]
      %mb = broadcast_in_dim(%m) {shape = [4,3], dims = [0]} : f64[4,3]
      %shifted = sub(%logits, %mb) : f64[4,3]
      %e = exp(%shifted) : f64[4,3]
      %se = reduce_sum(%e) {axes = [1]} : f64[4]
      %lse = log(%se) : f64[4]
      %lseb = broadcast_in_dim(%lse) {shape = [4,3], dims = [0]} : f64[4,3]
      %logp = sub(%shifted, %lseb) : f64[4,3]
      %onehot = one_hot(%labels) {depth = 3, dtype = "f64"} : f64[4,3]
      %picked = mul(%logp, %onehot) : f64[4,3]
      %total = reduce_sum(%picked) {axes = [0,1]} : f64[]
      %scale = constant() {value = -0.25} : f64[]
      %loss = mul(%total, %scale) : f64[]
      return %loss
    }
    """

    /// Random values for every parameter of `f`; integer parameters are class labels in `0..<classes`.
    static func inputs(_ f: Function, seed: UInt64, classes: Int = 3) throws -> [HostTensor] {
        var rng = SeededGenerator(seed: seed)
        return try f.paramTypes.map { type in
            type.dtype.isInteger ? try HostTensor(type, doubles: (0..<type.count).map { _ in Double(rng.int(0...(classes - 1))) })
                                 : try rng.tensor(type)
        }
    }

    static func floatParameters(_ f: Function, except excluded: Set<String> = []) -> [String] {
        f.params.filter { f.type(of: $0).dtype.isFloat && !excluded.contains(f.name(of: $0)) }.map(f.name(of:))
    }

    @Test func mlpWithSoftmaxCrossEntropy() throws {
        let f = try parseFunction(Self.mlp)
        try checkGradient(f, Self.inputs(f, seed: 30), wrt: ["w1", "b1", "w2", "b2", "x"])
    }

    @Test func smallConvNet() throws {
        let f = try parseFunction("""
        func @convnet(%x: f64[2,1,6,6], %k1: f64[3,1,3,3], %kb: f64[3], %k2: f64[2,3,2,2], %w: f64[8,2], %t: f64[2,2]) -> (f64[]) {
          %c = conv2d(%x, %k1) {stride = [1,1], padding = [1,1], dilation = [1,1]} : f64[2,3,6,6]
          %cb = broadcast_in_dim(%kb) {shape = [2,3,6,6], dims = [1]} : f64[2,3,6,6]
          %z = add(%c, %cb) : f64[2,3,6,6]
          %a = tanh(%z) : f64[2,3,6,6]
          %p = max_pool2d(%a) {window = [2,2], stride = [2,2], padding = [0,0]} : f64[2,3,3,3]
          %c2 = conv2d(%p, %k2) {stride = [2,2], padding = [1,1], dilation = [1,1]} : f64[2,2,2,2]
          %r = relu(%c2) : f64[2,2,2,2]
          %q = avg_pool2d(%r) {window = [2,2], stride = [1,1], padding = [1,1]} : f64[2,2,3,3]
          %s = slice(%q) {start = [0,0,0,0], limit = [2,2,3,3], stride = [1,1,2,2]} : f64[2,2,2,2]
          %flat = reshape(%s) {shape = [2,8]} : f64[2,8]
          %y = matmul(%flat, %w) : f64[2,2]
          %d = sub(%y, %t) : f64[2,2]
          %sq = mul(%d, %d) : f64[2,2]
          %loss = reduce_sum(%sq) {axes = [0,1]} : f64[]
          return %loss
        }
        """)
        try checkGradient(f, Self.inputs(f, seed: 31), wrt: Self.floatParameters(f, except: ["t"]))
    }

    /// An LSTM cell unrolled over 3 steps; gates i, f, o, u are column blocks of one matmul.
    @Test func lstmUnrolledOverThreeSteps() throws {
        let (steps, batch, inputs, hidden) = (3, 2, 3, 4)
        let b = FunctionBuilder(name: "lstm")
        let f64 = { (shape: [Int]) in TensorType(.f64, shape) }
        let x = b.parameter("x", f64([steps, batch, inputs]))
        let w = b.parameter("w", f64([inputs, 4 * hidden]))
        let u = b.parameter("u", f64([hidden, 4 * hidden]))
        let bias = b.parameter("bias", f64([4 * hidden]))
        let target = b.parameter("target", f64([batch, hidden]))
        let plain = Op.matmul(transposeA: false, transposeB: false)
        var h = try b.emit(.constant(.splat(.float(0)), f64([batch, hidden])), [])
        var c = h
        let biasRows = try b.emit(.broadcastInDim(shape: [batch, 4 * hidden], dims: [1]), [bias])
        for t in 0..<steps {
            let slab = try b.emit(.slice(start: [t, 0, 0], limit: [t + 1, batch, inputs], stride: [1, 1, 1]), [x])
            let xt = try b.emit(.reshape(shape: [batch, inputs]), [slab])
            let pre = try b.emit(.binary(.add), [b.emit(plain, [xt, w]), b.emit(plain, [h, u])])
            let gates = try b.emit(.binary(.add), [pre, biasRows])
            func gate(_ k: Int, _ activation: UnaryOp) throws -> Value {
                let block = try b.emit(.slice(start: [0, k * hidden], limit: [batch, (k + 1) * hidden], stride: [1, 1]), [gates])
                return try b.emit(.unary(activation), [block])
            }
            let (i, forget, o, update) = (try gate(0, .sigmoid), try gate(1, .sigmoid), try gate(2, .sigmoid), try gate(3, .tanh))
            c = try b.emit(.binary(.add), [b.emit(.binary(.mul), [forget, c]), b.emit(.binary(.mul), [i, update])])
            h = try b.emit(.binary(.mul), [o, b.emit(.unary(.tanh), [c])])
        }
        let loss = try b.emit(.reduce(.sum, axes: [0, 1]), [b.emit(.binary(.mul), [h, target])])
        let f = b.finish(returning: [loss])
        try checkGradient(f, Self.inputs(f, seed: 32), wrt: ["x", "w", "u", "bias"])
    }

    @Test func attention() throws {
        let f = try parseFunction("""
        func @attention(%x: f64[2,3,4], %wq: f64[4,4], %wk: f64[4,4], %wv: f64[4,4], %t: f64[2,3,4]) -> (f64[]) {
          %bq = broadcast_in_dim(%wq) {shape = [2,4,4], dims = [1,2]} : f64[2,4,4]
          %bk = broadcast_in_dim(%wk) {shape = [2,4,4], dims = [1,2]} : f64[2,4,4]
          %bv = broadcast_in_dim(%wv) {shape = [2,4,4], dims = [1,2]} : f64[2,4,4]
          %q = matmul(%x, %bq) : f64[2,3,4]
          %k = matmul(%x, %bk) : f64[2,3,4]
          %v = matmul(%x, %bv) : f64[2,3,4]
          %s = matmul(%q, %k) {transpose_b = true} : f64[2,3,3]
          %scale = constant() {value = 0.5} : f64[2,3,3]
          %scores = mul(%s, %scale) : f64[2,3,3]
          %m = reduce_max(%scores) {axes = [2]} : f64[2,3]
          %mb = broadcast_in_dim(%m) {shape = [2,3,3], dims = [0,1]} : f64[2,3,3]
          %shifted = sub(%scores, %mb) : f64[2,3,3]
          %e = exp(%shifted) : f64[2,3,3]
          %z = reduce_sum(%e) {axes = [2]} : f64[2,3]
          %zb = broadcast_in_dim(%z) {shape = [2,3,3], dims = [0,1]} : f64[2,3,3]
          %p = div(%e, %zb) : f64[2,3,3]
          %out = matmul(%p, %v) : f64[2,3,4]
          %wt = mul(%out, %t) : f64[2,3,4]
          %loss = reduce_sum(%wt) {axes = [0,1,2]} : f64[]
          return %loss
        }
        """)
        try checkGradient(f, Self.inputs(f, seed: 33), wrt: ["x", "wq", "wk", "wv"])
    }

    @Test func layerNorm() throws {
        let f = try parseFunction("""
        func @layer_norm(%x: f64[3,5], %gamma: f64[5], %beta: f64[5], %w: f64[3,5]) -> (f64[]) {
          %sum = reduce_sum(%x) {axes = [1]} : f64[3]
          %n = constant() {value = 0.2} : f64[3]
          %mean = mul(%sum, %n) : f64[3]
          %mb = broadcast_in_dim(%mean) {shape = [3,5], dims = [0]} : f64[3,5]
          %xc = sub(%x, %mb) : f64[3,5]
          %sq = mul(%xc, %xc) : f64[3,5]
          %ss = reduce_sum(%sq) {axes = [1]} : f64[3]
          %var = mul(%ss, %n) : f64[3]
          %eps = constant() {value = 1e-05} : f64[3]
          %ve = add(%var, %eps) : f64[3]
          %inv = rsqrt(%ve) : f64[3]
          %ib = broadcast_in_dim(%inv) {shape = [3,5], dims = [0]} : f64[3,5]
          %xn = mul(%xc, %ib) : f64[3,5]
          %gb = broadcast_in_dim(%gamma) {shape = [3,5], dims = [1]} : f64[3,5]
          %bb = broadcast_in_dim(%beta) {shape = [3,5], dims = [1]} : f64[3,5]
          %scaled = mul(%xn, %gb) : f64[3,5]
          %y = add(%scaled, %bb) : f64[3,5]
          %yw = mul(%y, %w) : f64[3,5]
          %loss = reduce_sum(%yw) {axes = [0,1]} : f64[]
          return %loss
        }
        """)
        try checkGradient(f, Self.inputs(f, seed: 34), wrt: ["x", "gamma", "beta"])
    }

    /// The reparameterization trick: the normal draw is constant with respect to the weights.
    @Test func vaeLossWithRngNormal() throws {
        let f = try parseFunction("""
        func @vae(%x: f64[3,4], %step: i32[], %wmu: f64[4,2], %wlv: f64[4,2], %wd: f64[2,4]) -> (f64[], f64[3,2]) {
          %mu = matmul(%x, %wmu) : f64[3,2]
          %logvar = matmul(%x, %wlv) : f64[3,2]
          %eps = rng_normal(%step) {seed = 7} : f64[3,2]
          %half = constant() {value = 0.5} : f64[3,2]
          %hl = mul(%logvar, %half) : f64[3,2]
          %std = exp(%hl) : f64[3,2]
          %noise = mul(%std, %eps) : f64[3,2]
          %z = add(%mu, %noise) : f64[3,2]
          %recon = matmul(%z, %wd) : f64[3,4]
          %d = sub(%recon, %x) : f64[3,4]
          %d2 = mul(%d, %d) : f64[3,4]
          %rec = reduce_sum(%d2) {axes = [0,1]} : f64[]
          %one = constant() {value = 1.0} : f64[3,2]
          %mu2 = mul(%mu, %mu) : f64[3,2]
          %var = exp(%logvar) : f64[3,2]
          %k1 = add(%one, %logvar) : f64[3,2]
          %k2 = sub(%k1, %mu2) : f64[3,2]
          %k3 = sub(%k2, %var) : f64[3,2]
          %ks = reduce_sum(%k3) {axes = [0,1]} : f64[]
          %mhalf = constant() {value = -0.5} : f64[]
          %kl = mul(%ks, %mhalf) : f64[]
          %loss = add(%rec, %kl) : f64[]
          return %loss, %eps
        }
        """)
        try checkGradient(f, Self.inputs(f, seed: 35), wrt: ["wmu", "wlv", "wd"])
    }
}
