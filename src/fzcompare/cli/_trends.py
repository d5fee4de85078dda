"""``fzcompare trends``: year-over-year changes, trends and tests for a dataset."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from fzcompare import trends
from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare.catalog import load_catalog
from fzcompare.schema import UNMAPPED_PREFIX
from fzcompare.store import atomic_write_bytes, load, load_sources


class TrendsFormat(StrEnum):
    """How the result is written."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


class TrendsView(StrEnum):
    """Which result table is written."""

    summary = "summary"
    changes = "changes"
    series = "series"
    significance = "significance"
    dispersion = "dispersion"
    convergence = "convergence"
    outlook = "outlook"
    intervals = "intervals"
    progress = "progress"


_SHOWN: dict[str, tuple[str, ...]] = {
    "summary": ("region_code", "indicator_code", "scope", "year", "prev_year", "value",
                "prev_value", "change_abs", "change_pct", "verdict", "slope", "slope_p",
                "cagr", "mk_tau", "mk_p", "n_points"),
    "changes": ("region_code", "indicator_code", "scope", "year", "prev_year", "gap_years",
                "value", "prev_value", "change_abs", "change_pct", "verdict", "uncertain",
                "reason"),
    "series": ("region_code", "indicator_code", "scope", "n_points", "first_year",
               "last_year", "slope", "slope_ci_low", "slope_ci_high", "slope_p", "cagr",
               "mk_tau", "mk_p", "sen_slope"),
    "significance": ("region_code", "indicator_code", "scope", "year", "prev_year", "value",
                     "prev_value", "verdict", "test", "p_value", "significant", "reason"),
    "dispersion": ("indicator_code", "scope", "unit", "year", "n_regions", "mean", "median",
                   "std", "cv", "reason"),
    "convergence": ("indicator_code", "scope", "first_year", "last_year", "cv_first",
                    "cv_last", "sigma_slope", "sigma_p", "sigma_converging", "beta", "beta_p",
                    "beta_converging", "n_regions_beta"),
    "outlook": ("region_code", "indicator_code", "scope", "n_points", "forecast_year",
                "forecast", "pi_low", "pi_high", "reason"),
    "intervals": ("region_code", "indicator_code", "scope", "year", "value", "numerator",
                  "denominator", "rate", "value_ci_low", "value_ci_high", "reason"),
    "progress": ("region_code", "indicator_code", "scope", "base_year", "base_value",
                 "current_year", "current_value", "target_value", "target_year", "ratio",
                 "status", "rule"),
}


def _format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _render_table(frame: pl.DataFrame, view: str, limit: int, notes: list[str]) -> str:
    shown = frame.select([c for c in _SHOWN[view] if c in frame.columns]).head(limit)
    table = Table(title=f"fzcompare trends: {view} ({frame.height} rows)", title_justify="left")
    for name in shown.columns:
        table.add_column(name, justify="right" if shown.schema[name].is_numeric() else "left")
    for row in shown.iter_rows():
        table.add_row(*[_format_cell(v) for v in row])
    buffer = io.StringIO()
    Console(file=buffer, width=220, no_color=True, highlight=False).print(table)
    if frame.height > limit:
        buffer.write(f"... {frame.height - limit} more rows (use --format csv, json or "
                     "parquet, or --limit, for all)\n")
    for note in notes:
        buffer.write(note + "\n")
    return buffer.getvalue()


def _encode(frame: pl.DataFrame, output_format: TrendsFormat, view: str, limit: int,
            notes: list[str]) -> bytes:
    if output_format is TrendsFormat.csv:
        return frame.write_csv().encode("utf-8")
    if output_format is TrendsFormat.json:
        return frame.write_json().encode("utf-8") + b"\n"
    if output_format is TrendsFormat.xlsx:
        return xlsx_bytes({view: frame}, notes=XlsxNotes(
            title=f"fzcompare trends: {view}",
            synthetic=any("synthetic" in n.lower() for n in notes),
            extra=tuple(("note", n) for n in notes)))
    if output_format is TrendsFormat.parquet:
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    return _render_table(frame, view, limit, notes).encode("utf-8")


def _resolve_format(chosen: TrendsFormat | None, output: Path | None,
                    is_terminal: bool) -> TrendsFormat:
    if chosen is not None:
        if chosen in (TrendsFormat.parquet, TrendsFormat.xlsx) and output is None:
            msg = f"{chosen} output needs -o FILE"
            raise typer.BadParameter(msg, param_hint="--format")
        return chosen
    if output is not None:
        by_suffix = {".csv": TrendsFormat.csv, ".json": TrendsFormat.json,
                     ".parquet": TrendsFormat.parquet, ".txt": TrendsFormat.table,
                     ".xlsx": TrendsFormat.xlsx}
        return by_suffix.get(output.suffix.lower(), TrendsFormat.csv)
    return TrendsFormat.table if is_terminal else TrendsFormat.csv


def _check_codes(indicators: list[str] | None) -> None:
    if not indicators:
        return
    known = load_catalog().codes
    unknown = [c for c in indicators if c not in known and not c.startswith(UNMAPPED_PREFIX)]
    if unknown:
        msg = f"not catalog codes: {', '.join(unknown)} (see `fzcompare dataset catalog`)"
        raise typer.BadParameter(
            msg,
            param_hint="--indicator")


