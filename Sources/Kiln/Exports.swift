// `import Kiln` brings what a model author needs with it: the IR (types, functions, printing,
// parsing), the runtime tensors, the file formats (NPY, safetensors, IDX) and the datasets.
@_exported import KilnData
@_exported import KilnFormats
@_exported import KilnIR
@_exported import KilnRuntime
