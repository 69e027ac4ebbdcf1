#!/usr/bin/env bash
# Prints every scalar of a TensorBoard log directory as TensorBoard's own reader reads it
# (scripts/tensorboard_scalars.py). Uses $PYTHON when set (it needs the tensorboard package),
# else a virtual environment in .venv-tensorboard/ (ignored by git), made on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-}"
if [ -z "$python" ]; then
  venv="$root/.venv-tensorboard"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import tensorboard" 2>/dev/null || "$venv/bin/pip" install -q "tensorboard==2.21.0"
  python="$venv/bin/python"
fi
exec "$python" "$root/scripts/tensorboard_scalars.py" "$@"
