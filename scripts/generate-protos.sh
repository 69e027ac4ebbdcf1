#!/usr/bin/env bash
# Regenerates Sources/KilnONNX/Generated/onnx.pb.swift from the ONNX schema Debian's libonnx-dev
# installs, with protoc (protobuf-compiler) and swift-protobuf's protoc-gen-swift built from the
# package's checkout. Run by hand after a schema or swift-protobuf upgrade; the build does not
# need it (the generated file is committed). Set PROTOC_GEN_SWIFT to a built plugin to skip
# building it (a release build takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
for p in protobuf-compiler libonnx-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$p"
  fi
done
schema=/usr/include/onnx/onnx.proto
plugin="${PROTOC_GEN_SWIFT:-}"
if [ -z "$plugin" ]; then
  swift package resolve
  checkout=.build/checkouts/swift-protobuf
  swift build --package-path "$checkout" -c release --product protoc-gen-swift
  plugin="$checkout/.build/release/protoc-gen-swift"
fi
out=Sources/KilnONNX/Generated
mkdir -p "$out"
protoc --proto_path="$(dirname "$schema")" --plugin=protoc-gen-swift="$plugin" \
  --swift_out="$out" --swift_opt=Visibility=Internal "$schema"
echo "generate-protos: wrote $out/onnx.pb.swift from $schema ($(dpkg-query -W -f='${Version}' libonnx-dev))"
