import KilnIR

/// How one ONNX op becomes Kiln ops: the attributes it reads (any other attribute on a node is an
/// error) and the conversion, which returns the node's outputs in order.
struct OpRule: Sendable {
    typealias Convert = @Sendable (ONNXNode, GraphEmitter) throws(KilnError) -> [Operand]
    let attributes: Set<String>
    let convert: Convert

    init(_ attributes: Set<String> = [], _ convert: @escaping Convert) {
        self.attributes = attributes
        self.convert = convert
    }
}

/// Every ONNX op (default domain, opsets 13 to 21) Kiln imports, and its rule. An op not listed
/// is an error naming it, its node and the opset.
let onnxOpRules: [String: OpRule] = [
    "Abs": ElementwiseRules.unary(.abs),
    "Add": ElementwiseRules.binary(.add),
    "AveragePool": PoolingRules.averagePool,
    "BatchNormalization": NormalizationRules.batchNormalization,
    "Cast": ElementwiseRules.cast,
    "Concat": LayoutRules.concat,
    "Constant": LayoutRules.constant,
    "ConstantOfShape": LayoutRules.constantOfShape,
    "Conv": LinearAlgebraRules.conv,
    "ConvTranspose": LinearAlgebraRules.convTranspose,
    "Cos": ElementwiseRules.unary(.cos),
    "Div": ElementwiseRules.binary(.div),
    "Dropout": ElementwiseRules.dropout,
    "Equal": ElementwiseRules.compare(.eq),
    "Erf": ElementwiseRules.erf,
    "Exp": ElementwiseRules.unary(.exp),
    "Expand": LayoutRules.expand,
    "Flatten": LayoutRules.flatten,
    "Floor": ElementwiseRules.unary(.floor),
    "Gather": LayoutRules.gather,
    "Gelu": ElementwiseRules.gelu,
    "Gemm": LinearAlgebraRules.gemm,
    "GlobalAveragePool": PoolingRules.global { .avgPool2d($0) },
    "GlobalMaxPool": PoolingRules.global { .maxPool2d($0) },
    "Greater": ElementwiseRules.compare(.gt),
    "GreaterOrEqual": ElementwiseRules.compare(.ge),
    "Identity": ElementwiseRules.identity,
    "LayerNormalization": NormalizationRules.layerNormalization,
    "LeakyRelu": ElementwiseRules.leakyRelu,
    "Less": ElementwiseRules.compare(.lt),
    "LessOrEqual": ElementwiseRules.compare(.le),
    "Log": ElementwiseRules.unary(.log),
    "LogSoftmax": NormalizationRules.logSoftmax,
    "LSTM": RecurrentRules.lstm,
    "MatMul": LinearAlgebraRules.matmul,
    "MaxPool": PoolingRules.maxPool,
    "Mod": ElementwiseRules.mod,
    "Mul": ElementwiseRules.binary(.mul),
    "Neg": ElementwiseRules.unary(.neg),
    "Pow": ElementwiseRules.pow,
    "Reciprocal": ElementwiseRules.reciprocal,
    "ReduceMax": ReductionRules.reduce(.max),
    "ReduceMean": ReductionRules.reduce(.mean),
    "ReduceMin": ReductionRules.reduce(.min),
    "ReduceSum": ReductionRules.reduce(.sum),
    "Relu": ElementwiseRules.unary(.relu),
    "Reshape": LayoutRules.reshape,
    "Shape": LayoutRules.shape,
    "Sigmoid": ElementwiseRules.unary(.sigmoid),
    "Sin": ElementwiseRules.unary(.sin),
    "Size": LayoutRules.size,
    "Slice": LayoutRules.slice,
    "Softmax": NormalizationRules.softmax,
    "Sqrt": ElementwiseRules.unary(.sqrt),
    "Squeeze": LayoutRules.squeeze,
    "Sub": ElementwiseRules.binary(.sub),
    "Tanh": ElementwiseRules.unary(.tanh),
    "Transpose": LayoutRules.transpose,
    "Unsqueeze": LayoutRules.unsqueeze,
    "Where": ElementwiseRules.where,
]
