#!/usr/bin/env bash
# Install fzcompare with its dev tools into .venv (created if missing) and run every check:
# lint (ruff), types (mypy over src and tests), tests with doctests, notebooks and the strict
# docs build (pytest on both cores, with a line-coverage floor). Extra arguments go to pytest,
# e.g. `bash scripts/test.sh -m "not slow"` for the fast lane.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
export MPLBACKEND=Agg
echo "== ruff";   .venv/bin/ruff check src tests benchmarks datasets scripts
echo "== mypy";   .venv/bin/mypy
# The docs are built once, by tests/test_docs_build.py (mkdocs build --strict, offline).
echo "== pytest"; NO_MKDOCS_2_WARNING=1 .venv/bin/python -m pytest -n 2 \
  --cov=fzcompare --cov-report=term:skip-covered --cov-fail-under=90 "$@"
