import Kiln
import KilnIR
import Testing

/// How `DataParallel` groups gradients into all-reduce buckets.
@Suite struct GradientFusionTests {
    /// Four gradients of a two-layer model in parameter order: w1 (800 bytes), b1 (40), w2 (400), b2 (40).
    static let grads = [TensorType(.f32, [20, 10]), TensorType(.f32, [10]), TensorType(.f32, [10, 10]), TensorType(.f32, [10])]

    @Test func bucketsFillFromTheLastGradientBack() {
        #expect(GradientFusion.buckets(bytes: 400).bucketing(Self.grads) == [[3, 2], [1, 0]])
        #expect(GradientFusion.buckets(bytes: 1).bucketing(Self.grads) == [[3], [2], [1], [0]])
        #expect(GradientFusion.buckets(bytes: 1 << 20).bucketing(Self.grads) == [[3, 2, 1, 0]])
        #expect(GradientFusion.flat.bucketing(Self.grads) == [[3, 2, 1, 0]])
        #expect(GradientFusion.perTensor.bucketing(Self.grads) == [[3], [2], [1], [0]])
        // A change of dtype closes a bucket.
        let mixed = [TensorType(.f32, [2]), TensorType(.f64, [2]), TensorType(.f64, [2])]
        #expect(GradientFusion.flat.bucketing(mixed) == [[2, 1], [0]])
        #expect(GradientFusion.flat.bucketing([]) == [])
    }

    @Test func parsesItsOptionText() throws {
        #expect(try GradientFusion(parsing: "flat") == .flat)
        #expect(try GradientFusion(parsing: "per-tensor") == .perTensor)
        #expect(try GradientFusion(parsing: "buckets") == .buckets(bytes: GradientFusion.defaultBucketBytes))
        #expect(try GradientFusion(parsing: "buckets:4096") == .buckets(bytes: 4096))
        #expect(GradientFusion.buckets(bytes: 4096).description == "buckets:4096")
        for bad in ["bucket", "buckets:0", "buckets:x", "flat:2", ""] {
            #expect(throws: KilnError.self) { try GradientFusion(parsing: bad) }
        }
        do {
            _ = try GradientFusion(parsing: "buckets:-1")
        } catch {
            #expect(error.message.contains("buckets:-1") && error.message.contains("at least 1"))
        }
    }
}
