// `import Kiln` brings the IR (types, functions, printing, parsing) and the runtime tensors with it.
@_exported import KilnIR
@_exported import KilnRuntime
