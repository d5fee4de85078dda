"""``fzcompare coverage``: what a dataset discloses, per region-year, indicator and criterion."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import polars as pl
import typer

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
    encode,
    note,
    synthetic_note,
)
from fzcompare.coverage import CoverageResult, coverage
from fzcompare.criteria import load_criteria
from fzcompare.store import dataset_regions, load, load_sources


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


_FIRST: tuple[str, ...] = ("region_code", "region_name", "peer_group", "year", "indicator_code",
                          "criterion_id", "report", "evidence_share", "share", "disclosed")
"""Columns a terminal table shows first (a narrow one drops from the right)."""


def _encode(frame: pl.DataFrame, sink: Sink, *, result: CoverageResult, table: str,
            title: str, notes: list[str], meta: tuple[str, float]) -> bytes:
    """JSON keeps its document (dataset, table, rubric, notes, rows); the rest is shared."""
    if sink.format is Format.json:
        dataset, common_share = meta
        return (json.dumps({"dataset": dataset, "table": table, "rubric": result.rubric_id,
                            "common_share": common_share,
                            "notes": [n.removeprefix("NOTE: ") for n in notes],
                            "rows": frame.to_dicts()},
                           ensure_ascii=False, indent=1, default=str) + "\n").encode()
    if sink.format is Format.table:
        first = [c for c in _FIRST if c in frame.columns]
        frame = frame.select([*first, *(c for c in frame.columns if c not in first)])
    return encode(frame, sink, title=title, notes=notes, sheet=table)


def coverage_command(
    dataset: DatasetArg,
    criteria: Annotated[str | None, typer.Option(
        "--criteria", "-c", help="Rubric file (.yaml) or bundled rubric id: adds "
                                 "evidence_share and per-criterion evidence.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only this year.")] = None,
    table: Annotated[CoverageTable, typer.Option(
        "--table", "-t", help="region-years, indicators, criteria, common-set or cells.")
    ] = CoverageTable.region_years,
    common_share: Annotated[float, typer.Option(
        "--common-share", min=0.0, max=1.0,
        help="Share of a peer group's reports that must disclose an indicator for the "
             "common set.")] = 0.5,
    output_format: FormatOption = None,
    output: OutputOption = None,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (default: the newest).")
    ] = None,
) -> None:
    """Show what was disclosed: reports per region-year, indicators, evidence, common set.

    A region-year has a report when the sources table says so (region_code and year of a
    source of kind report or synthetic); a missing row alone proves nothing. Shares are 0-1
    in the data and shown as percentages in tables.
    """
    sink = choose_sink(output_format, output)
    if table is CoverageTable.criteria and criteria is None:
        msg = "--table criteria needs a rubric: add --criteria hubei-demo-2024 (or a rubric file)"
        raise typer.BadParameter(msg, param_hint="--table")
    rubric = None if criteria is None else load_criteria(criteria)
    check_version(dataset, version)
    observations, sources = load(dataset, version=version), load_sources(dataset, version=version)
    check_names(observations, years=None if year is None else [year])
    result = coverage(observations, sources, rubric=rubric,
                      years=None if year is None else [year], common_share=common_share,
                      regions_table=dataset_regions(dataset))
    frame = _frame(result, table)
    notes = synthetic_note(observations, sources)
    for line in notes:
        note(line)
    reports = int(result.region_years["report"].sum()) if result.region_years.height else 0
    title = (f"{dataset}: {result.region_years.height} region-years, {reports} with a "
             f"report ({table.value})")
    data = _encode(frame, sink, result=result, table=table.value, title=title, notes=notes,
                   meta=(str(dataset), common_share))
    emit(data, sink, what=f"{frame.height} rows")
