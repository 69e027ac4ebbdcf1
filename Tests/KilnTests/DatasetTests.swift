import CZlib
import Foundation
import KilnIR
import KilnRuntime
import Testing
@testable import Kiln
@testable import KilnFormats

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

private func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

/// A fresh empty directory for files a test writes.
func makeTemporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// The `KilnError` `body` throws, or nil (also when it throws another error).
func caughtKilnError<T>(_ body: () throws -> T) -> KilnError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? KilnError
    }
}

/// `path`'s bytes.
private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// The pixels `make_fixtures.py` puts in its miniature Fashion-MNIST: `(i * 131 + seed) % 256`.
private func fixturePixel(_ i: Int, seed: Int) -> Double { Double((i * 131 + seed) % 256) }

@Suite("IDX files")
struct IDXTests {
    /// u8 [2, 3, 4] holding `i * 37 % 256`, plain and gzipped.
    @Test("u8 round trip, plain and gzipped", arguments: ["idx/u8_2x3x4.idx", "idx/u8_2x3x4.idx.gz"])
    func u8(name: String) throws {
        let t = try readIDX(path: fixture(name))
        #expect(t.type == TensorType(.i32, [2, 3, 4]))
        #expect(t.doubles == (0..<24).map { Double($0 * 37 % 256) })
        let floats = try readIDX(path: fixture(name), as: .f32)
        #expect(floats.type == TensorType(.f32, [2, 3, 4]))
        #expect(floats.doubles == t.doubles)
        #expect(try readIDX(path: fixture(name), as: .i64).doubles == t.doubles)
    }

    @Test("every element type, big-endian and signed")
    func elementTypes() throws {
        let i8 = try readIDX(path: fixture("idx/i8_5.idx"))
        #expect(i8.type == TensorType(.i32, [5]) && i8.doubles == [-128, -1, 0, 1, 127])
        let i16 = try readIDX(path: fixture("idx/i16_2x2.idx.gz"))
        #expect(i16.type == TensorType(.i32, [2, 2]) && i16.doubles == [-32768, -2, 300, 32767])
        let i32 = try readIDX(path: fixture("idx/i32_3.idx"))
        #expect(i32.doubles == [-2_147_483_648, 65536, 2_147_483_647])
        let f32 = try readIDX(path: fixture("idx/f32_2x2.idx"))
        #expect(f32.type == TensorType(.f32, [2, 2]))
        #expect(f32.doubles == [1.5, -0.25, Double(Float(3e38)), -7])
        let f64 = try readIDX(path: fixture("idx/f64_3.idx.gz"))
        #expect(f64.type == TensorType(.f64, [3]) && f64.doubles == [0.1, -2.5e300, 1.0 / 3.0])
        let scalar = try readIDX(path: fixture("idx/u8_scalar.idx"))
        #expect(scalar.type == TensorType(.i32, []) && scalar.doubles == [200])
    }

    @Test("float files do not read as integers, and nothing reads as bool")
    func conversions() throws {
        #expect(caughtKilnError { try readIDX(path: fixture("idx/f32_2x2.idx"), as: .i32) }?.message.contains("cannot read IDX f32 elements as i32") == true)
        #expect(caughtKilnError { try readIDX(path: fixture("idx/u8_scalar.idx"), as: .bool) }?.message.contains("as bool") == true)
        #expect(try readIDX(path: fixture("idx/f32_2x2.idx"), as: .f64).doubles == [1.5, -0.25, Double(Float(3e38)), -7])
    }

    /// `(i * 7919) % 251` over [300, 500]: 150000 bytes, several output chunks.
    @Test("large file, and two concatenated gzip members read as one stream",
          arguments: ["idx/u8_300x500.idx.gz", "idx/u8_300x500_two_members.idx.gz"])
    func largeAndMultiMember(name: String) throws {
        let t = try readIDX(path: fixture(name))
        #expect(t.type == TensorType(.i32, [300, 500]))
        let p = t.pointer(Int32.self)
        #expect((0..<t.count).allSatisfy { Int(p[$0]) == $0 * 7919 % 251 })
    }

