#!/usr/bin/env bash
# Refresh constraints.txt: resolve the newest versions of everything physnn can use
# (all extras + test extras) in a throw-away venv, then pin exactly what was installed.
#   bash scripts/lock.sh            # rewrites constraints.txt; run the tests, then commit it
# set-up (scripts/setup.sh) installs with `-c constraints.txt` unless PHYSNN_UNPINNED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
PIP=("$tmp/venv/bin/python" -m pip --disable-pip-version-check -q)
"${PIP[@]}" install "torch==${PHYSNN_TORCH:-2.13.0}" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
"${PIP[@]}" install -e ".[all,test,dev]" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
{
  echo "# The versions physnn's test suite passed with (pip constraints; bash scripts/lock.sh refreshes it)."
  echo "# Used by scripts/setup.sh; PHYSNN_UNPINNED=1 bash scripts/test.sh tests against the newest versions instead."
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check \
    | grep -v -i '^physnn' | sed -E 's/^(torch==[^+]*)\+.*/\1/' | LC_ALL=C sort -f
} > constraints.txt.tmp
mv constraints.txt.tmp constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pinned packages"