def trends_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder (observations/ + "
                                                 "sources.csv).")],
    indicator: Annotated[list[str] | None, typer.Option(
        "--indicator", "-i", help="Only this indicator code (repeatable).")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", "-r", help="Only this region code (repeatable).")] = None,
    year_from: Annotated[int | None, typer.Option(
        "--from", help="First year to include.")] = None,
    year_to: Annotated[int | None, typer.Option(
        "--to", help="Last year to include.")] = None,
    output_format: Annotated[TrendsFormat | None, typer.Option(
        "--format", "-f", help="table, csv, json or parquet (default: table on a "
                               "terminal, CSV when piped, or from the -o suffix).")
    ] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of stdout.")
    ] = None,
    view: Annotated[TrendsView, typer.Option(
        "--view", help="Which table: summary (changes + series statistics, one row per "
                       "observation), changes, series, significance, dispersion, "
                       "convergence, outlook (slow: tens of ms per series), intervals "
                       "(rate confidence intervals) or progress (needs --targets).")
    ] = TrendsView.summary,
    tolerance_abs: Annotated[float, typer.Option(
        "--tolerance-abs", min=0.0, help="Changes this small (in the indicator's unit) "
                                         "are 'unchanged'.")] = 0.0,
    tolerance_rel: Annotated[float | None, typer.Option(
        "--tolerance-rel", min=0.0, help="Changes this small relative to the previous "
                                         "value (0.01 = 1%) are 'unchanged'.")] = None,
    confidence: Annotated[float, typer.Option(
        "--confidence", min=0.5, max=0.999, help="Confidence level of intervals and "
                                                 "tests.")] = 0.95,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, help="Rows shown by --format table.")] = 50,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (see `fzcompare dataset "
                                 "history`); default: the newest.")] = None,
    targets: Annotated[Path | None, typer.Option(
        "--targets", help="YAML or CSV of targets (indicator_code, value, year, ...) for "
                          "--view progress.")] = None,
) -> None:
    """Year-over-year changes and verdicts, trends, tests, convergence, outlook.

    Exit codes: 0 the analysis ran; 1 the dataset cannot be read or
    nothing matches the filters; 2 usage error.
    """
    if year_from is not None and year_to is not None and year_from > year_to:
        msg = f"--from {year_from} is after --to {year_to}"
        raise typer.BadParameter(msg,
                                 param_hint="--from")
    _check_codes(indicator)
    chosen = _resolve_format(output_format, output, sys.stdout.isatty())

    observations = load(dataset, version=version)
    if year_from is not None:
        observations = observations.filter(pl.col("year") >= year_from)
    if year_to is not None:
        observations = observations.filter(pl.col("year") <= year_to)
    if region:
        observations = observations.filter(pl.col("region_code").is_in(region))
    selected = (observations.filter(pl.col("indicator_code").is_in(indicator))
                if indicator else observations)
    if selected.height == 0:
        typer.echo(f"error: no observations in {dataset} match the filters", err=True)
        raise typer.Exit(1)

    tolerance = trends.Tolerance(
        absolute=tolerance_abs,
        **({"relative": tolerance_rel} if tolerance_rel is not None else {}))
    codes = indicator or None
    name = view.value
    # Which region-years have a report: a figure absent from one is not_disclosed.
    sources = load_sources(dataset)
    frame: pl.DataFrame
    if name == "summary":
        frame = trends.summarize(observations, indicators=codes, tolerance=tolerance,
                                 confidence=confidence, sources=sources)
    elif name == "changes":
        frame = trends.year_over_year(observations, indicators=codes, tolerance=tolerance,
                                      sources=sources)
    elif name == "series":
        frame = trends.trend(observations, indicators=codes, confidence=confidence,
                             sources=sources)
    elif name == "significance":
        frame = trends.change_significance(observations, indicators=codes,
                                           tolerance=tolerance, confidence=confidence)
    elif name == "dispersion":
        frame = trends.dispersion(observations, indicators=codes)
    elif name == "convergence":
        frame = trends.convergence(observations, indicators=codes, confidence=confidence)
    elif name == "intervals":
        frame = trends.rate_intervals(observations, indicators=codes,
                                      confidence=confidence).table
    elif name == "progress":
        if targets is None:
            msg_0 = "--view progress needs --targets FILE"
            raise typer.BadParameter(msg_0,
                                     param_hint="--targets")
        frame = trends.progress(selected, targets=targets).table
    else:
        frame = trends.outlook(observations, indicators=codes, confidence=confidence)

    notes: list[str] = []
    synthetic = sources.filter(pl.col("kind") == "synthetic")["source_id"]
    if selected["source_id"].is_in(synthetic.implode()).any():
        notes.append("NOTE: this dataset holds SYNTHETIC figures (generated, not real).")
    data = _encode(frame, chosen, name, limit, notes)
    if chosen is not TrendsFormat.table:
        for note in notes:
            typer.echo(note, err=True)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))  # parquet always goes to a file
        sys.stdout.flush()
    else:
        atomic_write_bytes(output, data)
        typer.echo(f"wrote {frame.height} rows ({chosen.value}) to {output}", err=True)
