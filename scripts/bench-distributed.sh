#!/usr/bin/env bash
# Step time of `kiln train` at the same global batch (docs/distributed.md): 1 rank x 2 OpenBLAS
# threads against 2 ranks x 1 thread in each gradient fusion MODE (a --gradient-fusion value;
# MODE/no-test also sets KILN_MPI_TEST=0), runs interleaved so that load on the machine hits all
# alike. Usage: scripts/bench-distributed.sh [kiln binary] [repeats] [MODE...]
# (default modes: flat buckets:65536 buckets:65536/no-test; MODELS="mlp" runs one workload)
set -euo pipefail
kiln=${1:-.build/release/kiln}
repeats=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(flat buckets:65536 buckets:65536/no-test)
mpirun=(mpirun --allow-run-as-root --oversubscribe -x OPENBLAS_NUM_THREADS=1)
# The last steps/s of the progress bar of a run's output.
rate() { tr '\r' '\n' | grep -o '[0-9.]* steps/s' | tail -1 | cut -d' ' -f1; }
for model in ${MODELS:-mlp cnn}; do
  limit=$([ "$model" = mlp ] && echo 25600 || echo 6400)
  common=(train --model "$model" --epochs 1 --limit "$limit")
  for r in $(seq "$repeats"); do
    line="$model run $r (load $(cut -d' ' -f1 /proc/loadavg)): 1 rank x 2 threads $(OPENBLAS_NUM_THREADS=2 "$kiln" "${common[@]}" --batch-size 128 2>&1 | rate)"
    for mode in "${modes[@]}"; do
      test=$([ "${mode%/no-test}" = "$mode" ] && echo 1 || echo 0)
      two=$("${mpirun[@]}" -x KILN_MPI_TEST=$test -n 2 "$kiln" "${common[@]}" --batch-size 64 --gradient-fusion "${mode%/no-test}" 2>&1 | rate)
      line+=", $mode $two"
    done
    echo "$line steps/s"
  done
done
