#!/usr/bin/env bash
# Set up a virtual environment with torch and physnn.  Usage: bash scripts/setup.sh [EXTRAS]
#   EXTRAS: pip extras to install, e.g. "test" or "io,test" (default: none)
# torch is pinned to 2.13.0 first: on the project's machines that is the CPU
# build lying on disk; a plain "torch" would pull a multi-GB CUDA build.
# Everything else is installed at the exact versions of constraints.txt (the set
# the test suite passed with; `bash scripts/lock.sh` refreshes it).
#   PHYSNN_UNPINNED=1   ignore constraints.txt: the newest versions, in .venv-unpinned
#   PHYSNN_VENV=DIR     use another environment folder (default .venv)
#   PYTHON=python3.12   pick the interpreter; PHYSNN_TORCH=2.14.1 another torch
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PHYSNN_UNPINNED:-0}" = "1" ]; then VENV="${PHYSNN_VENV:-.venv-unpinned}"; else VENV="${PHYSNN_VENV:-.venv}"; fi
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.11 python3 python; do
    if command -v "$c" >/dev/null 2>&1; then PY="$c"; break; fi
  done
fi
[ -n "$PY" ] || { echo "setup: no python3 found; install Python >= 3.11" >&2; exit 1; }
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "setup: $("$PY" --version) is too old; physnn needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
quiet() { grep -v "is ignored: it is neither a file nor a directory" || true; }
if ! "$VENV/bin/python" -c 'import torch' >/dev/null 2>&1; then
  "${PIP[@]}" install "torch==${PHYSNN_TORCH:-2.13.0}" 2>&1 | quiet
  "$VENV/bin/python" -W ignore -c 'import torch' || { echo "setup: torch did not install" >&2; exit 1; }
fi
# torch stays the build installed above, whatever a package asks for (no surprise CUDA download)
pins="$VENV/physnn-constraints.txt"
echo "torch==$("$VENV/bin/python" -W ignore -c 'import torch; print(torch.__version__.split("+")[0])')" > "$pins"
upgrade=()
if [ "${PHYSNN_UNPINNED:-0}" = "1" ]; then
  upgrade=(--upgrade --upgrade-strategy eager)
  echo "setup: PHYSNN_UNPINNED=1: newest versions of every dependency, in $VENV"
else
  grep -v -i -E '^(#|torch==)' constraints.txt >> "$pins"
fi
spec="."
[ -n "${1:-}" ] && spec=".[$1]"
"${PIP[@]}" install "${upgrade[@]}" -c "$pins" -e "$spec" 2>&1 | quiet
"$VENV/bin/python" -c 'import physnn, torch; print(f"physnn {physnn.__version__} with torch {torch.__version__} ready in '"$VENV"'")'
