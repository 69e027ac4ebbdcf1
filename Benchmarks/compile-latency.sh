#!/usr/bin/env bash
# tcc compile time of every ir-examples function's first function (one run each), largest last,
# and the run time of the MLP and conv examples compiled vs interpreted.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product kiln >/dev/null
K=.build/release/kiln
for f in ir-examples/*.kir; do
  ms=$($K run "$f" --random-inputs --timings --passes none | awk '/time tcc compile/ {print $4}')
  echo "$(basename "$f" .kir) $ms"
done | sort -k2 -g | awk '{printf "%-26s %8s ms\n", $1, $2}'
for f in mlp_softmax_xent conv_relu_maxpool conv_net_loss; do
  jit=$($K run "ir-examples/$f.kir" --random-inputs --timings --backend jit | awk '/time run/ {print $3}')
  interp=$($K run "ir-examples/$f.kir" --random-inputs --timings --backend interp | awk '/time run/ {print $3}')
  echo "$f: run jit $jit ms, interp $interp ms"
done
