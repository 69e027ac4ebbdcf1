#!/usr/bin/env bash
# Step time of `kiln train` with 1 rank x 2 OpenBLAS threads against 2 ranks x 1 thread at the
# same global batch (docs/distributed.md), runs interleaved so that load on the machine hits both
# alike. Usage: scripts/bench-distributed.sh [kiln binary] [repeats]
set -euo pipefail
kiln=${1:-.build/release/kiln}
repeats=${2:-3}
mpirun=(mpirun --allow-run-as-root --oversubscribe)
# The last steps/s of the progress bar of a run's output.
rate() { tr '\r' '\n' | grep -o '[0-9.]* steps/s' | tail -1 | cut -d' ' -f1; }
for model in mlp cnn; do
  limit=$([ "$model" = mlp ] && echo 25600 || echo 6400)
  common=(train --model "$model" --epochs 1 --limit "$limit")
  for r in $(seq "$repeats"); do
    one=$(OPENBLAS_NUM_THREADS=2 "$kiln" "${common[@]}" --batch-size 128 2>&1 | rate)
    two=$("${mpirun[@]}" -x OPENBLAS_NUM_THREADS=1 -n 2 "$kiln" "${common[@]}" --batch-size 64 2>&1 | rate)
    per=$("${mpirun[@]}" -x OPENBLAS_NUM_THREADS=1 -x KILN_ALLREDUCE=per-tensor -n 2 "$kiln" "${common[@]}" --batch-size 64 2>&1 | rate)
    echo "$model run $r: global batch 128: 1 rank x 2 threads $one steps/s, 2 ranks x 1 thread $two steps/s (flat), $per steps/s (per-tensor)"
  done
done