    @Test("reading in tiny chunks gives the same bytes (chunk boundaries inside gzip headers and members)",
          arguments: [1, 2, 7, 4096])
    func chunkBoundaries(chunkSize: Int) throws {
        let path = fixture("idx/u8_300x500_two_members.idx.gz")
        let reader = try ByteReader(path: path, chunkSize: chunkSize)
        #expect(reader.isGzip)
        let header = try reader.readBytes(12, what: "the header")
        #expect(header == [0, 0, 8, 2, 0, 0, 1, 44, 0, 0, 1, 244])
        let data = try reader.readBytes(150_000, what: "the data")
        #expect(data.enumerated().allSatisfy { Int($0.element) == $0.offset * 7919 % 251 })
        #expect(try reader.atEnd())
        let small = try ByteReader(path: fixture("idx/u8_2x3x4.idx.gz"), chunkSize: chunkSize)
        #expect(try small.readBytes(40, what: "the file") == bytes(fixture("idx/u8_2x3x4.idx")))
        #expect(try small.atEnd())
    }

    @Test("broken gzip streams are errors naming the file",
          arguments: [("idx/truncated.idx.gz", "truncated gzip stream"), ("idx/corrupt.idx.gz", "corrupt gzip stream (invalid block type)"),
                      ("idx/bad_crc.idx.gz", "corrupt gzip stream (incorrect data check)")])
    func brokenGzip(name: String, problem: String) {
        let error = caughtKilnError { try readIDX(path: fixture(name)) }
        #expect(error?.message.contains(fixture(name)) == true)
        #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
    }

    /// Malformed files written by hand: each gives an error naming the file and the problem.
    @Test("malformed IDX files")
    func malformed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "truncated: 4 bytes expected for the IDX magic, only 0 remain"),
            ("short magic", [0, 0, 8], "truncated: 4 bytes expected for the IDX magic, only 3 remain"),
            ("bad magic", [1, 0, 8, 1, 0, 0, 0, 1, 5], "not an IDX file: the magic 01 00 08 01"),
            ("unknown code", [0, 0, 0x0A, 1, 0, 0, 0, 1, 5], "unsupported IDX type code 0A"),
            ("truncated dims", [0, 0, 8, 2, 0, 0, 0, 2, 0, 0], "truncated: 8 bytes expected for the 2 dimensions, only 6 remain"),
            ("truncated data", [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3], "truncated: the dimensions [2, 2] need 4 bytes of data, the file holds 3"),
            ("dims beyond the file", [0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0], "the dimensions [65536, 65536] need 4294967296 bytes of data, the file holds 0"),
            // gzip header, a stored deflate block of 12 bytes (the IDX header), CRC-32 and size.
            ("dims beyond the gzip file", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF, 1, 12, 0, 0xF3, 0xFF]
                + [0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0] + [158, 207, 65, 225, 12, 0, 0, 0],
             "the dimensions [65536, 65536] need 4294967296 bytes of data, more than a gzip file of 35 bytes can hold"),
            ("extra data", [0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3], "more data than the dimensions [2] describe"),
            ("huge dim", [0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF], "dimensions [4294967295] are not supported: dimension 4294967295 exceeds"),
            ("too many elements", [0, 0, 8, 3] + [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], "has more than 17179869184 elements"),
            ("rank too high", [0, 0, 8, 17] + [UInt8](repeating: 0, count: 68), "rank 17 exceeds the limit of 16"),
        ]
        for (name, content, problem) in cases {
            let path = directory + "/" + name.replacingOccurrences(of: " ", with: "_") + ".idx"
            try Data(content).write(to: URL(fileURLWithPath: path))
            let error = caughtKilnError { try readIDX(path: path) }
            #expect(error?.message.hasPrefix(path + ": ") == true, "\(name): \(String(describing: error))")
            #expect(error?.message.contains(problem) == true, "\(name): \(String(describing: error))")
        }
        let missing = directory + "/missing.idx"
        #expect(caughtKilnError { try readIDX(path: missing) }?.message == "cannot open '\(missing)': No such file or directory")
        #expect(caughtKilnError { try readIDX(path: directory) }?.message.contains("Is a directory") == true)
    }
}

