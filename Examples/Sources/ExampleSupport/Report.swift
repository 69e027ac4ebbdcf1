/// Prints the example's figures as its last line, `RESULT {"key": value, ...}` with sorted keys,
/// which the tests read (`runExample`); a non-finite value is printed as `null`.
public func report(_ metrics: [String: Double]) {
    let fields = metrics.sorted { $0.key < $1.key }.map { key, value in
        "\"\(key)\": \(value.isFinite ? "\(value)" : "null")"
    }
    print("RESULT {\(fields.joined(separator: ", "))}")
}
