#!/usr/bin/env bash
# Set up .venv with torch and physnn.  Usage: bash scripts/setup.sh [EXTRAS]
#   EXTRAS: pip extras to install, e.g. "test" or "io,test" (default: none)
# torch is pinned to 2.13.0 first: on the project's machines that is the CPU
# build lying on disk; a plain "torch" would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.11 python3 python; do
    if command -v "$c" >/dev/null 2>&1; then PY="$c"; break; fi
  done
fi
[ -n "$PY" ] || { echo "setup: no python3 found; install Python >= 3.11" >&2; exit 1; }
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "setup: $("$PY" --version) is too old; physnn needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
if ! .venv/bin/python -c 'import torch' >/dev/null 2>&1; then
  "${PIP[@]}" install "torch==${PHYSNN_TORCH:-2.13.0}" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c 'import torch' || { echo "setup: torch did not install" >&2; exit 1; }
fi
spec="."
[ -n "${1:-}" ] && spec=".[$1]"
"${PIP[@]}" install -e "$spec" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c 'import physnn, torch; print(f"physnn {physnn.__version__} with torch {torch.__version__} ready in .venv")'
