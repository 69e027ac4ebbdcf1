import KilnIR
// PLACEHOLDER: to be replaced.
func fillConstant(_ literal: Literal, _ out: HostTensor) {}
func fillIota(axis: Int, _ out: HostTensor) {}
func unaryKernel(_ op: UnaryOp, _ x: HostTensor, _ out: HostTensor) {}
func binaryKernel(_ op: BinaryOp, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {}
func compareKernel(_ d: CompareDirection, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {}
func selectKernel(_ c: HostTensor, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {}
func convertKernel(_ x: HostTensor, _ out: HostTensor) {}
