#!/usr/bin/env bash
# Install fzcompare into .venv (created if missing) and write two benchmark reports against the
# bundled Hubei-style rubric, with an index page linking them:
#   reports/latest/real/  the bundled real published figures (sparse: each report discloses its
#                         own few figures; only regions with enough evidence are ranked)
#   reports/latest/demo/  the synthetic demo panel (full; marked SYNTHETIC on every page)
#   reports/latest/index.html
# Deterministic: the same inputs and AS_OF (YYYY-MM-DD, default today) give byte-identical files.
# Extra arguments go to both `fzcompare report` runs (e.g. --no-charts, --min-evidence 0.4).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
AS_OF=${AS_OF:-$(date -u +%F)}
OUT=reports/latest
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==26.3"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
# Build into a fresh folder and swap it in, so a failed run leaves the previous reports whole.
NEW="$OUT.new"
rm -rf "$NEW"
.venv/bin/fzcompare report datasets/real --criteria hubei-demo-2024 --as-of "$AS_OF" -d "$NEW/real" "$@"
.venv/bin/fzcompare report datasets/demo --criteria hubei-demo-2024 --as-of "$AS_OF" -d "$NEW/demo" "$@"
.venv/bin/fzcompare report-index "$NEW" --as-of "$AS_OF"
rm -rf "$OUT.old"
[ -d "$OUT" ] && mv "$OUT" "$OUT.old"
mv "$NEW" "$OUT"
rm -rf "$OUT.old"
echo "reports written to $OUT/index.html (real: $OUT/real/index.html, synthetic demo: $OUT/demo/index.html)"
