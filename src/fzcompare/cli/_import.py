"""``fzcompare import``: indicator tables (XLSX, CSV, Parquet) -> a dataset, in one write."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
import yaml

from fzcompare._export import XlsxNotes, encode_table, xlsx_bytes
from fzcompare._io import atomic_write_bytes
from fzcompare.errors import FzcompareError
from fzcompare.ingest import import_tables


class ImportReportFormat(StrEnum):
    """How the import report (observations, mapping, cells kept out) is written."""

    csv = "csv"
    json = "json"
    xlsx = "xlsx"


def import_command(
    paths: Annotated[list[Path], typer.Argument(
        help="Table files: XLSX (also saved by WPS), CSV, Parquet (kind read from the "
             "bytes).")],
    into: Annotated[Path | None, typer.Option(
        "--into", help="Add the observations to this dataset (one write, after every "
                       "file is read; rows with the same key are replaced).")] = None,
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="Write the header -> code and name -> region mapping (and every "
                       "cell kept out) to this YAML file, to edit and pass back with "
                       "--mapping.")] = None,
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help="An edited plan file: its codes override the matching.")] = None,
    report_format: Annotated[ImportReportFormat | None, typer.Option(
        "--format", help="Write the import report (observations, headers, regions, "
                         "kept_out sheets in xlsx) in this format to -o.")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Where the report goes (needs --format).")] = None,
) -> None:
    """Import indicator tables as observations with cell provenance (file sheet!D7).

    Prints the mapping before writing. Cells marked not disclosed (—, /, 未公开,
    empty) become observations with disclosure withheld and no value (never zero);
    unmapped headers and unresolved regions are kept out and listed (never dropped
    silently). A file that cannot be
    imported is named with its reason; the others still go through. Exit code 1 when
    any file failed.
    """
    if (report_format is None) != (output is None):
        msg = "--format and -o/--output go together"
        raise typer.BadParameter(msg,
                                 param_hint="--format")
    try:
        result = import_tables(paths, into=into, mapping=mapping)
    except FzcompareError as error:  # a bad mapping file or a failed write
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    for header in result.headers:
        target = header.code or "UNMAPPED"
        typer.echo(f"header: {header.header!r} -> {target} ({header.confidence:.2f})",
                   err=True)
    for region in result.regions:
        typer.echo(f"region: {region.name!r} -> {region.code or 'UNRESOLVED'}", err=True)
    for failure in result.errors:
        typer.echo(f"error: {failure.message} ({failure.details.get('reason')})", err=True)
    if plan is not None:
        text = yaml.safe_dump(result.plan(), allow_unicode=True, sort_keys=False)
        atomic_write_bytes(plan, ("# fzcompare import plan: edit the codes, pass back "
                                  "with --mapping\n" + text).encode("utf-8"))
    if report_format is not None and output is not None:
        headers = pl.DataFrame([(h.header, h.code, h.confidence, h.matched, h.unit)
                                for h in result.headers], orient="row",
                               schema=["header", "code", "confidence", "matched", "unit"])
        if report_format is ImportReportFormat.xlsx:
            regions = pl.DataFrame([(r.name, r.code) for r in result.regions],
                                   orient="row", schema=["region_name", "region_code"])
            data = xlsx_bytes({"observations": result.observations, "headers": headers,
                               "regions": regions, "kept_out": result.issues},
                              notes=XlsxNotes(title="fzcompare import report"))
        else:
            data = encode_table(result.observations, report_format.value)
        atomic_write_bytes(output, data)
    written = f"; {into}: {result.written!r}" if result.written is not None else ""
    typer.echo(f"import: {len(paths)} file(s), {result.observations.height} observations, "
               f"{result.issues.height} cell(s) kept out, {len(result.errors)} failed"
               f"{written}", err=True)
    sys.stderr.flush()
    if result.errors:
        raise typer.Exit(1)
