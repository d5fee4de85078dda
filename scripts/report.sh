#!/usr/bin/env bash
# Install fzcompare into .venv (created if missing) and write the benchmark report of the bundled
# demo panel against the bundled Hubei-style rubric under reports/latest/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
.venv/bin/fzcompare report datasets/demo --criteria hubei-demo-2024 --out reports/latest "$@"
echo "report written to reports/latest/index.html"
