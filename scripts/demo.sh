#!/usr/bin/env bash
# Set up, then run the main job: the whole lecture, measured -> runs/lecture/report.html
#   bash scripts/demo.sh --quick            small sizes (about 30 s)
#   bash scripts/demo.sh --sections 2,5,9   a few sections
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/physnn lecture "$@"
