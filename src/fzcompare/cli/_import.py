"""``fzcompare import``: indicator tables (XLSX, CSV, Parquet) -> a dataset, in one write."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
import yaml

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare._io import atomic_write_bytes
from fzcompare.cli._common import (
    Format,
    FormatOption,
    OutputOption,
    choose_sink,
    emit,
    encode,
    note,
)
from fzcompare.ingest import import_tables

if TYPE_CHECKING:
    from fzcompare.ingest import ImportResult


def _report_xlsx(result: ImportResult) -> bytes:
    """The import report workbook: observations, headers, regions and cells kept out."""
    headers = pl.DataFrame([(h.header, h.code, h.confidence, h.matched, h.unit)
                            for h in result.headers], orient="row",
                           schema=["header", "code", "confidence", "matched", "unit"])
    regions = pl.DataFrame([(r.name, r.code) for r in result.regions],
                           orient="row", schema=["region_name", "region_code"])
    return xlsx_bytes({"observations": result.observations, "headers": headers,
                       "regions": regions, "kept_out": result.issues},
                      notes=XlsxNotes(title="fzcompare import report"))


def _explain(result: ImportResult) -> None:
    """The mapping and the failures, on stderr."""
    for header in result.headers:
        target = header.code or "UNMAPPED"
        note(f"header: {header.header!r} -> {target} ({header.confidence:.2f})")
    for region in result.regions:
        found = region.code or f"UNRESOLVED ({region.problem or 'no region'})"
        note(f"region: {region.name!r} -> {found}")
    for failure in result.errors:
        note(f"error: {failure.message} ({failure.details.get('reason')})")


_SHOWN: tuple[str, ...] = ("region_code", "year", "indicator_code", "value", "unit", "scope",
                          "qualifier", "quote")
"""What -f table shows, most important first."""


def import_command(
    paths: Annotated[list[Path], typer.Argument(
        help="Table files: XLSX (also saved by WPS), CSV, Parquet (kind read from the "
             "bytes).", show_default=False)],
    into: Annotated[Path | None, typer.Option(
        "--into", help="Add the observations to this dataset (one write, after every "
                       "file is read; rows with the same key are replaced).")] = None,
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="Write the header and region mapping (and every cell kept out) to "
                       "this YAML file, to edit and pass back with --mapping.")] = None,
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help="An edited plan file: its codes override the matching.")] = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Import indicator tables as observations with cell provenance (file sheet!D7).

    The observations go to stdout or -o (xlsx adds the headers, regions and kept_out
    sheets); the mapping goes to stderr. Cells marked not disclosed (—, /, 未公开, empty)
    become observations with disclosure withheld and no value (never zero); unmapped
    headers and unresolved regions are kept out and listed. A file that cannot be
    imported is named with its reason; the others still go through. Exit code 1 when any
    file failed.
    """
    sink = choose_sink(output_format, output)
    result = import_tables(paths, into=into, mapping=mapping)
    _explain(result)
    if plan is not None:
        text = yaml.safe_dump(result.plan(), allow_unicode=True, sort_keys=False)
        atomic_write_bytes(plan, ("# fzcompare import plan: edit the codes, pass back "
                                  "with --mapping\n" + text).encode("utf-8"))
    frame = result.observations
    if sink.format is Format.xlsx:
        data = _report_xlsx(result)
    else:
        shown = frame.select([c for c in _SHOWN if c in frame.columns]) if (
            sink.format is Format.table) else frame
        data = encode(shown, sink, title="fzcompare import: observations")
    emit(data, sink, what=f"{frame.height} observations")
    written = f"; {into}: {result.written!r}" if result.written is not None else ""
    note(f"import: {len(paths)} file(s), {frame.height} observations, "
         f"{result.issues.height} cell(s) kept out, {len(result.errors)} failed{written}")
    if result.errors:
        raise typer.Exit(1)
