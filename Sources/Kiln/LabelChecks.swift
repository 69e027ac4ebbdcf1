import KilnIR
import KilnRuntime

// Integer labels outside `0..<classes` would one-hot to a row of zeros and give a finite, wrong
// loss. Eager labels are checked where the loss reads them; traced ones are recorded in the trace
// and checked by the trainer against each batch it is given, and once per data set of an epoch.

/// Throws, naming the loss, the first bad label, its row and the class count, unless every
/// element of `labels` lies in `0..<classes`.
func checkLabels(_ labels: HostTensor, classes: Int, loss: String) throws(KilnError) {
    for i in 0..<labels.count {
        let label = labels[i].asInt64
        guard label < 0 || label >= Int64(classes) else { continue }
        throw KilnError("\(loss): label \(label) at row \(i) is outside 0..<\(classes) (the logits have \(classes) classes); labels are class indices, so give the model \(label + 1 > classes ? "at least \(label + 1) outputs" : "labels of 0 or more") or fix the data")
    }
}

extension Trace {
    /// Records that the traced integer `labels` must lie in `0..<classes`.
    func requireLabels(_ labels: Tensor, below classes: Int) {
        guard case let .traced(v, _) = labels.storage else { return }
        labelBounds.append((v, classes))
    }
}
