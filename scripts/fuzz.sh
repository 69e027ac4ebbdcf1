#!/usr/bin/env bash
# Builds the KilnFuzz libFuzzer target (with AddressSanitizer) and fuzzes parse -> verify ->
# print -> parse for SECONDS seconds (default 60) in one process. Exits non-zero when libFuzzer
# finds a crash, a timeout or a leak; the input is saved as .build/fuzz/artifacts/crash-*
# (docs/fuzzing.md says how to turn it into a regression test). Extra arguments go to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
scratch=.build/fuzz
# lld (shipped with Swift) links it, where gold fails on the sanitizer runtime; nothing calls
# libFuzzer's driver by name (KilnFuzz finds it with dlsym), so the linker is told to keep and
# export it.
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
    -Xlinker -u -Xlinker LLVMFuzzerRunDriver -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver \
    --product KilnFuzz --scratch-path "$scratch"
binary="$scratch/release/KilnFuzz"

# The corpus grows across runs; the seeds are made afresh from the examples and the regression
# inputs each time.
seeds="$scratch/seeds"
rm -rf "$seeds"
mkdir -p "$seeds" "$scratch/corpus" "$scratch/artifacts"
find ir-examples -name '*.kir' | while read -r file; do cp "$file" "$seeds/$(echo "$file" | tr / _)"; done
cp Tests/KilnIRTests/Fixtures/fuzz/* "$seeds/"

export SWIFT_BACKTRACE=enable=no
exec "$binary" "$scratch/corpus" "$seeds" \
    -dict=Sources/KilnFuzz/kir.dict \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=16384 \
    -artifact_prefix="$scratch/artifacts/" -print_final_stats=1 "$@"
