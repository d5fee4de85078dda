"""``python -m fzcompare.validate [FOLDER]``: regenerate the suite files from the catalog."""

from __future__ import annotations

import sys

from fzcompare.validate._suites import write_suites


def main(argv: list[str] | None = None) -> int:
    """Write the generated suites to FOLDER (default: the package's ``suites/``)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_suites(args[0] if args else None):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
