#!/usr/bin/env bash
# The peer benchmark (docs/benchmarks.md): `kiln bench` and the same workloads in PyTorch (eager and
# torch.compile) and JAX (jax.jit), back to back, then one table of median step times.
#   bash Benchmarks/peers/run.sh [workload ...]      STEPS=50 (timed steps per run), PASSES=1
# Installs torch (CPU build) and jax[cpu] into Benchmarks/peers/.venv (ignored by git); not part of CI.
# OpenBLAS chooses its kernels for the CPU: OPENBLAS_CORETYPE is unset unless KEEP_CORETYPE=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=Benchmarks/peers
venv=$here/.venv
steps=${STEPS:-50}
passes=${PASSES:-1}
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q numpy torch==2.13.0+cpu 'jax[cpu]'
swift build -c release --product kiln >&2
mkdir -p "$here/results"
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
if [ "${KEEP_CORETYPE:-0}" != 1 ]; then unset OPENBLAS_CORETYPE; fi
echo "== OpenBLAS kernels: ${OPENBLAS_CORETYPE:-its own choice for this CPU}"
for pass in $(seq "$passes"); do
  out=$here/results/$(date -u +%Y%m%dT%H%M%SZ)-$pass
  echo "== pass $pass: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  .build/release/kiln bench --json --steps "$steps" --eager-steps 2 "$@" > "$out-kiln.json"
  (cd "$here" && .venv/bin/python torch_bench.py --steps "$steps" "$@") > "$out-torch.jsonl"
  (cd "$here" && .venv/bin/python jax_bench.py --steps "$steps" "$@") > "$out-jax.jsonl"
  echo "== pass $pass: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$venv/bin/python" "$here/compare.py" "$out-kiln.json" "$out-torch.jsonl" "$out-jax.jsonl"
done
