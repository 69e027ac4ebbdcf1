#!/usr/bin/env bash
# Regenerates Sources/KilnTensorBoard/tensorboard_event.pb.swift from tensorboard_event.proto beside it.
# Needs protoc (Debian's protobuf-compiler) and swift-protobuf's protoc-gen-swift plugin, of the
# version Package.swift depends on: built from its sources (`swift build -c release --product
# protoc-gen-swift` in a checkout of apple/swift-protobuf, some minutes) and passed as
# PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift, or found on the PATH. CI does not run this: the
# generated file is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
[ -x "$plugin" ] || { echo "generate-tensorboard-proto: set PROTOC_GEN_SWIFT to swift-protobuf's protoc-gen-swift" >&2; exit 1; }
command -v protoc >/dev/null || { echo "generate-tensorboard-proto: protoc is missing: apt-get install protobuf-compiler" >&2; exit 1; }
dir=Sources/KilnTensorBoard
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$dir" --swift_out="$dir" \
  --swift_opt=Visibility=Internal tensorboard_event.proto
echo "wrote $dir/tensorboard_event.pb.swift"
