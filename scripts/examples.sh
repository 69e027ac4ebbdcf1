#!/usr/bin/env bash
# Builds the Examples/ package (every model of Examples/README.md, against Kiln by path) and runs
# its tests, which run each example with --small and check what it shows.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --package-path Examples --build-tests
swift test --package-path Examples --skip-build "$@"
