"""``fzcompare extract``: report texts -> observations (CSV/JSON/Parquet, or into a dataset)."""

from __future__ import annotations

import datetime as dt
import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import Progress

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare._io import atomic_write_bytes
from fzcompare.errors import FzcompareError
from fzcompare.extract import RESULT_SCHEMA, evaluate, extract, load_gold, resolve_region
from fzcompare.store import scan, write_observations

if TYPE_CHECKING:
    from fzcompare.extract import ExtractionResult


class ExtractFormat(StrEnum):
    """How the observations are written."""

    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


_REPORT_SUFFIXES = frozenset({".txt", ".html", ".htm", ".pdf", ".docx"})
"""Files a folder stands for (each file's kind is then read from its bytes)."""


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in _REPORT_SUFFIXES))
        else:
            files.append(path)
    return files


def _encode(frame: pl.DataFrame, output_format: ExtractFormat) -> bytes:
    if output_format is ExtractFormat.xlsx:
        return xlsx_bytes({"observations": frame},
                          notes=XlsxNotes(title="fzcompare extract: observations"))
    if output_format is ExtractFormat.parquet:
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if output_format is ExtractFormat.json:
        return frame.write_json().encode("utf-8")
    return frame.write_csv().encode("utf-8")


def _run(files: list[Path], *, region: str | None, year: int | None,
         on_done: object, province: str | None = None,
         context: tuple[str, ...] = ()) -> tuple[list[ExtractionResult], int]:
    results: list[ExtractionResult] = []
    failed = 0
    for path in files:
        try:
            result = extract(path, region=region, year=year, province=province,
                             context=context)
        except FzcompareError as error:
            reason = error.details.get("reason")
            where = "" if str(path) in error.message else f"{path}: "
            typer.echo(f"error: {where}{error.message}" + (f" ({reason})" if reason else "")
                       + (f"; hint: {error.hint}" if error.hint else ""), err=True)
            failed += 1
        else:
            for warning in result.warnings:
                typer.echo(f"warning: {path}: {warning}", err=True)
            results.append(result)
        if callable(on_done):
            on_done()
    return results, failed


def _dataset_context(into: Path | None) -> tuple[str, ...]:
    """The region codes a target dataset already holds: they settle shared region names."""
    if into is None or not (into / "observations").is_dir():
        return ()
    codes = scan(into).select("region_code").unique().collect()["region_code"]
    return tuple(sorted(codes.to_list()))


def extract_command(
    paths: Annotated[list[Path], typer.Argument(
        help="Report files: text (UTF-8, GB18030), saved HTML pages, PDF, DOCX (the "
             "kind is read from the bytes); a folder stands for its *.txt, *.html, "
             "*.htm, *.pdf and *.docx files.")],
    region: Annotated[str | None, typer.Option(
        "--region", help="Reporting region (6-digit code or name); overrides the "
                         "title.")] = None,
    year: Annotated[int | None, typer.Option(
        "--year", min=1949, max=dt.datetime.now(dt.UTC).year + 1,  # as the store accepts
        help="Reporting year; overrides the title.")] = None,
    province: Annotated[str | None, typer.Option(
        "--province", help="Province of the reports (name or code): settles a region "
                           "name several provinces share (鼓楼区, 朝阳区).")] = None,
    output_format: Annotated[ExtractFormat, typer.Option(
        "--format", help="Output format.")] = ExtractFormat.csv,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write here (atomically) instead of CSV to stdout.")] = None,
    into: Annotated[Path | None, typer.Option(
        "--into", help="Also add the observations (and their sources) to this "
                       "dataset, replacing rows with the same key.")] = None,
    gold: Annotated[Path | None, typer.Option(
        "--gold", help="Score the observations against this gold CSV (recall and "
                       "precision on stderr).")] = None,
) -> None:
    """Extract the figures of annual 法治政府建设 reports.

    Each figure becomes one observation with its indicator code (or an ``unmapped_*``
    code), scope, value, unit, qualifier, quote and its span in the raw text. Files
    that cannot be read are reported and skipped; the others still go through.
    Exit code 1 when any file failed.
    """
    if output_format in (ExtractFormat.parquet, ExtractFormat.xlsx) and output is None:
        msg = (
            f"{output_format} needs -o/--output (binary data is not "
                                 "written to a terminal)"
        )
        raise typer.BadParameter(msg, param_hint="--format")
    if region is not None:
        try:
            resolve_region(region, province=province)
        except FzcompareError as error:
            raise typer.BadParameter(error.message, param_hint="--region") from error
    context = _dataset_context(into)
    files = _expand(paths)
    if not files:
        msg = "no report files given (folders need *.txt files)"
        raise typer.BadParameter(msg,
                                 param_hint="PATHS")
    if sys.stderr.isatty() and len(files) > 1:
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("extracting", total=len(files))
            results, failed = _run(files, region=region, year=year, province=province,
                                   context=context, on_done=lambda: progress.advance(task))
    else:
        results, failed = _run(files, region=region, year=year, province=province,
                               context=context, on_done=None)

    frame = (pl.concat([r.observations for r in results], how="vertical")
             if results else pl.DataFrame(schema=RESULT_SCHEMA))
    if into is not None and results:
        writable: list[ExtractionResult] = []
        for result in results:
            try:
                result.data_model()
            except FzcompareError as error:
                typer.echo(f"error: {error.message} (not written to {into})", err=True)
                failed += 1
            else:
                writable.append(result)
        if writable:
            report = write_observations(
                pl.concat([r.data_model(provenance=True) for r in writable], how="vertical"),
                into, sources=pl.concat([r.sources for r in writable], how="vertical"),
                documents=pl.concat([r.documents for r in writable], how="vertical"))
            typer.echo(f"extract: {into}: {report!r}", err=True)
    data = _encode(frame, output_format)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        atomic_write_bytes(output, data)
    mapped = int(frame["mapped"].sum()) if frame.height else 0
    typer.echo(f"extract: {len(files)} file(s), {frame.height} observations "
               f"({mapped} mapped), {failed} failed", err=True)
    if gold is not None:
        evaluation = evaluate(frame, load_gold(gold))
        typer.echo(f"extract: against {gold}: value recall {evaluation.value_recall:.1%}, "
                   f"code+scope recall {evaluation.code_recall:.1%}, precision "
                   f"{evaluation.precision:.1%} ({evaluation.n_gold} gold rows, "
                   f"{evaluation.n_mapped} mapped)", err=True)
    if failed:
        raise typer.Exit(1)
