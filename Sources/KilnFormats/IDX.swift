import KilnIR
import KilnRuntime

// IDX, the format of MNIST and Fashion-MNIST: the magic `00 00 TT RR` (TT the element type code,
// RR the rank), RR big-endian u32 dimensions, then the elements in row-major order, big-endian.
// Files may be gzip-compressed (detected by the gzip magic, whatever their name).

/// The element types of IDX files, by type code.
public enum IDXElement: UInt8, Sendable {
    case u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E

    var byteSize: Int {
        switch self {
        case .u8, .i8: return 1
        case .i16: return 2
        case .i32, .f32: return 4
        case .f64: return 8
        }
    }

    var isFloat: Bool { self == .f32 || self == .f64 }

    /// The dtype `readIDX` gives by default: i32 for integers (exact), f32 or f64 for floats.
    var naturalDType: DType {
        switch self {
        case .u8, .i8, .i16, .i32: return .i32
        case .f32: return .f32
        case .f64: return .f64
        }
    }
}

/// Reads the IDX file at `path`, gzip-compressed or not.
///
/// Integer elements (u8, i8, i16, i32) become i32 and floats keep their precision, unless `dtype`
/// asks for another: f32 or f64 for any file (e.g. u8 pixels as f32 0...255), i32 or i64 for
/// integer files. A malformed file (bad magic, unknown type code, dims beyond `ShapeLimits`, data
/// shorter or longer than the dims say, corrupt gzip) is a `KilnError` naming the file.
public func readIDX(path: String, as dtype: DType? = nil) throws(KilnError) -> HostTensor {
    let file = try IDXFile(path: path)
    return try file.read(as: TensorType(dtype ?? file.element.naturalDType, file.shape))
}

/// An open IDX file whose header has been read: its element type and shape.
public struct IDXFile {
    let reader: ByteReader
    public let element: IDXElement
    public let shape: [Int]

    /// An error about this file.
    public func failure(_ problem: String) -> KilnError { reader.failure(problem) }

    /// Opens `path` (gzip-compressed or not) and reads its header.
    public init(path: String) throws(KilnError) {
        reader = try ByteReader(path: path)
        let fail = reader.failure
        let magic = try reader.readBytes(4, what: "the IDX magic")
        guard magic[0] == 0, magic[1] == 0 else {
            throw fail("not an IDX file: the magic \(hex(magic)) does not start with 00 00")
        }
        guard let element = IDXElement(rawValue: magic[2]) else {
            throw fail("unsupported IDX type code \(hex([magic[2]])); IDX defines 08 (u8), 09 (i8), 0B (i16), 0C (i32), 0D (f32), 0E (f64)")
        }
        let rank = Int(magic[3])
        let dims = try reader.readBytes(4 * rank, what: "the \(rank) dimensions")
        let shape = (0..<rank).map { i in dims[4 * i..<4 * i + 4].reduce(0) { $0 << 8 | Int($1) } }
        do {
            try checkLimits(TensorType(element.naturalDType, shape))
        } catch {
            throw fail("dimensions \(shape) are not supported: \(error.message)")
        }
        let dataBytes = shape.reduce(1, *) * element.byteSize
        guard 4 + dims.count + dataBytes <= reader.maxDataBytes else {
            let holds = reader.isGzip ? "more than a gzip file of \(reader.fileSize ?? 0) bytes can hold" : "the file holds \(reader.maxDataBytes - 4 - dims.count)"
            throw fail("truncated: the dimensions \(shape) need \(dataBytes) bytes of data, \(holds)")
        }
        (self.element, self.shape) = (element, shape)
    }

    /// Reads every element into a new tensor of `type` (any shape with as many elements) and
    /// checks that no data follows: exactly the bytes the header declares are decompressed. The
    /// dtype may be f32 or f64, or i32 or i64 for integer elements.
    ///
    /// A plain file's size is checked against the header when it is opened. A gzip file whose
    /// trailer does not record the declared size (several members, or a file that does not hold
    /// what its header says) is first decompressed without storing anything, so a short or
    /// overlong stream fails before the tensor is allocated; otherwise the tensor's memory is
    /// committed only as data arrives.
    public func read(as type: TensorType) throws(KilnError) -> HostTensor {
        let dtype = type.dtype
        guard dtype.isFloat || (dtype.isInteger && !element.isFloat) else {
            throw failure("cannot read IDX \(element) elements as \(dtype); use f32 or f64\(element.isFloat ? "" : ", i32 or i64")")
        }
        let count = shape.reduce(1, *)
        guard type.count == count else { throw failure("cannot read the \(count) elements of shape \(shape) into \(type)") }
        let headerBytes = 4 + 4 * shape.count
        if reader.isGzip, reader.fileSize != nil,
           reader.gzipTrailerSize != UInt32(truncatingIfNeeded: headerBytes + count * element.byteSize) {
            let again = try ByteReader(path: reader.path)
            _ = try again.readBytes(headerBytes, what: "the IDX header")
            try readData(from: again) { _, _ in }
        }
        let tensor = try HostTensor(uninitialized: type)
        try readData(from: reader) { raw, offset in convert(raw, element, into: tensor, at: offset) }
        return tensor
    }

