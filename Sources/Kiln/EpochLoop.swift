import KilnIR
import KilnJIT
import KilnRuntime

// A training loop in C around the compiled step: many steps without returning to Swift. Each step
// copies its batch rows (picked through a permutation) into the batch inputs, sets the step count
// (and the random key), calls the step, then swaps every updated-parameter output with its input,
// so the next step reads the new values (double buffering, no copies). Every `every` steps it
// calls back to Swift with the loss; a nonzero answer stops the loop. A NaN or infinite loss stops
// it at once, before that step's swap, so the inputs still hold the values the step read; the
// loop then returns -(steps done before it) - 1.
let epochLoopSource = """
void *memcpy(void *, const void *, unsigned long);
typedef int (*kiln_observer)(void *, long, const void *);
long kiln_fit(void **args, char *arena, const char **sources, const long *row_bytes, const int *gathered,
              long n_gathered, const long long *perm, long batch, long steps, long long first_step,
              int step_input, int key_input, const int *feedback, long n_feedback, int loss_output,
              int loss_is_double, long every, kiln_observer observe, void *context) {
  for (long s = 0; s < steps; s++) {
    const long long *rows = perm + s * batch;
    for (long g = 0; g < n_gathered; g++) {
      char *dst = (char *)args[gathered[g]];
      const char *src = sources[g];
      long rb = row_bytes[g];
      for (long r = 0; r < batch; r++) memcpy(dst + r * rb, src + rows[r] * rb, rb);
    }
    long long count = first_step + s;
    *(float *)args[step_input] = (float)count;
    if (key_input >= 0) *(long long *)args[key_input] = count;
    kiln_entry(args, arena);
    double loss_value = loss_is_double ? *(const double *)args[loss_output] : *(const float *)args[loss_output];
    if (loss_value - loss_value != 0.0) return -s - 1;
    for (long k = 0; k < n_feedback; k++) {
      int i = feedback[2 * k], o = feedback[2 * k + 1];
      void *t = args[i]; args[i] = args[o]; args[o] = t;
    }
    if (observe && ((s + 1) % every == 0 || s + 1 == steps) && observe(context, s + 1, args[loss_output])) return s + 1;
  }
  return steps;
}
"""

private typealias FitFunction = @convention(c) (
    UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutableRawPointer?, UnsafePointer<UnsafeRawPointer?>?,
    UnsafePointer<Int>?, UnsafePointer<Int32>?, Int, UnsafePointer<Int64>?, Int, Int, Int64,
    Int32, Int32, UnsafePointer<Int32>?, Int, Int32, Int32, Int,
    (@convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?) -> Int32)?, UnsafeMutableRawPointer?) -> Int

/// The Swift side of a progress callback from C.
private final class Observer {
    let lossType: DType
    let body: (Int, Double) -> Bool
    init(lossType: DType, body: @escaping (Int, Double) -> Bool) {
        self.lossType = lossType
        self.body = body
    }
}

