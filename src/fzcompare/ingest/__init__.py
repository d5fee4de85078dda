"""Indicator tables in: XLSX (also WPS-saved), CSV and Parquet, long or wide.

``import_tables`` reads the files, maps headers to catalog codes and region cells to
region codes (each with a confidence), keeps every not-disclosed, unmapped or unresolved
cell out of the observations but in its ``issues``, and writes once. See
``docs/import.md``.
"""

from __future__ import annotations

from fzcompare.ingest._cells import NOT_DISCLOSED_MARKS, Cell, parse_cell, unit_of_header
from fzcompare.ingest._grid import Grid, cell_address, read_grids
from fzcompare.ingest._import import ISSUE_SCHEMA, ImportResult, import_tables, read_mapping
from fzcompare.ingest._names import HeaderMatch, RegionMatch, match_header, resolve_region

__all__ = [
    "ISSUE_SCHEMA",
    "NOT_DISCLOSED_MARKS",
    "Cell",
    "Grid",
    "HeaderMatch",
    "ImportResult",
    "RegionMatch",
    "cell_address",
    "import_tables",
    "match_header",
    "parse_cell",
    "read_grids",
    "read_mapping",
    "resolve_region",
    "unit_of_header",
]