    /// Reads the declared data from `source` in chunks, handing each to `consume` with the flat
    /// index of its first element, and checks that nothing follows it.
    private func readData(from source: ByteReader, _ consume: (UnsafeRawBufferPointer, Int) -> Void) throws(KilnError) {
        let count = shape.reduce(1, *)
        let chunkElements = ByteReader.chunkSize / element.byteSize
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkElements * element.byteSize, alignment: 8)
        defer { chunk.deallocate() }
        var done = 0
        while done < count {
            let n = min(chunkElements, count - done)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<n * element.byteSize])
            let got = try source.read(into: bytes)
            guard got == bytes.count else {
                throw failure("truncated: the dimensions \(shape) need \(count * element.byteSize) bytes of data, the file holds \(done * element.byteSize + got)")
            }
            consume(UnsafeRawBufferPointer(bytes), done)
            done += n
        }
        guard try source.atEnd() else {
            throw failure("more data than the dimensions \(shape) describe (\(count) elements of \(element.byteSize) bytes)")
        }
    }
}

/// Decodes big-endian `element`s from `raw` into `tensor` from flat index `offset` on.
private func convert(_ raw: UnsafeRawBufferPointer, _ element: IDXElement, into tensor: HostTensor, at offset: Int) {
    let n = raw.count / element.byteSize
    func word(_ i: Int, _ size: Int) -> UInt64 {
        (0..<size).reduce(0) { $0 << 8 | UInt64(raw[i * size + $1]) }
    }
    if element == .u8, tensor.type.dtype == .f32 {
        // The case of image datasets, kept free of closures so that it is fast in debug builds too.
        let (bytes, out) = (raw.assumingMemoryBound(to: UInt8.self), tensor.pointer(Float.self) + offset)
        for i in 0..<n { out[i] = Float(bytes[i]) }
        return
    }
    switch element {
    case .u8: store(n, into: tensor, at: offset) { Int64(raw[$0]) }
    case .i8: store(n, into: tensor, at: offset) { Int64(Int8(bitPattern: raw[$0])) }
    case .i16: store(n, into: tensor, at: offset) { Int64(Int16(truncatingIfNeeded: word($0, 2))) }
    case .i32: store(n, into: tensor, at: offset) { Int64(Int32(truncatingIfNeeded: word($0, 4))) }
    case .f32: store(n, into: tensor, at: offset) { Double(Float(bitPattern: UInt32(truncatingIfNeeded: word($0, 4)))) }
    case .f64: store(n, into: tensor, at: offset) { Double(bitPattern: word($0, 8)) }
    }
}

/// Stores `value(0..<n)` (integers) into `tensor` from `offset` on, converted to its dtype.
private func store(_ n: Int, into tensor: HostTensor, at offset: Int, _ value: (Int) -> Int64) {
    switch tensor.type.dtype {
    case .f32: fill(tensor.pointer(Float.self) + offset, n) { Float(value($0)) }
    case .f64: fill(tensor.pointer(Double.self) + offset, n) { Double(value($0)) }
    case .i32: fill(tensor.pointer(Int32.self) + offset, n) { Int32(truncatingIfNeeded: value($0)) }
    case .i64: fill(tensor.pointer(Int64.self) + offset, n) { value($0) }
    case .bool: break  // readIDX admits numeric targets only
    }
}

/// Stores `value(0..<n)` (floats) into a float `tensor` from `offset` on.
private func store(_ n: Int, into tensor: HostTensor, at offset: Int, _ value: (Int) -> Double) {
    switch tensor.type.dtype {
    case .f32: fill(tensor.pointer(Float.self) + offset, n) { Float(value($0)) }
    case .f64: fill(tensor.pointer(Double.self) + offset, n, value)
    case .i32, .i64, .bool: break  // readIDX reads float files into float tensors only
    }
}

private func fill<T>(_ out: UnsafeMutablePointer<T>, _ n: Int, _ value: (Int) -> T) {
    for i in 0..<n { out[i] = value(i) }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0 >> 4, radix: 16, uppercase: true) + String($0 & 15, radix: 16, uppercase: true) }
        .joined(separator: " ")
}