/// Runs `steps` training steps of `compiled` (a `TrainingStep` function compiled with
/// `epochLoopSource`) in C. `parameters` and `states` are the current values; on return they hold
/// the updated ones (possibly the other buffers of `spare`, which receives the old ones).
/// Returns the number of steps done (fewer when `observe` stopped the loop) and, when the loop
/// stopped at a step whose loss was NaN or infinite, that loss; `parameters` then hold the values
/// that step read.
func runEpochLoop(_ compiled: CompiledFunction, step: TrainingStep, inputs: HostTensor, labels: HostTensor,
                  permutation: [Int64], batchSize: Int, steps: Int, firstStep: Int, every: Int,
                  parameters: inout [HostTensor], spare: inout [HostTensor],
                  observe: @escaping (Int, Double) -> Bool) throws -> (done: Int, nonFiniteLoss: Double?) {
    guard permutation.count >= steps * batchSize, permutation.allSatisfy({ $0 >= 0 && Int($0) < inputs.type.shape[0] }),
          inputs.type.shape[0] == labels.type.shape[0] else {
        throw KilnError("the epoch needs \(steps * batchSize) row indices within the \(inputs.type.shape[0]) rows of the data set")
    }
    let f = step.function
    let types = f.paramTypes
    let xBatch = try HostTensor(zeros: types[0]), yBatch = try HostTensor(zeros: types[1])
    guard xBatch.type.byteCount * inputs.type.shape[0] == inputs.type.byteCount * batchSize,
          yBatch.type.byteCount * labels.type.shape[0] == labels.type.byteCount * batchSize,
          inputs.type.dtype == xBatch.type.dtype, labels.type.dtype == yBatch.type.dtype else {
        throw KilnError("data rows \(inputs.type) / \(labels.type) do not fit the step's batches \(types[0]) / \(types[1])")
    }
    let stepScalar = try HostTensor(zeros: types[2])
    let key = step.usesRandomKey ? try HostTensor(zeros: types[3]) : nil
    let loss = try HostTensor(zeros: f.resultTypes[0])
    let fixed = [xBatch, yBatch, stepScalar] + (key.map { [$0] } ?? [])
    // A fault inside compiled code would end the process: check every buffer's type first.
    guard (fixed + parameters).map(\.type) == types, spare.map(\.type) == parameters.map(\.type),
          f.resultTypes == [loss.type] + parameters.map(\.type) else {
        throw KilnError("the parameters, optimizer state or buffers no longer have the types the compiled step was built for; create the Trainer again after changing the model")
    }
    var args: [UnsafeMutableRawPointer?] = (fixed + parameters).map(\.data) + [loss.data] + spare.map(\.data)
    let outputBase = fixed.count + parameters.count
    var feedback: [Int32] = []
    for i in parameters.indices { feedback += [Int32(fixed.count + i), Int32(outputBase + 1 + i)] }
    let sources: [UnsafeRawPointer?] = [UnsafeRawPointer(inputs.data), UnsafeRawPointer(labels.data)]
    let rowBytes = [xBatch.type.byteCount / batchSize, yBatch.type.byteCount / batchSize]
    let gathered: [Int32] = [0, 1]
    let observer = Observer(lossType: loss.type.dtype, body: observe)
    let context = Unmanaged.passRetained(observer)
    defer { context.release() }
    let callback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?) -> Int32 = { context, done, loss in
        guard let context, let loss else { return 1 }
        let observer = Unmanaged<Observer>.fromOpaque(context).takeUnretainedValue()
        let value = observer.lossType == .f64 ? loss.load(as: Double.self) : Double(loss.load(as: Float.self))
        return observer.body(done, value) ? 1 : 0
    }
    // kiln_fit comes from the same tier as the entry point it calls, and stays for the whole loop.
    let returned = try compiled.withEntryAndArena { code, arena in
        guard let fit = code.symbol("kiln_fit") else { throw KilnError.internal("the compiled step has no kiln_fit loop") }
        let function = unsafeBitCast(fit, to: FitFunction.self)
        return args.withUnsafeMutableBufferPointer { a in
            function(a.baseAddress, arena, sources, rowBytes, gathered, 2, permutation, batchSize, steps, Int64(firstStep),
                     2, step.usesRandomKey ? 3 : -1, feedback, parameters.count, Int32(outputBase),
                     loss.type.dtype == .f64 ? 1 : 0, max(every, 1),
                     callback, context.toOpaque())
        }
    }
    // After the swaps, args[input] points at the newest values of each fed-back tensor.
    let all = parameters + spare
    for i in parameters.indices {
        let newest = args[fixed.count + i], other = args[outputBase + 1 + i]
        guard let n = all.first(where: { $0.data == newest }), let o = all.first(where: { $0.data == other }) else {
            throw KilnError.internal("the epoch loop lost a parameter buffer")
        }
        parameters[i] = n
        spare[i] = o
    }
    withExtendedLifetime((fixed, inputs, labels)) {}
    return returned < 0 ? (-returned - 1, loss[0].asDouble) : (returned, nil)
}
