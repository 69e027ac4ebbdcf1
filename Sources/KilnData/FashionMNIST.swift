import KilnFormats
import KilnIR
import KilnRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Fashion-MNIST: 28x28 grayscale images of clothes in 10 classes, 60000 for training and 10000
/// for testing, read from the four IDX files of the original distribution (gzipped or not).
///
/// Images are f32, scaled to [0, 1] and (by default) normalized to `(x - mean) / std` with the
/// training set's statistics; labels are i32 class indices 0...9 (`classNames`).
public struct FashionMNIST: Sendable {
    public let train: Dataset
    public let test: Dataset

    /// Where `apt-get install dataset-fashion-mnist` puts the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// Mean of the 47,040,000 training pixels scaled to [0, 1].
    public static let mean: Float = 0.28604060
    /// Standard deviation (population) of the training pixels scaled to [0, 1].
    public static let std: Float = 0.35302424
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    public static let imageSide = 28

    /// How each image is laid out in `inputs`.
    public enum Layout: Sendable {
        /// `[N, 784]`, for fully connected networks.
        case flat
        /// `[N, 1, 28, 28]` (NCHW), for convolutional networks.
        case channels
    }

    /// The two halves of the dataset.
    public enum Split: Sendable {
        case train, test

        /// The start of the split's file names.
        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads both splits from `directory`, which holds `train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each with
    /// or without `.gz`. A missing file is an error naming it and the fix.
    public static func load(directory: String = defaultDirectory, layout: Layout = .flat,
                            normalize: Bool = true) throws(KilnError) -> FashionMNIST {
        FashionMNIST(train: try load(.train, directory: directory, layout: layout, normalize: normalize),
                     test: try load(.test, directory: directory, layout: layout, normalize: normalize))
    }

    /// Loads one split (see `load(directory:layout:normalize:)`).
    public static func load(_ split: Split, directory: String = defaultDirectory, layout: Layout = .flat,
                            normalize: Bool = true) throws(KilnError) -> Dataset {
        let prefix = split.filePrefix
        return try loadSplit(images: locate("\(prefix)-images-idx3-ubyte", in: directory),
                             labels: locate("\(prefix)-labels-idx1-ubyte", in: directory),
                             layout: layout, normalize: normalize)
    }

    /// The path of `name.gz` or `name` in `directory`.
    private static func locate(_ name: String, in directory: String) throws(KilnError) -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        for path in [base + ".gz", base] where access(path, F_OK) == 0 { return path }
        let problem = access(directory, F_OK) == 0 ? "'\(directory)' has no \(name).gz (nor \(name))" : "the directory '\(directory)' does not exist"
        throw KilnError("Fashion-MNIST is missing: \(problem); install it with `apt-get install dataset-fashion-mnist`, or load(directory:) a directory holding the four IDX files")
    }

    private static func loadSplit(images imagesPath: String, labels labelsPath: String, layout: Layout,
                                  normalize: Bool) throws(KilnError) -> Dataset {
        let images = try IDXFile(path: imagesPath)
        let side = imageSide
        guard images.element == .u8, images.shape.count == 3, images.shape[1] == side, images.shape[2] == side else {
            throw images.failure("expected u8 images of shape [N, \(side), \(side)], got \(images.element) \(images.shape)")
        }
        let n = images.shape[0]
        let inputs = try images.read(as: TensorType(.f32, layout == .flat ? [n, side * side] : [n, 1, side, side]))
        // x / 255, then (x - mean) / std: one affine map per pixel.
        let scale = normalize ? 1 / (255 * std) : 1 / 255
        let shift = normalize ? -mean / std : 0
        let pixels = inputs.pointer(Float.self)
        for i in 0..<inputs.count { pixels[i] = pixels[i] * scale + shift }

        let labelFile = try IDXFile(path: labelsPath)
        guard labelFile.element == .u8, labelFile.shape == [n] else {
            throw labelFile.failure("expected \(n) u8 labels (shape [\(n)]) to match \(imagesPath), got \(labelFile.element) \(labelFile.shape)")
        }
        let labels = try labelFile.read(as: TensorType(.i32, [n]))
        let classes = labels.pointer(Int32.self)
        if let bad = (0..<n).first(where: { classes[$0] >= classNames.count }) {
            throw labelFile.failure("label \(classes[bad]) of example \(bad) is not a class index 0...\(classNames.count - 1)")
        }
        return try Dataset(inputs: inputs, labels: labels)
    }
}
