"""``fzcompare extract``: report texts -> observations (CSV/JSON/Parquet, or into a dataset)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import Progress

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare.cli._common import (
    Format,
    FormatOption,
    OutputOption,
    Sink,
    choose_sink,
    emit,
    encode,
    note,
)
from fzcompare.errors import FzcompareError
from fzcompare.extract import RESULT_SCHEMA, evaluate, extract, load_gold, resolve_region
from fzcompare.store import scan, write_observations

if TYPE_CHECKING:
    from fzcompare.extract import ExtractionResult


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


_SHOWN: tuple[str, ...] = ("region_code", "year", "indicator_code", "value", "unit",
                          "scope", "qualifier", "confidence", "domain", "page", "quote")
"""What -f table shows, most important first (a narrow terminal drops from the right)."""


def _encode(frame: pl.DataFrame, sink: Sink) -> bytes:
    if sink.format is Format.xlsx:
        return xlsx_bytes({"observations": frame},
                          notes=XlsxNotes(title="fzcompare extract: observations"))
    if sink.format is Format.table:
        frame = frame.select([c for c in _SHOWN if c in frame.columns])
    return encode(frame, sink, title="fzcompare extract: observations")


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
            note(f"error: {where}{error.message}" + (f" ({reason})" if reason else "")
                 + (f"; hint: {error.hint}" if error.hint else ""))
            failed += 1
        else:
            for warning in result.warnings:
                note(f"warning: {path}: {warning}")
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


def _extract_all(files: list[Path], *, region: str | None, year: int | None,
                 province: str | None, context: tuple[str, ...]
                 ) -> tuple[list[ExtractionResult], int]:
    """Extract every file (a progress bar on a terminal when there are several)."""
    if sys.stderr.isatty() and len(files) > 1:
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("extracting", total=len(files))
            return _run(files, region=region, year=year, province=province,
                        context=context, on_done=lambda: progress.advance(task))
    return _run(files, region=region, year=year, province=province, context=context,
                on_done=None)


def _write_into(results: list[ExtractionResult], into: Path) -> int:
    """Add the results that fit the data model to the dataset; the number that did not."""
    writable: list[ExtractionResult] = []
    failed = 0
    for result in results:
        try:
            result.data_model()
        except FzcompareError as error:
            note(f"error: {error.message} (not written to {into})")
            failed += 1
        else:
            writable.append(result)
    if writable:
        report = write_observations(
            pl.concat([r.data_model(provenance=True) for r in writable], how="vertical"), into,
            sources=pl.concat([r.sources for r in writable], how="vertical"),
            documents=pl.concat([r.documents for r in writable], how="vertical"))
        note(f"extract: {into}: {report!r}")
    return failed


def _score(frame: pl.DataFrame, gold: Path) -> None:
    evaluation = evaluate(frame, load_gold(gold))
    note(f"extract: against {gold}: value recall {evaluation.value_recall:.1%}, "
         f"code+scope recall {evaluation.code_recall:.1%}, precision "
         f"{evaluation.precision:.1%} ({evaluation.n_gold} gold rows, "
         f"{evaluation.n_mapped} mapped)")


def _check_region(region: str | None, province: str | None) -> None:
    if region is None:
        return
    try:
        resolve_region(region, province=province)
    except FzcompareError as error:
        raise typer.BadParameter(error.message, param_hint="--region") from error


def extract_command(
    paths: Annotated[list[Path], typer.Argument(
        help="Report files: text (UTF-8, GB18030), saved HTML, PDF or DOCX (kind read from "
             "the bytes); a folder stands for its .txt .html .htm .pdf .docx files.",
        show_default=False)],
    region: Annotated[str | None, typer.Option(
        "--region", "-r", help="Reporting region (6-digit code or name); overrides the "
                               "title.")] = None,
    year: Annotated[int | None, typer.Option(
        "--year", min=1949, max=dt.datetime.now(dt.UTC).year + 1,  # as the store accepts
        help="Reporting year; overrides the title.")] = None,
    province: Annotated[str | None, typer.Option(
        "--province", help="Province of the reports (name or code): settles a region "
                           "name several provinces share (鼓楼区, 朝阳区).")] = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    into: Annotated[Path | None, typer.Option(
        "--into", help="Also add the observations (and their sources) to this "
                       "dataset, replacing rows with the same key.")] = None,
    gold: Annotated[Path | None, typer.Option(
        "--gold", help="Score the observations against this gold CSV (recall and "
                       "precision on stderr).")] = None,
) -> None:
    """Extract the figures of annual 法治政府建设 reports.

    Each figure becomes one observation with its indicator code (or an unmapped_ code),
    scope, value, unit, qualifier, quote and its span in the raw text. Files that cannot
    be read are reported and skipped; the others still go through. Exit code 1 when any
    file failed.
    """
    sink = choose_sink(output_format, output)
    _check_region(region, province)
    files = _expand(paths)
    if not files:
        msg = "no report files given (a folder needs .txt, .html, .pdf or .docx files)"
        raise typer.BadParameter(msg, param_hint="PATH...")
    results, failed = _extract_all(files, region=region, year=year, province=province,
                                   context=_dataset_context(into))
    frame = (pl.concat([r.observations for r in results], how="vertical")
             if results else pl.DataFrame(schema=RESULT_SCHEMA))
    if into is not None and results:
        failed += _write_into(results, into)
    emit(_encode(frame, sink), sink, what=f"{frame.height} observations")
    mapped = int(frame["mapped"].sum()) if frame.height else 0
    note(f"extract: {len(files)} file(s), {frame.height} observations ({mapped} mapped), "
         f"{failed} failed")
    if gold is not None:
        _score(frame, gold)
    if failed:
        raise typer.Exit(1)
