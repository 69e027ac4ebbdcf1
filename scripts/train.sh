#!/usr/bin/env bash
# Installs what is missing, builds Kiln in release mode, and trains on Fashion-MNIST (compiled).
# Extra arguments go to `kiln train` (see `kiln train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product kiln
.build/release/kiln train "$@"
