import KilnIR
// PLACEHOLDER: to be replaced.
func matmulKernel(transposeA: Bool, transposeB: Bool, _ a: HostTensor, _ b: HostTensor, _ out: HostTensor) {}
