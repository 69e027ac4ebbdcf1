import KilnIR
#if canImport(Glibc)
import Glibc
#endif

// The thread pool of generated code. A unit with parallel loops defines, in its prelude, a pool of
// `threads - 1` persistent workers (pthreads), started by its first parallel loop and stopped by
// `kiln_threads_stop()` (which the JIT calls before it unloads the code). A parallel loop over
// `0..<count` is cut into chunks of `grain` iterations and those into `threads · partsPerThread`
// parts; part `p` of `P` gets chunks `[p·chunks/P, (p+1)·chunks/P)`, whichever thread claims it.
// The partition depends only on the count, the grain and the thread count, never on timing, and a
// part's work (per-part scratch included) does not depend on the thread running it, so a given
// thread count always gives the same results; the loops Kiln parallelizes write disjoint outputs
// per part (reductions are split across independent outputs only), so results also match one thread.
// The pool is plain C with the pthread functions bound by the JIT, so tcc and gcc compile it alike.

/// The pthread functions the pool calls, declared with `void *` for the pthread types (pointer
/// arguments have the same ABI), so that units include no header.
enum PthreadFunction: String, CaseIterable, Sendable {
    case create = "pthread_create", join = "pthread_join"
    case mutexInit = "pthread_mutex_init", mutexDestroy = "pthread_mutex_destroy"
    case lock = "pthread_mutex_lock", unlock = "pthread_mutex_unlock"
    case condInit = "pthread_cond_init", condDestroy = "pthread_cond_destroy"
    case wait = "pthread_cond_wait", broadcast = "pthread_cond_broadcast", signal = "pthread_cond_signal"

    var prototype: String {
        switch self {
        case .create: return "int pthread_create(unsigned long *, const void *, void *(*)(void *), void *);"
        case .join: return "int pthread_join(unsigned long, void **);"
        case .mutexInit, .condInit: return "int \(rawValue)(void *, const void *);"
        case .wait: return "int pthread_cond_wait(void *, void *);"
        case .mutexDestroy, .lock, .unlock, .condDestroy, .broadcast, .signal: return "int \(rawValue)(void *);"
        }
    }
}

/// The exported function that stops a unit's workers; the JIT calls it before unloading the code.
public let threadsStopSymbol = "kiln_threads_stop"

/// The largest thread count generated code accepts (`KILN_NUM_THREADS`, `CodegenOptions.threads`).
public let maxThreads = 64

/// The thread count of `CodegenOptions()`: `KILN_NUM_THREADS` when set, else the number of online
/// cores. A value that is not a whole number from 1 to `maxThreads` is an error naming the variable.
public func defaultThreadCount() throws(KilnError) -> Int {
    if let raw = getenv("KILN_NUM_THREADS"), raw.pointee != 0 {
        let text = String(cString: raw)
        guard let n = Int(text), (1...maxThreads).contains(n) else {
            throw KilnError("KILN_NUM_THREADS='\(text)' is not a thread count: set it to a whole number from 1 to \(maxThreads), or unset it to use every core")
        }
        return n
    }
    return min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), maxThreads)
}

/// Iterations a worker spins on the pool's counters before it sleeps (about 10-40 µs): back-to-back
/// parallel loops then start without a wake-up, and an idle pool leaves the cores to OpenBLAS.
let poolSpinIterations = 20_000

/// Parts of a parallel loop per thread: threads claim parts until none is left, so a worker the
/// system does not schedule in time holds up at most one small part (the caller takes the rest).
public let partsPerThread = 4