/// `data` as a one-member gzip file: zlib's deflate stream between a gzip header and a trailer
/// of CRC-32 and length (`trailerSize` overrides the length, to forge it).
private func gzip(_ data: [UInt8], trailerSize: UInt32? = nil) throws -> [UInt8] {
    var zlibLength = compressBound(uLong(data.count))
    var zlibBytes = [UInt8](repeating: 0, count: Int(zlibLength))
    let status = compress2(&zlibBytes, &zlibLength, data, uLong(data.count), 9)
    guard status == Z_OK else { throw KilnError("compress2 failed with status \(status)") }
    let crc = UInt32(crc32(0, data, uInt(data.count)))
    func le(_ x: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) } }
    // The zlib format is a 2-byte header, the raw deflate stream, and a 4-byte Adler-32.
    return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + zlibBytes[2..<Int(zlibLength) - 4]
        + le(crc) + le(trailerSize ?? UInt32(truncatingIfNeeded: data.count))
}

/// The bytes of a u8 IDX header of `shape`.
private func idxHeader(_ shape: [Int]) -> [UInt8] {
    [0, 0, 8, UInt8(shape.count)] + shape.flatMap { d in (0..<4).reversed().map { UInt8(truncatingIfNeeded: d >> (8 * $0)) } }
}

/// `n` bytes that deflate cannot shrink (xorshift64).
private func incompressible(_ n: Int) -> [UInt8] {
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<n).map { _ in
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        return UInt8(truncatingIfNeeded: x >> 56)
    }
}

/// This process's peak resident memory so far, in bytes.
private func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

@Suite("IDX gzip bombs")
struct IDXBombTests {
    /// Writes `bytes` to a fresh file and returns its path and directory.
    private func file(_ bytes: [UInt8]) throws -> (path: String, directory: String) {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/bomb.idx.gz"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, directory)
    }

