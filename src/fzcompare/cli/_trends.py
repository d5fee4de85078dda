"""``fzcompare trends``: year-over-year changes, trends and tests for a dataset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from fzcompare import trends
from fzcompare.cli._common import (
    DatasetArg,
    Format,
    FormatOption,
    OutputOption,
    Sink,
    check_names,
    check_version,
    choose_sink,
    emit,
    empty_result,
    encode,
    filter_years,
    note,
    parse_years,
    region_codes,
    synthetic_note,
)
from fzcompare.store import dataset_regions, load, load_sources


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
    # Most important first: a narrow terminal drops columns from the right.
    "summary": ("region_code", "indicator_code", "year", "value", "verdict", "change_abs",
                "change_pct", "slope", "slope_p", "prev_value", "prev_year", "scope", "cagr",
                "mk_tau", "mk_p", "n_points"),
    "changes": ("region_code", "indicator_code", "year", "value", "verdict", "change_abs",
                "change_pct", "prev_value", "prev_year", "gap_years", "scope",
                "uncertain", "reason"),
    "series": ("region_code", "indicator_code", "slope", "slope_p", "cagr", "n_points",
               "first_year", "last_year", "slope_ci_low", "slope_ci_high", "mk_tau", "mk_p",
               "sen_slope", "scope"),
    "significance": ("region_code", "indicator_code", "year", "verdict", "p_value",
                     "significant", "test", "value", "prev_value", "prev_year", "scope",
                     "reason"),
    "dispersion": ("indicator_code", "year", "n_regions", "mean", "median", "std", "cv",
                   "unit", "scope", "reason"),
    "convergence": ("indicator_code", "sigma_converging", "beta_converging", "sigma_slope",
                    "sigma_p", "beta", "beta_p", "cv_first", "cv_last", "first_year",
                    "last_year", "n_regions_beta", "scope"),
    "outlook": ("region_code", "indicator_code", "forecast_year", "forecast", "pi_low",
                "pi_high", "n_points", "scope", "reason"),
    "intervals": ("region_code", "indicator_code", "year", "rate", "value_ci_low",
                  "value_ci_high", "value", "numerator", "denominator", "scope", "reason"),
    "progress": ("region_code", "indicator_code", "status", "current_value", "target_value",
                 "ratio", "current_year", "target_year", "base_year", "base_value", "scope",
                 "rule"),
}


@dataclass(frozen=True, slots=True)
class _Settings:
    """The analysis options shared by every view."""

    codes: list[str] | None
    tolerance: trends.Tolerance
    confidence: float
    targets: Path | None
    sources: pl.DataFrame
    """Which region-years have a report: a figure absent from one is not_disclosed."""


def _changes(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.year_over_year(observations, indicators=s.codes, tolerance=s.tolerance,
                                 sources=s.sources)


def _series(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.trend(observations, indicators=s.codes, confidence=s.confidence,
                        sources=s.sources)


def _summary(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.summarize(observations, indicators=s.codes, tolerance=s.tolerance,
                            confidence=s.confidence, sources=s.sources)


def _significance(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.change_significance(observations, indicators=s.codes,
                                      tolerance=s.tolerance, confidence=s.confidence,
                                      sources=s.sources)


def _dispersion(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.dispersion(observations, indicators=s.codes)


def _convergence(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.convergence(observations, indicators=s.codes, confidence=s.confidence)


def _outlook(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.outlook(observations, indicators=s.codes, confidence=s.confidence)


def _intervals(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    return trends.rate_intervals(observations, indicators=s.codes,
                                 confidence=s.confidence).table


def _progress(observations: pl.DataFrame, s: _Settings) -> pl.DataFrame:
    if s.targets is None:  # checked before loading; kept for the type checker
        msg = "--view progress needs --targets FILE"
        raise typer.BadParameter(msg, param_hint="--targets")
    selected = (observations.filter(pl.col("indicator_code").is_in(s.codes))
                if s.codes else observations)
    return trends.progress(selected, targets=s.targets).table


_VIEWS: dict[str, Callable[[pl.DataFrame, _Settings], pl.DataFrame]] = {
    "summary": _summary, "changes": _changes, "series": _series,
    "significance": _significance, "dispersion": _dispersion, "convergence": _convergence,
    "outlook": _outlook, "intervals": _intervals, "progress": _progress}
"""Each view's step: the library function it calls."""


