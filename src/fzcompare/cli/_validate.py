"""``fzcompare validate``: run the expectation suites on a dataset; quarantine and re-admit rows.

Exit codes: 0 when no error-severity expectation fails, 1 when one does, 2 for usage errors
(no such dataset or file, unreadable suite file, options that do not go together).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare._io import atomic_write_bytes
from fzcompare.errors import FzcompareError, InvalidArgumentError, SchemaError
from fzcompare.schema import OBSERVATION_SCHEMA
from fzcompare.store import dataset_regions, load_sources
from fzcompare.validate import SuiteError, check_expectations, load_suite
from fzcompare.validate import quarantine as quarantine_rows
from fzcompare.validate import readmit as readmit_rows
from fzcompare.validate import validate as run_validation
from fzcompare.validate._quarantine import load_observations

if TYPE_CHECKING:
    from fzcompare.validate import QuarantineReport, ValidationResult


class OutputFormat(StrEnum):
    """How the result is printed."""

    text = "text"
    json = "json"
    xlsx = "xlsx"


def _usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render_text(result: ValidationResult, *, label: str, max_rows: int) -> str:
    """The terminal summary: verdict, failed and skipped expectations, the first failing rows."""
    outcomes = result.outcomes
    lines = [f"{label}: {result.n_rows:,} rows, {len(result.suites)} suites "
             f"({', '.join(result.suites)}), {outcomes.height} expectations "
             f"(great_expectations {result.gx_version})",
             f"verdict: {result.verdict.upper()} ({result.n_errors} error-severity and "
             f"{result.n_warnings} warning-severity expectations failed)"]
    failed = outcomes.filter(~pl.col("success").fill_null(True))
    if failed.height:
        lines += ["", "failed expectations:"]
        for row in failed.sort(pl.col("severity") != "error", maintain_order=True).iter_rows(
                named=True):
            where = "" if row["frame"] == "observations" else f" of frame {row['frame']}"
            counted = (f"{row['unexpected_count']:,} of {row['element_count']:,} rows{where}"
                       if row["unexpected_count"] is not None
                       and row["element_count"] is not None else "table-level")
            lines.append(f"  {row['severity'].upper():8s} {row['suite']}/{row['check']}: "
                         f"{counted}; {row['description']}")
            if row["note"]:
                lines.append(f"           note: {row['note']}")
    skipped = outcomes.filter(pl.col("success").is_null())
    for row in skipped.iter_rows(named=True):
        lines.append(f"  SKIPPED  {row['suite']}/{row['check']}: {row['note']}")
    rows = result.failing_rows
    if rows.height:
        shown = min(max_rows, rows.height)
        lines += ["", f"failing rows ({shown:,} of {rows.height:,}, "
                      f"{rows['row_id'].n_unique():,} distinct rows):"]
        for row in rows.head(max_rows).iter_rows(named=True):
            lines.append(f"  row {row['row_id']}: {_cell(row['region_code'])} {_cell(row['year'])} "
                         f"{_cell(row['indicator_code'])} {_cell(row['scope'])} = "
                         f"{_cell(row['value'])} {_cell(row['unit'])}  "
                         f"[{row['severity']} {row['suite']}/{row['check']}]")
            lines.append(f"      {row['reason']}")
    return "\n".join(lines)


def _report_line(report: QuarantineReport, action: str) -> str:
    return (f"{action}: {report.moved} moved to quarantine, {report.readmitted} readmitted, "
            f"{report.superseded} superseded, {report.corrected} corrected; "
            f"{report.remaining} rows quarantined, {report.observations} observations in "
            f"{report.dataset}")


def _read_table(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    text_columns = {c: pl.String() for c, t in OBSERVATION_SCHEMA.items() if t == pl.String()}
    return pl.read_csv(path, schema_overrides=text_columns, infer_schema_length=10000)


def validate_command(
    dataset: Annotated[Path, typer.Argument(
        help="Dataset folder, or one observations file (.parquet or .csv).")],
    suite: Annotated[list[Path] | None, typer.Option(
        "--suite", help="Also run this suite file (great_expectations JSON); repeatable.")]
    = None,
    bundled: Annotated[bool, typer.Option(
        "--bundled/--no-bundled", help="Run the bundled suites.")] = True,
    output: Annotated[OutputFormat, typer.Option(
        "--format", help="text for people, json for machines, xlsx (outcomes and "
                         "failing rows, to -o; the text is printed too).")]
    = OutputFormat.text,
    xlsx_output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="The workbook --format xlsx writes.")] = None,
    docs: Annotated[Path | None, typer.Option(
        "--docs", help="Build great_expectations Data Docs in this folder (the pages "
                       "load CSS and scripts from the internet).")] = None,
    quarantine: Annotated[bool, typer.Option(
        "--quarantine", help="Move rows failing error-severity expectations to "
                             "<dataset>/quarantine/ (nothing is deleted).")] = False,
    readmit: Annotated[bool, typer.Option(
        "--readmit", help="First move quarantined rows that now pass back into the "
                          "dataset.")] = False,
    corrections: Annotated[Path | None, typer.Option(
        "--corrections", help="With --readmit: CSV of quarantine_id plus corrected "
                              "observation columns (e.g. value).")] = None,
    sources: Annotated[Path | None, typer.Option(
        "--sources", help="Sources CSV (for an observations file; a dataset has its "
                          "own).")] = None,
    max_rows: Annotated[int, typer.Option(
        "--max-rows", min=0, help="Failing rows shown (text) or included (json).")] = 20,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (see `fzcompare dataset "
                                 "history`); default: the newest.")] = None,
) -> None:
    """Validate observations with the great_expectations suites.

    Exit code 0 when no error-severity expectation fails, 1 when one does, 2 for usage
    errors.
    """
    if not dataset.exists():
        msg = f"{dataset}: no such dataset or file"
        raise _usage(msg)
    is_dataset = dataset.is_dir()
    if (quarantine or readmit) and not is_dataset:
        msg_0 = "--quarantine and --readmit need a dataset folder, not a file"
        raise _usage(msg_0)
    if version is not None and (quarantine or readmit or not is_dataset):
        msg_0 = (
            "--version reads an old dataset version: it goes without "
                     "--quarantine/--readmit, and with a dataset folder"
        )
        raise _usage(msg_0)
    if corrections is not None and not readmit:
        msg = "--corrections goes with --readmit"
        raise _usage(msg)
    if not bundled and not suite:
        msg = "--no-bundled needs at least one --suite"
        raise _usage(msg)
    for path in [*(suite or []), *([corrections] if corrections else []),
                 *([sources] if sources else [])]:
        if not path.is_file():
            msg = f"{path}: no such file"
            raise _usage(msg)

    if docs is not None and docs.exists() and not docs.is_dir():
        msg_0 = f"{docs}: --docs needs a folder; this path is a file"
        raise _usage(msg_0)
    try:
        extra = [load_suite(p) for p in suite or []]
        check_expectations(extra)
    except SuiteError as error:
        raise _usage(str(error)) from None
    chosen = None if bundled else extra
    extra_suites = extra if bundled else []

    messages: list[str] = []
    if readmit:
        fixes = pl.read_csv(corrections, infer_schema_length=0) if corrections else None
        try:
            report = readmit_rows(dataset, corrections=fixes, suites=chosen,
                                  extra_suites=extra_suites)
        except SchemaError as error:
            raise _usage(str(error)) from None
        messages.append(_report_line(report, "readmit"))

    source_table: pl.DataFrame | None
    try:
        if is_dataset:
            observations = load_observations(dataset, version=version)
            source_table = load_sources(dataset)
            regions = dataset_regions(dataset)
        else:
            observations = _read_table(dataset)
            source_table = pl.read_csv(sources, infer_schema_length=0) if sources else None
            regions = None
    except (SchemaError, pl.exceptions.PolarsError, OSError) as error:
        typer.echo(f"error: {dataset}: cannot read the observations ({error})", err=True)
        raise typer.Exit(1) from None
    try:
        result = run_validation(observations, sources=source_table, regions_table=regions,
                                suites=chosen, extra_suites=extra_suites, docs=docs)
    except (SuiteError, InvalidArgumentError) as error:
        raise _usage(str(error)) from None
    if docs is not None:
        messages.append(f"Data Docs: {result.docs_index} (these pages load their CSS and "
                        "scripts from a CDN; fzcompare's own reports do not)")
    if quarantine and result.verdict == "fail":
        try:
            report = quarantine_rows(dataset, result)
        except FzcompareError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        messages.append(_report_line(report, "quarantine"))

    if output == OutputFormat.xlsx:
        if xlsx_output is None:
            msg_0 = "xlsx needs -o/--output"
            raise typer.BadParameter(msg_0, param_hint="--format")
        atomic_write_bytes(xlsx_output, xlsx_bytes(
            {"outcomes": result.outcomes, "failing_rows": result.failing_rows},
            notes=XlsxNotes(title=f"fzcompare validate: {dataset}",
                            extra=tuple(("message", m) for m in messages))))
        messages.append(f"wrote {result.failing_rows.height} failing row(s) to "
                        f"{xlsx_output}")

    if output == OutputFormat.json:
        payload = result.to_dict(max_failing_rows=max_rows)
        payload["dataset"] = str(dataset)
        payload["messages"] = messages
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(render_text(result, label=str(dataset), max_rows=max_rows))
        for message in messages:
            typer.echo(message)
    raise typer.Exit(1 if result.verdict == "fail" else 0)
