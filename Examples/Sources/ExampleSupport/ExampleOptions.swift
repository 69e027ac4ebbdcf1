import Kiln

/// The command line every example takes: `--small` (a seconds-long run on little data, what the
/// tests use) and `--out DIR` (where pictures go, default `example-output`).
public struct ExampleOptions {
    public let small: Bool
    public let outputDirectory: String

    /// Reads the flags after the program name and creates the output directory; an unknown flag
    /// or a missing value is an error naming it.
    public static func parse(_ arguments: [String] = CommandLine.arguments) throws -> ExampleOptions {
        var (small, outputDirectory) = (false, "example-output")
        var rest = arguments.dropFirst().makeIterator()
        while let flag = rest.next() {
            switch flag {
            case "--small": small = true
            case "--out":
                guard let value = rest.next(), !value.isEmpty else { throw KilnError("--out needs a directory, e.g. --out example-output") }
                outputDirectory = value
            default: throw KilnError("unknown flag '\(flag)': the examples take --small and --out DIR")
            }
        }
        try makeDirectories(parentOf: outputDirectory + "/")
        return ExampleOptions(small: small, outputDirectory: outputDirectory)
    }

    /// `name` inside the output directory.
    public func path(_ name: String) -> String { outputDirectory + "/" + name }
}
