"""``fzcompare benchmark``: score a dataset against a rubric (criteria set)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer

from fzcompare._names import check_known
from fzcompare.benchmark import AGGREGATIONS, NORMALISATIONS, benchmark
from fzcompare.cli._benchmark_stats import (
    AUDIT_COLUMNS,
    UNCERTAINTY_COLUMNS,
    audit_frame,
    uncertainty_frame,
)
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
    note,
    region_codes,
    synthetic_note,
)
from fzcompare.criteria import load_criteria
from fzcompare.store import dataset_regions, load, load_sources

if TYPE_CHECKING:
    from fzcompare.benchmark import BenchmarkResult
    from fzcompare.criteria import CriteriaSet


class TableChoice(StrEnum):
    """Which result table is written."""

    totals = "totals"
    areas = "areas"
    criteria = "criteria"


_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    # Most important first: a narrow terminal drops columns from the right.
    "totals": ("region_code", "region_name", "year", "rank", "verdict", "share",
               "points_earned", "rank_change", "bonus_points", "n_missing", "vetoed_by",
               "peer_group"),
    "areas": ("region_code", "region_name", "year", "area_id", "share", "points_earned",
              "points_possible", "area_name"),
    "criteria": ("region_code", "region_name", "year", "criterion_id", "status",
                 "points_earned", "points_possible", "value", "threshold", "comparator",
                 "gap", "qualifier", "indicator_code"),
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


def _render_json(frame: pl.DataFrame, result: BenchmarkResult, table: str,
                 notes: list[str]) -> bytes:
    document = {"settings": result.settings.as_dict(), "table": table,
                "notes": [n.removeprefix("NOTE: ") for n in notes],
                "rows": frame.to_dicts()}
    return (json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n").encode()


def _notes(result: BenchmarkResult, rubric: CriteriaSet, *, synthetic: list[str]
           ) -> list[str]:
    """What the reader must know about the scores: synthetic data, rubric, unranked rows."""
    notes = list(synthetic)
    if rubric.user_set:
        notes.append(f"NOTE: rubric {rubric.id} is user-set/illustrative, not an official "
                     "indicator system.")
    notes.extend(f"NOTE: {line}." for line in result.settings.notes)
    unranked = result.totals.filter(pl.col("verdict") == "insufficient_evidence").height
    if unranked:
        notes.append(f"NOTE: {unranked} region-years are not ranked: their disclosed "
                     f"figures carry less than {result.settings.min_evidence:.0%} of the "
                     "points (verdict insufficient_evidence).")
    return notes


@dataclass(frozen=True, slots=True)
class _Table:
    """The table a run writes, with its name and the notes that go with it."""

    name: str
    frame: pl.DataFrame
    notes: list[str]


@dataclass(frozen=True, slots=True)
class _Extras:
    """The options that replace --table with another analysis."""

    robustness: int | None
    seed: int
    audit: bool
    normalisations: tuple[str, ...] = ("rubric",)
    aggregations: tuple[str, ...] = ("arithmetic",)


def _choices(value: str | None, *, option: str, known: tuple[str, ...],
             robustness: int | None) -> tuple[str, ...] | None:
    """A comma list of construction choices for --robustness, unknown names refused.

    Raises:
        typer.BadParameter: The option without --robustness, or an empty list (exit 2).
        UnknownNameError: A name not in ``known``, with the closest ones (exit 2).
    """
    if value is None:
        return None
    if robustness is None:
        msg = f"{option} applies to the Monte Carlo only; add --robustness N"
        raise typer.BadParameter(msg, param_hint=option)
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names:
        msg = f"{option} needs a comma list of {', '.join(known)}"
        raise typer.BadParameter(msg, param_hint=option)
    check_known(option.removeprefix("--").rstrip("s"), names, known,
                hint_source="fzcompare benchmark --help",
                hint=f"{option} takes a comma list of {', '.join(known)}")
    return names


def _analysis(observations: pl.DataFrame, rubric: CriteriaSet, result: BenchmarkResult, *,
              table: TableChoice, extras: _Extras, year: int | None, regions: pl.DataFrame,
              focus: list[str] | None) -> _Table:
    """The chosen table: a result table, the rank uncertainty or the rubric audit."""
    names = regions.select("region_code", pl.col("name_zh").alias("region_name"))
    if extras.robustness is not None:
        frame, notes = uncertainty_frame(observations, rubric, year=year, regions=regions,
                                         names=names, draws=extras.robustness,
                                         seed=extras.seed,
                                         choices=(extras.normalisations, extras.aggregations))
        if focus:
            frame = frame.filter(pl.col("region_code").is_in(focus))
        return _Table("uncertainty", frame, notes)
    if extras.audit:
        frame, notes = audit_frame(observations, rubric, year=year, regions=regions)
        return _Table("audit", frame, notes)
    return _Table(table.value, _pick(result, table.value, names, focus), [])


def _write(chosen: _Table, sink: Sink, *, result: BenchmarkResult) -> None:
    settings = result.settings
    title = (f"{settings.criteria_id} v{settings.criteria_version}: pass line "
             f"{settings.pass_points:g} of {settings.total_points:g} points")
    for line in chosen.notes:
        note(line)
    frame = chosen.frame
    if sink.format is Format.json:
        data = _render_json(frame, result, chosen.name, chosen.notes)
    elif sink.format is Format.table:
        shown = frame.select([c for c in _TABLE_COLUMNS[chosen.name] if c in frame.columns])
        data = encode(shown, sink, title=title)
    else:
        data = encode(frame, sink, title=f"fzcompare benchmark: {chosen.name} ({title})",
                      notes=chosen.notes, sheet=chosen.name)
    emit(data, sink, what=f"{frame.height} rows")


def benchmark_command(
    dataset: DatasetArg,
    criteria: Annotated[str, typer.Option(
        "--criteria", "-c", help="Rubric file (.yaml) or bundled rubric id, e.g. "
                                 "hubei-demo-2024.")],
    year: Annotated[int | None, typer.Option(
        "--year", help="Score only this year (default: every year).")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", "-r", help="Show only this region, code or name (repeatable); ranks "
                               "stay within the whole peer group.")] = None,
    output_format: FormatOption = None,
    table: Annotated[TableChoice, typer.Option(
        "--table", "-t", help="Which table: totals, areas or criteria.")
    ] = TableChoice.totals,
    output: OutputOption = None,
    min_evidence: Annotated[float | None, typer.Option(
        "--min-evidence", min=0.0, max=1.0,
        help="Rank a region-year only when its disclosed figures carry this share of the "
             "points (default: the rubric's, else 0.5).")] = None,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (default: the newest).")
    ] = None,
    robustness: Annotated[int | None, typer.Option(
        "--robustness", min=1, help="Rank uncertainty from N Monte Carlo draws (replaces "
                                    "--table).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for --robustness.")] = 0,
    audit: Annotated[bool, typer.Option(
        "--audit", help="Rubric audit: saturation, correlations, effective weights, "
                        "Cronbach's alpha (replaces --table).")] = False,
    normalisations: Annotated[str | None, typer.Option(
        "--normalisations", metavar="LIST", help="With --robustness: normalisations each "
        f"draw picks from, comma-separated ({', '.join(NORMALISATIONS)}; default: rubric)."
    )] = None,
    aggregations: Annotated[str | None, typer.Option(
        "--aggregations", metavar="LIST", help="With --robustness: aggregations each draw "
        f"picks from, comma-separated ({', '.join(AGGREGATIONS)}; default: arithmetic)."
    )] = None,
) -> None:
    """Score a dataset against a rubric: points, verdicts and ranks per region and year.

    Scoring that ran exits 0 whatever the verdicts. Shares are 0-1 in csv, json and
    parquet, and shown as percentages in tables and xlsx.
    """
    sink = choose_sink(output_format, output)
    extras = _Extras(robustness, seed, audit)
    chosen_norm = _choices(normalisations, option="--normalisations", known=NORMALISATIONS,
                           robustness=robustness)
    chosen_agg = _choices(aggregations, option="--aggregations", known=AGGREGATIONS,
                          robustness=robustness)
    extras = _Extras(robustness, seed, audit, chosen_norm or extras.normalisations,
                     chosen_agg or extras.aggregations)
    rubric = load_criteria(criteria)
    check_version(dataset, version)
    observations = load(dataset, version=version)
    regions = dataset_regions(dataset)
    focus = region_codes(region)
    check_names(observations, regions=focus, regions_table=regions)
    result = benchmark(observations, rubric, years=year, regions_table=regions,
                       min_evidence=min_evidence)
    if result.totals.height == 0:
        msg = (f"rubric {rubric.id} scored no region of {dataset}"
               + (f" in {year}" if year is not None else ""))
        raise empty_result(msg)
    chosen = _analysis(observations, rubric, result, table=table, year=year,
                       regions=regions, focus=focus, extras=extras)
    synthetic = synthetic_note(observations, load_sources(dataset, version=version))
    notes = [*chosen.notes, *_notes(result, rubric, synthetic=synthetic)]
    _write(_Table(chosen.name, chosen.frame, notes), sink, result=result)