/// The pool's C for `threads` threads (at least 2): `kiln_parallel_for(task, context, count, grain)`
/// runs `task(context, lo, hi, p)` on every part `p` of `0..<count` (`threads · partsPerThread`
/// parts, each claimed by whichever thread comes first) and returns when all are done;
/// `kiln_threads_stop()` joins the workers. When a worker cannot be created, the calling thread
/// runs every part.
func threadPoolText(threads: Int) -> String {
    let parts = threads * partsPerThread
    return """
    /* Kiln's thread pool: \(threads) threads (the caller and \(threads - 1) persistent workers started by the first parallel loop). */
    typedef void (*kiln_task)(void **, long, long, long);
    static struct {
      long long lock[8], wake[8], done[8];  /* pthread_mutex_t, pthread_cond_t (at most 64 bytes each) */
      unsigned long workers[\(threads - 1)];
      int state;  /* 0: not started, 1: workers running, -1: the caller runs every part */
      int stop;
      volatile long generation, finished;
      long next;
      kiln_task task;
      void **context;
      long count, grain;
    } kiln_pool;
    /* Claims and runs parts of the current loop until none is left. Part p of \(parts) gets the
       chunks [p*chunks/\(parts), (p+1)*chunks/\(parts)) of `grain` iterations. */
    static void kiln_pool_run(void) {
      for (;;) {
        pthread_mutex_lock(kiln_pool.lock);
        long p = kiln_pool.next < \(parts) ? kiln_pool.next++ : \(parts);
        kiln_task task = kiln_pool.task;
        void **context = kiln_pool.context;
        long count = kiln_pool.count, grain = kiln_pool.grain;
        pthread_mutex_unlock(kiln_pool.lock);
        if (p == \(parts)) return;
        long chunks = (count + grain - 1) / grain;
        long lo = p * chunks / \(parts) * grain, hi = (p + 1) * chunks / \(parts) * grain;
        if (hi > count) hi = count;
        if (lo < hi) task(context, lo, hi, p);
        pthread_mutex_lock(kiln_pool.lock);
        if (++kiln_pool.finished == \(parts)) pthread_cond_signal(kiln_pool.done);
        pthread_mutex_unlock(kiln_pool.lock);
      }
    }
    static void *kiln_pool_worker(void *arg) {
      long seen = 0;
      for (;;) {
        for (long spin = 0; spin < \(poolSpinIterations) && kiln_pool.generation == seen; spin++) {}
        pthread_mutex_lock(kiln_pool.lock);
        while (kiln_pool.generation == seen && !kiln_pool.stop) pthread_cond_wait(kiln_pool.wake, kiln_pool.lock);
        int stop = kiln_pool.stop;
        seen = kiln_pool.generation;
        pthread_mutex_unlock(kiln_pool.lock);
        if (stop) return arg;
        kiln_pool_run();
      }
    }
    void \(threadsStopSymbol)(void) {
      if (kiln_pool.state != 1) return;
      pthread_mutex_lock(kiln_pool.lock);
      kiln_pool.stop = 1;
      pthread_cond_broadcast(kiln_pool.wake);
      pthread_mutex_unlock(kiln_pool.lock);
      for (long t = 0; t < \(threads - 1) && kiln_pool.workers[t]; t++) pthread_join(kiln_pool.workers[t], 0);
      kiln_pool.state = -1;
    }
    static void kiln_pool_start(void) {
      pthread_mutex_init(kiln_pool.lock, 0);
      pthread_cond_init(kiln_pool.wake, 0);
      pthread_cond_init(kiln_pool.done, 0);
      kiln_pool.state = 1;
      for (long t = 1; t < \(threads); t++) {
        if (pthread_create(&kiln_pool.workers[t - 1], 0, kiln_pool_worker, 0) != 0) {
          kiln_pool.workers[t - 1] = 0;
          \(threadsStopSymbol)();
          return;
        }
      }
    }
    static void kiln_parallel_for(kiln_task task, void **context, long count, long grain) {
      if (kiln_pool.state == 0) kiln_pool_start();
      pthread_mutex_lock(kiln_pool.lock);
      kiln_pool.task = task;
      kiln_pool.context = context;
      kiln_pool.count = count;
      kiln_pool.grain = grain;
      kiln_pool.next = 0;
      kiln_pool.finished = 0;
      kiln_pool.generation++;
      if (kiln_pool.state == 1) pthread_cond_broadcast(kiln_pool.wake);
      pthread_mutex_unlock(kiln_pool.lock);
      kiln_pool_run();
      for (long spin = 0; spin < \(poolSpinIterations) && kiln_pool.finished < \(parts); spin++) {}
      pthread_mutex_lock(kiln_pool.lock);
      while (kiln_pool.finished < \(parts)) pthread_cond_wait(kiln_pool.done, kiln_pool.lock);
      pthread_mutex_unlock(kiln_pool.lock);
    }
    """
}

/// The work of one element of `op` in a parallel loop, for the serial threshold: 8 for a libm
/// call, 1 otherwise.
func elementCost(_ op: Op) -> Int {
    if case .unary(let u) = op, [.exp, .log, .tanh, .sigmoid, .sin, .cos, .sqrt, .rsqrt].contains(u) { return 8 }
    if case .binary(.pow) = op { return 8 }
    return 1
}
