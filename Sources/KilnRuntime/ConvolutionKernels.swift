import KilnIR
// PLACEHOLDER: to be replaced.
func conv2dKernel(_ a: ConvAttributes, _ input: HostTensor, _ filter: HostTensor, _ out: HostTensor) {}
func conv2dTransposeKernel(_ a: ConvAttributes, _ input: HostTensor, _ filter: HostTensor, _ out: HostTensor) {}
func conv2dFilterGradKernel(_ a: ConvAttributes, _ input: HostTensor, _ grad: HostTensor, _ out: HostTensor) {}
