"""`import fzcompare` stays fast: heavy libraries are imported only where they are used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("great_expectations", "statsmodels", "matplotlib", "scipy", "pandas", "opencc",
         "jinja2")


def test_import_does_not_pull_heavy_modules() -> None:
    code = ("import sys, fzcompare, fzcompare.cli; "
            "print(','.join(m for m in " + repr(HEAVY) + " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"imported at `import fzcompare`: {out}"


def test_public_api_is_sorted_and_present() -> None:
    import fzcompare

    assert list(fzcompare.__all__) == sorted(fzcompare.__all__)
    for name in fzcompare.__all__:
        assert hasattr(fzcompare, name), name
