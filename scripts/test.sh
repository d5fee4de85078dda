#!/usr/bin/env bash
# Install fzcompare with its dev tools into .venv (created if missing) and run every check:
# lint (ruff), types (mypy), tests with doctests and notebooks (pytest), docs build (mkdocs).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
export MPLBACKEND=Agg
echo "== ruff";   .venv/bin/ruff check src tests benchmarks datasets scripts
echo "== mypy";   .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest
if [ -f mkdocs.yml ]; then
  echo "== docs"; NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
fi
