#!/usr/bin/env bash
# Installs the system packages Kiln needs, only when something is missing.
set -euo pipefail
packages=(libtcc-dev tcc libopenblas-dev pkg-config zlib1g-dev dataset-fashion-mnist gcc openmpi-bin libopenmpi-dev graphviz libpng-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "setup: Swift 6 is required on the PATH (https://swift.org/install)" >&2; exit 1; }
