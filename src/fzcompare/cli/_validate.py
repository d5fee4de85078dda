"""``fzcompare validate``: run the expectation suites on a dataset; quarantine and re-admit rows.

Exit codes (the table of ``fzcompare.cli``): 0 when no error-severity expectation fails, 1
when one does or the observations cannot be read, 2 for usage errors (no such dataset or
file, unreadable suite file, options that do not go together).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare.cli._common import (
    Format,
    OutputOption,
    Sink,
    check_version,
    choose_sink,
    emit,
    encode,
    note,
    wrap_text,
)
from fzcompare.errors import FzcompareError, InvalidArgumentError, SchemaError
from fzcompare.schema import OBSERVATION_SCHEMA
from fzcompare.store import dataset_regions, load_sources
from fzcompare.validate import SuiteError, check_expectations, load_suite
from fzcompare.validate import quarantine as quarantine_rows
from fzcompare.validate import readmit as readmit_rows
from fzcompare.validate import validate as run_validation
from fzcompare.validate._quarantine import load_observations

if TYPE_CHECKING:
    from fzcompare.validate import QuarantineReport, Suite, ValidationResult



def _format_or_text(value: str | Format) -> Format:
    """A ``--format`` value: the formats of every command, plus the hidden ``text``.

    ``text`` was validate's old name of ``table``; it still works, with a deprecation note
    on stderr.

    Raises:
        typer.BadParameter: Any other name (usage error, exit 2).
    """
    if isinstance(value, Format):
        return value
    name = value.strip()
    if name == "text":
        note("NOTE: validate -f text is deprecated and will be removed; use -f table "
             "(the same summary).")
        return Format.table
    if name not in Format.__members__:
        msg = f"{value!r} is not a format; choose table, csv, json, parquet or xlsx"
        raise typer.BadParameter(msg, param_hint="--format")
    return Format(name)


FormatOrTextOption = Annotated[Format | None, typer.Option(
    "--format", "-f", parser=_format_or_text, metavar="FORMAT",
    help="table, csv, json, parquet or xlsx (default: from the -o suffix; else table on a "
         "terminal, csv when piped).")]

def _usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _exists(path: Path) -> Path:
    if not path.exists():
        msg = f"no such dataset folder or observations file: {path}"
        raise typer.BadParameter(msg)
    return path


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


@dataclass(frozen=True, slots=True)
class _Request:
    """What a validate run was asked to do (checked for options that do not go together)."""

    dataset: Path
    suite: list[Path]
    bundled: bool
    docs: Path | None
    quarantine: bool
    readmit: bool
    corrections: Path | None
    sources: Path | None
    version: int | None


def _check_request(r: _Request) -> None:
    """Refuse options that do not go together, and files that do not exist (exit 2)."""
    is_dataset = r.dataset.is_dir()
    problems = [
        ((r.quarantine or r.readmit) and not is_dataset,
         "--quarantine and --readmit need a dataset folder, not a file"),
        (r.version is not None and (r.quarantine or r.readmit or not is_dataset),
         "--version reads an old dataset version: it goes without --quarantine/--readmit, "
         "and with a dataset folder"),
        (r.corrections is not None and not r.readmit, "--corrections goes with --readmit"),
        (not r.bundled and not r.suite, "--no-bundled needs at least one --suite"),
        (r.docs is not None and r.docs.exists() and not r.docs.is_dir(),
         f"{r.docs}: --docs needs a folder; this path is a file"),
    ]
    for path in [*r.suite, *([r.corrections] if r.corrections else []),
                 *([r.sources] if r.sources else [])]:
        problems.append((not path.is_file(), f"{path}: no such file"))
    for broken, message in problems:
        if broken:
            raise _usage(message)


def _suites(r: _Request) -> tuple[list[Suite] | None, list[Suite]]:
    """The suites to run instead of the bundled ones (or None) and those to add."""
    try:
        extra = [load_suite(p) for p in r.suite]
        check_expectations(extra)
    except SuiteError as error:
        raise _usage(str(error)) from None
    return (None, extra) if r.bundled else (extra, [])


def _readmit(r: _Request, suites: tuple[list[Suite] | None, list[Suite]]) -> str:
    fixes = pl.read_csv(r.corrections, infer_schema_length=0) if r.corrections else None
    try:
        report = readmit_rows(r.dataset, corrections=fixes, suites=suites[0],
                              extra_suites=suites[1])
    except SchemaError as error:
        raise _usage(str(error)) from None
    return _report_line(report, "readmit")


def _read(r: _Request) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """Observations, sources and regions of the dataset folder or observations file."""
    try:
        if r.dataset.is_dir():
            check_version(r.dataset, r.version)
            return (load_observations(r.dataset, version=r.version),
                    load_sources(r.dataset, version=r.version),
                    dataset_regions(r.dataset))
        sources = pl.read_csv(r.sources, infer_schema_length=0) if r.sources else None
        return _read_table(r.dataset), sources, None
    except (SchemaError, pl.exceptions.PolarsError, OSError) as error:
        msg = f"{r.dataset}: cannot read the observations ({error})"
        raise FzcompareError(msg, hint="check the file, or run fzcompare dataset info "
                                       "on the folder") from None


def _run(r: _Request) -> tuple[ValidationResult, list[str]]:
    """Validate (after readmitting, before quarantining, as asked); the messages to print."""
    suites = _suites(r)
    messages = [_readmit(r, suites)] if r.readmit else []
    observations, sources, regions = _read(r)
    try:
        result = run_validation(observations, sources=sources, regions_table=regions,
                                suites=suites[0], extra_suites=suites[1], docs=r.docs)
    except (SuiteError, InvalidArgumentError) as error:
        raise _usage(str(error)) from None
    if r.docs is not None:
        messages.append(f"Data Docs: {result.docs_index} (these pages load their CSS and "
                        "scripts from a CDN; fzcompare's own reports do not)")
    if r.quarantine and result.verdict == "fail":
        messages.append(_report_line(quarantine_rows(r.dataset, result), "quarantine"))
    return result, messages


def _encode(result: ValidationResult, sink: Sink, *, label: str, max_rows: int,
            messages: list[str]) -> bytes:
    if sink.format is Format.table:
        return wrap_text(render_text(result, label=label, max_rows=max_rows)).encode()
    if sink.format is Format.json:
        payload = result.to_dict(max_failing_rows=max_rows)
        payload["dataset"] = label
        payload["messages"] = messages
        return (json.dumps(payload, ensure_ascii=False, indent=2, default=str)
                + "\n").encode()
    if sink.format is Format.xlsx:
        return xlsx_bytes(
            {"outcomes": result.outcomes, "failing_rows": result.failing_rows},
            notes=XlsxNotes(title=f"fzcompare validate: {label}",
                            extra=tuple(("message", m) for m in messages)))
    return encode(result.failing_rows, sink, title=f"fzcompare validate: {label}")


def validate_command(
    dataset: Annotated[Path, typer.Argument(
        help="Dataset folder, or one observations file (.parquet or .csv).",
        callback=_exists, show_default=False)],
    suite: Annotated[list[Path] | None, typer.Option(
        "--suite", help="Also run this suite file (great_expectations JSON); repeatable.")]
    = None,
    bundled: Annotated[bool, typer.Option(
        "--bundled/--no-bundled", help="Run the bundled suites.")] = True,
    output_format: FormatOrTextOption = None,
    output: OutputOption = None,
    docs: Annotated[Path | None, typer.Option(
        "--docs", help="Build great_expectations Data Docs in this folder (the pages "
                       "load CSS and scripts from the internet).")] = None,
    quarantine: Annotated[bool, typer.Option(
        "--quarantine", help="Move rows failing error-severity expectations to the "
                             "dataset's quarantine (nothing is deleted).")] = False,
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
        "--max-rows", min=0, help="Failing rows shown (table) or included (json).")] = 20,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (default: the newest).")
    ] = None,
) -> None:
    """Validate observations with the great_expectations suites.

    A table (the summary) for people; json for machines; csv and parquet hold the failing
    rows, xlsx the outcomes and the failing rows. Exit code 1 when an error-severity
    expectation fails.
    """
    sink = choose_sink(output_format, output)
    request = _Request(dataset, suite or [], bundled, docs, quarantine, readmit,
                       corrections, sources, version)
    _check_request(request)
    result, messages = _run(request)
    for message in messages:
        note(message)
    if sink.format is not Format.table:
        note(f"{dataset}: verdict {result.verdict.upper()} ({result.n_errors} error-severity "
             f"and {result.n_warnings} warning-severity expectations failed)")
    emit(_encode(result, sink, label=str(dataset), max_rows=max_rows, messages=messages),
         sink, what=f"{result.failing_rows.height} failing row(s)")
    raise typer.Exit(1 if result.verdict == "fail" else 0)
