#!/usr/bin/env bash
# Set up, then run the main job: the whole lecture, measured -> runs/lecture/report.html
#   bash scripts/demo.sh --quick            small sizes
#   bash scripts/demo.sh --sections 2,5,9   a few sections
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh lecture
if [ "${PHYSNN_UNPINNED:-0}" = "1" ]; then VENV="${PHYSNN_VENV:-.venv-unpinned}"; else VENV="${PHYSNN_VENV:-.venv}"; fi
exec "$VENV/bin/physnn" lecture "$@"
