// Every user of the IR sees the error type and its places; the file and timing helpers of
// KilnSupport stay internal to Kiln's modules, which import KilnSupport themselves.
@_exported import struct KilnSupport.KilnError
@_exported import struct KilnSupport.SourceLocation
