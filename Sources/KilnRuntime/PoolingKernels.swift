import KilnIR
// PLACEHOLDER: to be replaced.
func maxPool2dKernel(_ p: PoolAttributes, _ input: HostTensor, _ out: HostTensor) {}
func avgPool2dKernel(_ p: PoolAttributes, _ input: HostTensor, _ out: HostTensor) {}
func maxPool2dGradKernel(_ p: PoolAttributes, _ input: HostTensor, _ grad: HostTensor, _ out: HostTensor) {}
func avgPool2dGradKernel(_ p: PoolAttributes, _ grad: HostTensor, _ out: HostTensor) {}
