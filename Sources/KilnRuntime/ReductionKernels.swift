import KilnIR
// PLACEHOLDER: to be replaced.
func reduceKernel(_ op: ReduceOp, axes: [Int], _ x: HostTensor, _ out: HostTensor) {}
func argmaxKernel(axis: Int, _ x: HostTensor, _ out: HostTensor) {}
