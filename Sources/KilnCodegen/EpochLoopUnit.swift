/// The C training loop around a compiled training step (`TrainingStepSignature`), appended to
/// the step's unit: many steps without returning to Swift. It runs steps `begin..<end` of an
/// epoch; each step
/// copies its batch rows (picked through a permutation) into the batch inputs, sets the step count
/// (and the random key), calls the step, then swaps every updated-parameter output with its input,
/// so the next step reads the new values (double buffering, no copies). Every `every` steps it
/// calls back to Swift with the loss; a nonzero answer stops the loop. A NaN or infinite loss stops
/// it at once, before that step's swap, so the inputs still hold the values the step read; the
/// loop then returns -(its index) - 1. Before each step it reads the word `superseded` (may be
/// null): once it is nonzero, newer code of the step is ready, and the loop returns the index of
/// the step it did not run, so the caller can go on with the newer code between two steps.
/// Otherwise it returns the index after the last step it ran.
public enum EpochLoopUnit {
    /// The loop's function: `long kiln_fit(void **args, char *arena, ...)`; see `source`.
    public static let symbol = "kiln_fit"
    /// The external functions the loop calls, for the JIT to bind.
    public static let externalSymbols = ["memcpy"]

    /// The C of the loop.
    public static let source = """
    void *memcpy(void *, const void *, unsigned long);
    typedef int (*kiln_observer)(void *, long, const void *);
    long kiln_fit(void **args, char *arena, const char **sources, const long *row_bytes, const int *gathered,
                  long n_gathered, const long long *perm, long batch, long begin, long end, long long first_step,
                  int step_input, int key_input, const int *feedback, long n_feedback, int loss_output,
                  int loss_is_double, long every, kiln_observer observe, void *context,
                  const volatile int *superseded) {
      for (long s = begin; s < end; s++) {
        if (superseded && *superseded) return s;
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
        \(CProgram.entryName)(args, arena);
        double loss_value = loss_is_double ? *(const double *)args[loss_output] : *(const float *)args[loss_output];
        if (loss_value - loss_value != 0.0) return -s - 1;
        for (long k = 0; k < n_feedback; k++) {
          int i = feedback[2 * k], o = feedback[2 * k + 1];
          void *t = args[i]; args[i] = args[o]; args[o] = t;
        }
        if (observe && ((s + 1) % every == 0 || s + 1 == end) && observe(context, s + 1, args[loss_output])) return s + 1;
      }
      return end;
    }
    """
}