    /// 1.2 MB of gzip whose header declares 1 GiB of u8 (a 4 GiB i32 tensor), within deflate's
    /// 1032x ratio of the file's size: the data is counted before the tensor is allocated.
    @Test("a header declaring far more data than the stream holds fails before allocating for it")
    func declaredMoreThanHeld() throws {
        let held = 1_200_000
        let (path, directory) = try file(try gzip(idxHeader([1 << 30]) + incompressible(held)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = peakResidentBytes()
        let error = caughtKilnError { try readIDX(path: path) }
        #expect(error?.message == "\(path): truncated: the dimensions [1073741824] need 1073741824 bytes of data, the file holds \(held)")
        #expect(peakResidentBytes() - before < 512 << 20, "peak grew by \(peakResidentBytes() - before) bytes")
    }

    /// 64 MiB of zeros in about 64 KB of gzip behind a header declaring 1000 bytes.
    @Test("a stream holding far more than the header declares stops one byte past the declared data")
    func heldMoreThanDeclared() throws {
        let (path, directory) = try file(try gzip(idxHeader([1000]) + [UInt8](repeating: 0, count: 64 << 20)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = peakResidentBytes()
        let error = caughtKilnError { try readIDX(path: path) }
        #expect(error?.message == "\(path): more data than the dimensions [1000] describe (1000 elements of 1 bytes)")
        #expect(peakResidentBytes() - before < 32 << 20)
    }

    /// The trailer forged to the declared length, so the file is read in one pass: zlib's own
    /// length check at the end of the member still catches it.
    @Test("a forged gzip trailer does not make a short stream pass")
    func forgedTrailer() throws {
        let header = idxHeader([1 << 20])
        let (path, directory) = try file(try gzip(header + incompressible(2000), trailerSize: UInt32(header.count + (1 << 20))))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = caughtKilnError { try readIDX(path: path) }
        #expect(error?.message.hasPrefix(path + ": corrupt gzip stream (incorrect length check)") == true, "\(String(describing: error))")
    }
}

@Suite("Fashion-MNIST")
struct FashionMNISTTests {
    @Test("the miniature fixture: gzipped and plain files, scaling, normalization, layouts")
    func fixtureDirectory() throws {
        let data = try FashionMNIST.load(directory: fixture("fashion"))
        #expect(data.train.inputs.type == TensorType(.f32, [6, 784]))
        #expect(data.test.inputs.type == TensorType(.f32, [4, 784]))
        #expect(data.train.labels.type == TensorType(.i32, [6]) && data.train.labels.doubles == [9, 0, 0, 3, 0, 2])
        #expect(data.test.labels.doubles == [9, 2, 1, 1])
        for (set, seed) in [(data.train, 0), (data.test, 5)] {
            let expected = (0..<set.inputs.count).map {
                (fixturePixel($0, seed: seed) / 255 - Double(FashionMNIST.mean)) / Double(FashionMNIST.std)
            }
            #expect(zip(set.inputs.doubles, expected).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
        let raw = try FashionMNIST.load(directory: fixture("fashion") + "/", layout: .channels, normalize: false)
        #expect(raw.train.inputs.type == TensorType(.f32, [6, 1, 28, 28]))
        #expect(raw.test.inputs.doubles == (0..<4 * 784).map { Double(Float(fixturePixel($0, seed: 5)) * (1 / 255)) })
        let train = try FashionMNIST.load(.train, directory: fixture("fashion"), layout: .channels, normalize: false)
        #expect(train.inputs.doubles == raw.train.inputs.doubles && train.labels.doubles == raw.train.labels.doubles)
    }

    @Test("a missing directory or file names it and the fix")
    func missingFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fix = "apt-get install dataset-fashion-mnist"
        let noDirectory = caughtKilnError { try FashionMNIST.load(directory: directory + "/nowhere") }
        #expect(noDirectory?.message.contains("the directory '\(directory)/nowhere' does not exist") == true)
        #expect(noDirectory?.message.contains(fix) == true && noDirectory?.message.contains("load(directory:)") == true)
        #expect(noDirectory?.message.contains("--") == false, "a library caller is not told of a command-line flag")
        let noFile = caughtKilnError { try FashionMNIST.load(directory: directory) }
        #expect(noFile?.message.contains("'\(directory)' has no train-images-idx3-ubyte.gz (nor train-images-idx3-ubyte)") == true)
        #expect(noFile?.message.contains(fix) == true)
    }

    @Test("files of the wrong kind are rejected")
    func wrongFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        for name in names {
            try FileManager.default.copyItem(atPath: fixture("fashion/" + name), toPath: directory + "/" + name)
        }
        // Test labels: 4 u8 labels, one of them 10 (not a class).
        try Data([0, 0, 8, 1, 0, 0, 0, 4, 9, 2, 10, 1]).write(to: URL(fileURLWithPath: directory + "/t10k-labels-idx1-ubyte"))
        #expect(caughtKilnError { try FashionMNIST.load(directory: directory) }?.message.contains("label 10 of example 2 is not a class index 0...9") == true)
        // Test labels: 3 instead of 4.
        try Data([0, 0, 8, 1, 0, 0, 0, 3, 9, 2, 1]).write(to: URL(fileURLWithPath: directory + "/t10k-labels-idx1-ubyte"))
        #expect(caughtKilnError { try FashionMNIST.load(directory: directory) }?.message.contains("expected 4 u8 labels (shape [4])") == true)
        // Test images: u8 [4, 2, 2] instead of [4, 28, 28].
        try Data([0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2] + [UInt8](repeating: 1, count: 16))
            .write(to: URL(fileURLWithPath: directory + "/t10k-images-idx3-ubyte"))
        #expect(caughtKilnError { try FashionMNIST.load(directory: directory) }?.message.contains("expected u8 images of shape [N, 28, 28], got u8 [4, 2, 2]") == true)
    }

    static let realDataPresent = FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/train-images-idx3-ubyte.gz")

    /// The real files, when `dataset-fashion-mnist` is installed (skipped otherwise). Statistics from
    /// numpy: 6000 (train) and 1000 (test) examples per class; the test pixels (x / 255) have mean
    /// 0.28684928 against the training mean 0.28604060 and std 0.35302424. Decoding the 47 million
    /// training pixels takes about a second in debug builds, so only their header is read here.
    @Test("the installed dataset", .enabled(if: realDataPresent, "dataset-fashion-mnist is not installed"))
    func realData() throws {
        let test = try FashionMNIST.load(.test)
        #expect(test.inputs.type == TensorType(.f32, [10000, 784]))
        let trainImages = try IDXFile(path: FashionMNIST.defaultDirectory + "/train-images-idx3-ubyte.gz")
        #expect(trainImages.element == .u8 && trainImages.shape == [60000, 28, 28])
        let trainLabels = try readIDX(path: FashionMNIST.defaultDirectory + "/train-labels-idx1-ubyte.gz")
        for (labels, perClass) in [(trainLabels, 6000), (test.labels, 1000)] {
            var counts = [Int](repeating: 0, count: 10)
            let classes = labels.pointer(Int32.self)
            for i in 0..<labels.count { counts[Int(classes[i])] += 1 }
            #expect(counts == [Int](repeating: perClass, count: 10))
        }
        #expect(trainLabels.doubles.prefix(10) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(test.labels.doubles.prefix(10) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        let pixels = test.inputs.pointer(Float.self)
        var sum = 0.0
        for i in 0..<test.inputs.count { sum += Double(pixels[i]) }
        let expectedMean = (0.28684928 - 0.28604060) / 0.35302424
        #expect(abs(sum / Double(test.inputs.count) - expectedMean) < 1e-5)
    }
}

/// An f32 [n, 3] input tensor holding `10 * row + column` and i32 labels `row`.
private func numberedDataset(_ n: Int) throws -> Dataset {
    try Dataset(inputs: HostTensor(TensorType(.f32, [n, 3]), doubles: (0..<3 * n).map { Double(10 * ($0 / 3) + $0 % 3) }),
                labels: HostTensor(TensorType(.i32, [n]), doubles: (0..<n).map(Double.init)))
}

/// Whether row `r` of a batch holds example `index` of a `numberedDataset`.
private func holds(_ inputs: HostTensor, _ labels: HostTensor, row r: Int, example index: Int) -> Bool {
    (0..<3).allSatisfy { inputs[3 * r + $0].asDouble == Double(10 * index + $0) } && labels[r].asInt64 == Int64(index)
}

@Suite("Shuffling and batching")
struct BatchingTests {
    @Test("shuffledIndices is a permutation, reproducible, and differs by seed and epoch")
    func permutation() {
        for n in [0, 1, 2, 10, 1000] {
            let order = shuffledIndices(count: n, seed: 42)
            #expect(order.sorted() == Array(0..<n))
            #expect(shuffledIndices(count: n, seed: 42) == order)
        }
        let base = shuffledIndices(count: 1000, seed: 42)
        #expect(shuffledIndices(count: 1000, seed: 43) != base)
        #expect(shuffledIndices(count: 1000, seed: 42, epoch: 1) != base)
        #expect(shuffledIndices(count: 1000, seed: 42, epoch: 1) == shuffledIndices(count: 1000, seed: 42, epoch: 1))
    }

    /// Over 6000 seeds, each of the 6 orders of 3 items appears 1000 times on average; a biased
    /// shuffle (e.g. swapping with any index instead of one not yet placed) gives 4/27 vs 5/27.
    @Test("every permutation of 3 items is about equally likely")
    func uniformity() {
        var counts: [[Int]: Int] = [:]
        for seed in 0..<6000 { counts[shuffledIndices(count: 3, seed: UInt64(seed)), default: 0] += 1 }
        #expect(counts.count == 6)
        #expect(counts.values.allSatisfy { abs($0 - 1000) < 150 }, "\(counts)")
    }

    @Test("a dataset needs matching first dimensions")
    func datasetShapes() throws {
        let error = caughtKilnError { try Dataset(inputs: HostTensor(zeros: TensorType(.f32, [4, 2])), labels: HostTensor(zeros: TensorType(.i32, [3]))) }
        #expect(error?.message.contains("same first dimension") == true)
        #expect(caughtKilnError { try Dataset(inputs: HostTensor(zeros: TensorType(.f32, [])), labels: HostTensor(zeros: TensorType(.i32, []))) } != nil)
    }

    @Test("rows, prefix and split copy the right examples")
    func subsets() throws {
        let data = try numberedDataset(10)
        let (train, validation) = try data.split(at: 7)
        #expect(train.count == 7 && validation.count == 3)
        #expect((0..<7).allSatisfy { holds(train.inputs, train.labels, row: $0, example: $0) })
        #expect((0..<3).allSatisfy { holds(validation.inputs, validation.labels, row: $0, example: 7 + $0) })
        let middle = try data.rows(4..<6)
        #expect(middle.inputs.type == TensorType(.f32, [2, 3]))
        #expect(holds(middle.inputs, middle.labels, row: 0, example: 4) && holds(middle.inputs, middle.labels, row: 1, example: 5))
        #expect(try data.prefix(3).count == 3 && data.prefix(99).count == 10 && data.prefix(-1).count == 0)
        #expect(caughtKilnError { try data.split(at: 11) }?.message == "cannot split a dataset of 10 examples at 11")
        #expect(caughtKilnError { try data.rows(8..<11) } != nil)
    }

    @Test("copyRows checks indices and targets")
    func copyRowsChecks() throws {
        let data = try numberedDataset(5)
        let inputs = try HostTensor(zeros: TensorType(.f32, [2, 3])), labels = try HostTensor(zeros: TensorType(.i32, [2]))
        try data.copyRows([4, 0], into: inputs, labels: labels)
        #expect(holds(inputs, labels, row: 0, example: 4) && holds(inputs, labels, row: 1, example: 0))
        #expect(caughtKilnError { try data.copyRows([5], into: inputs, labels: labels) }?.message == "example index 5 is out of range for a dataset of 5 examples")
        #expect(caughtKilnError { try data.copyRows([-1], into: inputs, labels: labels) } != nil)
        #expect(caughtKilnError { try data.copyRows([0, 1, 2], into: inputs, labels: labels) }?.message.contains("at least 3 rows") == true)
        let wrongDType = try HostTensor(zeros: TensorType(.f64, [2, 3]))
        #expect(caughtKilnError { try data.copyRows([0], into: wrongDType, labels: labels) } != nil)
        let wrongRow = try HostTensor(zeros: TensorType(.f32, [2, 4]))
        #expect(caughtKilnError { try data.copyRows([0], into: wrongRow, labels: labels) } != nil)
    }

    @Test("an epoch of batches copies the examples in order into the same tensors; the partial batch is dropped")
    func dropLast() throws {
        let data = try numberedDataset(10)
        let loader = try DataLoader(data, batchSize: 4, seed: 7)
        #expect(loader.batchCount == 2 && loader.inputType == TensorType(.f32, [4, 3]) && loader.labelType == TensorType(.i32, [4]))
        let order = loader.order(epoch: 3)
        #expect(order == shuffledIndices(count: 10, seed: 7, epoch: 3))
        var first: HostTensor?
        for b in 0..<loader.batchCount {
            let (x, y) = try loader.batch(b, of: order)
            if let first { #expect(first === x) } else { first = x }
            #expect(x.type == loader.inputType)
            #expect((0..<4).allSatisfy { holds(x, y, row: $0, example: order[4 * b + $0]) })
        }
        #expect(caughtKilnError { try loader.batch(2, of: order) }?.message == "batch 2 is out of range: an epoch has 2 batches")
        #expect(caughtKilnError { try loader.batch(0, of: [0, 1]) } != nil)
    }

    @Test("keeping the last partial batch, without shuffling, with a reshaped input row")
    func keepLast() throws {
        let data = try numberedDataset(10)
        let loader = try DataLoader(data, batchSize: 4, shuffle: false, dropLast: false, inputRowShape: [3, 1])
        #expect(loader.batchCount == 3 && loader.inputType == TensorType(.f32, [4, 3, 1]))
        let order = loader.order(epoch: 5)
        #expect(order == Array(0..<10))
        let (x, y) = try loader.batch(2, of: order)
        #expect(x.type == TensorType(.f32, [2, 3, 1]) && y.type == TensorType(.i32, [2]))
        #expect(holds(x, y, row: 0, example: 8) && holds(x, y, row: 1, example: 9))
        #expect(try loader.batch(2, of: order).inputs === x)
        let exact = try DataLoader(try numberedDataset(8), batchSize: 4, dropLast: false)
        #expect(exact.batchCount == 2)
        #expect(caughtKilnError { try DataLoader(data, batchSize: 0) }?.message == "batch size must be at least 1, got 0")
        #expect(caughtKilnError { try DataLoader(data, batchSize: 2, inputRowShape: [2, 2]) }?.message.contains("does not hold the 3 elements") == true)
        #expect(caughtKilnError { try DataLoader(data, batchSize: 2, inputRowShape: [-3, -1]) } != nil)
    }
}
