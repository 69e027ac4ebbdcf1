import KilnIR
// PLACEHOLDER: to be replaced.
func broadcastKernel(dims: [Int], _ x: HostTensor, _ out: HostTensor) {}
func transposeKernel(perm: [Int], _ x: HostTensor, _ out: HostTensor) {}
func sliceKernel(start: [Int], stride: [Int], _ x: HostTensor, _ out: HostTensor) {}
func concatenateKernel(axis: Int, _ xs: [HostTensor], _ out: HostTensor) {}
func padKernel(low: [Int], value: Scalar, _ x: HostTensor, _ out: HostTensor) {}
func reverseKernel(axes: [Int], _ x: HostTensor, _ out: HostTensor) {}
