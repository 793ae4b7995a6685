#!/usr/bin/env bash
# Set up, then run the main job: the lecture's SimpleNet on its built-in task -> runs/simplenet*/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/physnn train simplenet "$@"
