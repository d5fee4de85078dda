"""``fzcompare benchmark``: score a dataset against a rubric (criteria set)."""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare.benchmark import benchmark
from fzcompare.cli._benchmark_stats import (
    AUDIT_COLUMNS,
    UNCERTAINTY_COLUMNS,
    audit_frame,
    uncertainty_frame,
)
from fzcompare.criteria import load_criteria
from fzcompare.store import atomic_write_bytes, dataset_regions, load, load_sources

if TYPE_CHECKING:
    from fzcompare.benchmark import BenchmarkResult


class OutputFormat(StrEnum):
    """How the table is written."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class TableChoice(StrEnum):
    """Which result table is written."""

    totals = "totals"
    areas = "areas"
    criteria = "criteria"


_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "totals": ("region_code", "region_name", "year", "peer_group", "points_earned", "share",
               "bonus_points", "verdict", "vetoed_by", "rank", "rank_change", "n_missing"),
    "areas": ("region_code", "region_name", "year", "area_id", "area_name", "points_possible",
              "points_earned", "share"),
    "criteria": ("region_code", "region_name", "year", "criterion_id", "indicator_code",
                 "comparator", "threshold", "value", "qualifier", "status", "points_possible",
                 "points_earned", "gap"),
    "uncertainty": UNCERTAINTY_COLUMNS,
    "audit": AUDIT_COLUMNS,
}


def _pick(result: BenchmarkResult, table: str, names: pl.DataFrame,
          regions: list[str] | None) -> pl.DataFrame:
    frame: pl.DataFrame = getattr(result, table)
    frame = frame.join(names, on="region_code", how="left", maintain_order="left")
    if regions:
        frame = frame.filter(pl.col("region_code").is_in(regions))
    columns = ["region_code", "region_name"] + [c for c in frame.columns
                                                 if c not in ("region_code", "region_name")]
    return frame.select(columns)


def _render_table(frame: pl.DataFrame, table: str, title: str, notes: list[str]) -> str:
    shown = frame.select([c for c in _TABLE_COLUMNS[table] if c in frame.columns])
    view = Table(title=title, title_justify="left")
    for name in shown.columns:
        numeric = shown.schema[name].is_numeric()
        view.add_column(name, justify="right" if numeric else "left")
    shown = shown.with_columns(
        pl.col("share").mul(100).round(1) if "share" in shown.columns else [],
    )
    for row in shown.iter_rows():
        view.add_row(*["" if v is None else f"{v:.2f}".rstrip("0").rstrip(".")
                       if isinstance(v, float) else str(v) for v in row])
    buffer = io.StringIO()
    Console(file=buffer, width=200, no_color=True, highlight=False).print(view)
    for note in notes:
        buffer.write(note + "\n")
    return buffer.getvalue()


def _render_json(frame: pl.DataFrame, result: BenchmarkResult, table: str,
                 notes: list[str]) -> str:
    document = {"settings": result.settings.as_dict(), "table": table, "notes": notes,
                "rows": frame.to_dicts()}
    return json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n"


def benchmark_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder (observations/ + "
                                                 "sources.csv).")],
    criteria: Annotated[str, typer.Option(
        "--criteria", "-c", help="Rubric file (.yaml) or bundled rubric id, e.g. "
                                 "hubei-demo-2024.")],
    year: Annotated[int | None, typer.Option(help="Score only this year (default: every "
                                                  "year).")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", help="Show only this region code (repeatable); ranks stay within the "
                         "whole peer group.")] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="table (plain text), csv, json or xlsx (needs -o).")]
        = OutputFormat.table,
    table: Annotated[TableChoice, typer.Option(
        "--table", "-t", help="Which table: totals, areas or criteria.")
    ] = TableChoice.totals,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of stdout.")
    ] = None,
    min_evidence: Annotated[float | None, typer.Option(
        "--min-evidence", min=0.0, max=1.0,
        help="Rank a region-year only when its disclosed figures carry at least this "
             "share of the points (default: the rubric's min_evidence, 0.5 unless set).")
    ] = None,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (see `fzcompare dataset "
                                 "history`); default: the newest.")] = None,
    robustness: Annotated[int | None, typer.Option(
        "--robustness", min=1, help="Monte Carlo draws: rank_p05/rank_median/rank_p95, "
        "tied groups, band probabilities and p_rank_improved (replaces --table).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --robustness.")] = 0,
    audit: Annotated[bool, typer.Option(
        "--audit", help="Rubric audit: saturation, correlations, effective weights, "
        "Cronbach's alpha, redundancy (replaces --table).")] = False,
) -> None:
    """Score a dataset against a rubric: points, verdicts and ranks per region and year.

    Exits 0 whenever scoring ran, whatever the verdicts; 1 when the dataset or the
    rubric cannot be read (the error, naming file and key, goes to stderr).
    """
    rubric = load_criteria(criteria)
    observations = load(dataset, version=version)
    regions = dataset_regions(dataset)
    sources = load_sources(dataset)
    result = benchmark(observations, rubric, years=year, regions_table=regions,
                       min_evidence=min_evidence)
    names = regions.select("region_code", pl.col("name_zh").alias("region_name"))
    frame = _pick(result, table.value, names, region)
    table_name = table.value
    notes: list[str] = []
    if robustness is not None:
        table_name = "uncertainty"
        frame, notes = uncertainty_frame(observations, rubric, year=year, regions=regions,
                                         names=names, draws=robustness, seed=seed)
        if region:
            frame = frame.filter(pl.col("region_code").is_in(region))
    elif audit:
        table_name = "audit"
        frame, notes = audit_frame(observations, rubric, year=year, regions=regions)
    synthetic = sources.filter(pl.col("kind") == "synthetic")["source_id"]
    if observations["source_id"].is_in(synthetic.implode()).any():
        notes.append("NOTE: this dataset holds SYNTHETIC figures (generated, not real).")
    if rubric.user_set:
        notes.append(f"NOTE: rubric {rubric.id} is user-set/illustrative, not an official "
                     "indicator system.")
    notes.extend(f"NOTE: {note}." for note in result.settings.notes)
    unranked = result.totals.filter(pl.col("verdict") == "insufficient_evidence").height
    if unranked:
        notes.append(f"NOTE: {unranked} region-years are not ranked: their disclosed "
                     f"figures carry less than {result.settings.min_evidence:.0%} of the "
                     "points (verdict insufficient_evidence).")
    if result.totals.height == 0:
        notes.append("NOTE: no region was scored (check --year and the rubric's levels).")
    settings = result.settings
    title = (f"{settings.criteria_id} v{settings.criteria_version}: pass line "
             f"{settings.pass_points:g} of {settings.total_points:g} points")
    if output_format is OutputFormat.xlsx:
        if output is None:
            msg = "xlsx needs -o/--output"
            raise typer.BadParameter(msg, param_hint="--format")
        atomic_write_bytes(output, xlsx_bytes({table_name: frame}, notes=XlsxNotes(
            title=f"fzcompare benchmark: {table_name}", rubric=title,
            synthetic=any("synthetic" in n.lower() for n in notes),
            extra=tuple(("note", n) for n in notes))))
        typer.echo(f"wrote {frame.height} rows to {output}", err=True)
        return
    if output_format is OutputFormat.csv:
        text = frame.write_csv()
        for note in notes:
            typer.echo(note, err=True)
    elif output_format is OutputFormat.json:
        text = _render_json(frame, result, table_name, notes)
    else:
        text = _render_table(frame, table_name, title, notes)
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(output, text.encode("utf-8"))
        typer.echo(f"wrote {frame.height} rows to {output}", err=True)
