"""``fzcompare coverage``: what a dataset discloses, per region-year, indicator and criterion."""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from fzcompare._io import atomic_write_bytes
from fzcompare.coverage import CoverageResult, coverage
from fzcompare.criteria import load_criteria
from fzcompare.store import dataset_regions, load, load_sources


class OutputFormat(StrEnum):
    """How the table is written."""

    table = "table"
    csv = "csv"
    json = "json"


class CoverageTable(StrEnum):
    """Which coverage table is written."""

    region_years = "region-years"
    indicators = "indicators"
    criteria = "criteria"
    common_set = "common-set"
    cells = "cells"


def _frame(result: CoverageResult, table: CoverageTable) -> pl.DataFrame:
    frames = {CoverageTable.region_years: result.region_years,
              CoverageTable.indicators: result.indicators,
              CoverageTable.criteria: result.criteria,
              CoverageTable.common_set: result.common_set,
              CoverageTable.cells: result.cells}
    return frames[table]


def _render_table(frame: pl.DataFrame, title: str, notes: list[str]) -> str:
    view = Table(title=title, title_justify="left")
    for name in frame.columns:
        view.add_column(name, justify="right" if frame.schema[name].is_numeric() else "left")
    for row in frame.iter_rows():
        view.add_row(*["" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)
                       for v in row])
    buffer = io.StringIO()
    Console(file=buffer, width=220, no_color=True, highlight=False).print(view)
    for note in notes:
        buffer.write(note + "\n")
    return buffer.getvalue()


def coverage_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder (its observations "
                                                 "and sources tables).")],
    criteria: Annotated[str | None, typer.Option(
        "--criteria", "-c", help="Rubric file (.yaml) or bundled rubric id: adds "
                                 "evidence_share and per-criterion evidence.")] = None,
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    table: Annotated[CoverageTable, typer.Option(
        "--table", "-t", help="region-years, indicators, criteria, common-set or cells.")
    ] = CoverageTable.region_years,
    common_share: Annotated[float, typer.Option(
        "--common-share", help="Share of a peer group's reports that must disclose an "
                               "indicator for the common set.")] = 0.5,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="table (plain text), csv or json.")] = OutputFormat.table,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of stdout.")
    ] = None,
) -> None:
    """Show what was disclosed: reports per region-year, indicators, evidence, common set.

    A region-year has a report when the sources table says so (region_code and year of
    a source of kind report or synthetic); a missing row alone proves nothing.
    """
    if table is CoverageTable.criteria and criteria is None:
        msg = "--table criteria needs a rubric: add --criteria hubei-demo-2024 (or a rubric file)"
        raise typer.BadParameter(msg, param_hint="--table")
    rubric = None if criteria is None else load_criteria(criteria)
    observations, sources = load(dataset), load_sources(dataset)
    result = coverage(observations, sources, rubric=rubric,
                      years=None if year is None else [year], common_share=common_share,
                      regions=dataset_regions(dataset))
    frame = _frame(result, table)
    notes: list[str] = []
    if sources.filter(pl.col("kind") == "synthetic").height:
        notes.append("NOTE: this dataset holds SYNTHETIC figures (generated, not real).")
    reports = int(result.region_years["report"].sum()) if result.region_years.height else 0
    title = (f"{dataset}: {result.region_years.height} region-years, {reports} with a "
             f"report ({table.value})")
    if output_format is OutputFormat.csv:
        text = frame.write_csv()
        for note in notes:
            typer.echo(note, err=True)
    elif output_format is OutputFormat.json:
        text = json.dumps({"dataset": str(dataset), "table": table.value,
                           "rubric": result.rubric_id, "common_share": common_share,
                           "notes": notes, "rows": frame.to_dicts()},
                          ensure_ascii=False, indent=1, default=str) + "\n"
    else:
        text = _render_table(frame, title, notes)
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(output, text.encode("utf-8"))
        typer.echo(f"wrote {frame.height} rows to {output}", err=True)
