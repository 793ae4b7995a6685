#!/usr/bin/env bash
# Set up (with the test extras, at the versions of constraints.txt), then run the test suite
# on 2 worker processes.
#   PHYSNN_SLOW=1 bash scripts/test.sh       also runs the cases marked slow
#   PHYSNN_UNPINNED=1 bash scripts/test.sh   against the newest version of every dependency (.venv-unpinned)
#   bash scripts/test.sh tests/nn -n 0       pytest arguments pass through (-n 0: one process)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The playground's browser tests run in Debian's Chromium (Playwright's own browser download
# cannot reach the internet here); install it when missing and we may, else those tests skip.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "test: installing Debian's chromium for the playground's browser tests"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "test: chromium could not be installed; the playground's browser tests will skip"
fi
if [ "${PHYSNN_UNPINNED:-0}" = "1" ]; then VENV="${PHYSNN_VENV:-.venv-unpinned}"; else VENV="${PHYSNN_VENV:-.venv}"; fi
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${PHYSNN_TEST_WORKERS:-2}" "$@"
