import KilnIR
// PLACEHOLDER: to be replaced.
func gatherKernel(axis: Int, _ table: HostTensor, _ indices: HostTensor, _ out: HostTensor) {}
func scatterAddKernel(axis: Int, _ target: HostTensor, _ indices: HostTensor, _ updates: HostTensor, _ out: HostTensor) {}
func oneHotKernel(_ indices: HostTensor, _ out: HostTensor) {}