def _select(dataset: Path, *, version: int | None, indicator: list[str] | None,
            region: list[str] | None,
            years: tuple[int, int] | list[int] | None) -> pl.DataFrame:
    """The observations the filters keep; unknown names are refused with suggestions."""
    check_version(dataset, version)
    observations = load(dataset, version=version)
    codes = region_codes(region)
    check_names(observations, indicators=indicator, regions=codes,
                regions_table=dataset_regions(dataset) if codes else None)
    observations = filter_years(observations, years)
    if codes:
        observations = observations.filter(pl.col("region_code").is_in(codes))
    selected = (observations.filter(pl.col("indicator_code").is_in(indicator))
                if indicator else observations)
    if selected.height == 0:
        msg = f"{dataset}: no observations match the filters"
        raise empty_result(msg)
    return observations


def _write(frame: pl.DataFrame, sink: Sink, *, view: str, limit: int,
           notes: list[str]) -> None:
    for line in notes:
        note(line)
    shown = frame
    if sink.format is Format.table:
        shown = frame.select([c for c in _SHOWN[view] if c in frame.columns]).head(limit)
        if frame.height > limit:
            note(f"NOTE: {frame.height - limit} more rows (-f csv, json or parquet, or "
                 "--limit, for all)")
    data = encode(shown, sink, title=f"fzcompare trends: {view}", notes=notes, sheet=view,
                  rows=frame.height)
    emit(data, sink, what=f"{frame.height} rows")


def trends_command(
    dataset: DatasetArg,
    indicator: Annotated[list[str] | None, typer.Option(
        "--indicator", "-i", help="Only this indicator code (repeatable).")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", "-r", help="Only this region, code or name (repeatable).")] = None,
    years: Annotated[str | None, typer.Option(
        "--years", help="Only these years: 2020-2023, 2021-, 2021 or 2020,2022.")] = None,
    year_from: Annotated[int | None, typer.Option(
        "--from", hidden=True, help="Old spelling of --years FROM-.")] = None,
    year_to: Annotated[int | None, typer.Option(
        "--to", hidden=True, help="Old spelling of --years -TO.")] = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    view: Annotated[TrendsView, typer.Option(
        "--view", help="summary, changes, series, significance, dispersion, convergence, "
                       "outlook, intervals or progress (needs --targets).")
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
        "--limit", min=1, help="Rows shown by -f table.")] = 50,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (default: the newest).")
    ] = None,
    targets: Annotated[Path | None, typer.Option(
        "--targets", help="YAML or CSV of targets (indicator_code, value, year, ...) for "
                          "--view progress.")] = None,
) -> None:
    """Year-over-year changes and verdicts, trends, tests, convergence, outlook.

    Views: summary (changes and series statistics, one row per observation), changes,
    series, significance, dispersion, convergence, outlook (tens of ms per series),
    intervals (rate confidence intervals) and progress (toward --targets).
    """
    sink = choose_sink(output_format, output)
    span = parse_years(years, first=year_from, last=year_to)
    if view is TrendsView.progress and targets is None:
        msg = "--view progress needs --targets FILE"
        raise typer.BadParameter(msg, param_hint="--targets")
    observations = _select(dataset, version=version, indicator=indicator, region=region,
                           years=span)
    tolerance = trends.Tolerance(
        absolute=tolerance_abs,
        **({"relative": tolerance_rel} if tolerance_rel is not None else {}))
    sources = load_sources(dataset, version=version)
    settings = _Settings(indicator or None, tolerance, confidence, targets, sources)
    frame = _VIEWS[view.value](observations, settings)
    notes = synthetic_note(observations, sources)
    _write(frame, sink, view=view.value, limit=limit, notes=notes)
