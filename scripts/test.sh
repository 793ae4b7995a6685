#!/usr/bin/env bash
# Set up (with the test extras), then run the test suite.
#   PHYSNN_SLOW=1 bash scripts/test.sh   also runs the cases marked slow
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
