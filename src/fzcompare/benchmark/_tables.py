"""Building ``fzcompare.benchmark.BenchmarkResult`` tables from scored arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare.benchmark._evidence import evidence_of
from fzcompare.benchmark._result import (
    AREA_COLUMNS,
    CRITERIA_COLUMNS,
    SUBAREA_COLUMNS,
    TOTAL_COLUMNS,
    BenchmarkResult,
    BenchmarkSettings,
    CriteriaTableBuilder,
)
from fzcompare.benchmark._score import (
    QUALIFIER_CODES,
    STATUSES,
    WHOLE_SCOPE_BY_LEVEL,
    Scored,
    totals_frame,
)
from fzcompare.catalog import load_catalog
from fzcompare.criteria import CriteriaSet
from fzcompare.trends._intervals import rate_intervals, with_rate_intervals

ZERO_POLICY_NOTE: Final[str] = (
    "missing_policy zero: a figure not disclosed scores 0 in points_earned, share and the "
    "verdict; ranks use points on the criteria with evidence (points_on_evidence)")


def settings_of(rubric: CriteriaSet, scored: Scored, *, min_evidence: float
                ) -> BenchmarkSettings:
    overrides = (rubric.criteria.filter(pl.col("missing_policy") != rubric.missing_policy)
                 .group_by("missing_policy").len().sort("missing_policy"))
    policy = f"{rubric.missing_policy} (set default)"
    if overrides.height:
        policy += "; overridden for " + ", ".join(
            f"{n} criteria: {p}" for p, n in overrides.iter_rows())
    return BenchmarkSettings(
        criteria_id=rubric.id, criteria_version=rubric.version,
        criteria_edition=rubric.edition, criteria_sha256=rubric.sha256,
        criteria_path=rubric.path, years=scored.years, peers=scored.peers,
        missing_policy=policy, pass_points=rubric.pass_points,
        total_points=rubric.total_points, min_evidence=min_evidence,
        notes=(ZERO_POLICY_NOTE,) if (rubric.criteria["missing_policy"] == "zero").any() else (),
    )


def _expand(pairs: pl.DataFrame, items: pl.DataFrame, cells: dict[str, npt.NDArray[Any]]
            ) -> pl.DataFrame:
    """One row per pair x item (pairs outer), with (pairs, items) arrays as flat columns."""
    k = items.height
    outer = pairs.select(pl.all().gather(np.repeat(np.arange(pairs.height), k)))
    inner = items.select(pl.all().gather(np.tile(np.arange(k), pairs.height)))
    parts = [outer, inner]
    if cells:
        parts.append(pl.DataFrame({name: np.asarray(v).ravel() for name, v in cells.items()}))
    return pl.concat(parts, how="horizontal")


def result_of(scored: Scored, rubric: CriteriaSet, *, min_evidence: float | None = None
              ) -> BenchmarkResult:
    threshold = rubric.min_evidence if min_evidence is None else min_evidence
    evidence = evidence_of(scored, rubric)
    totals, sums = totals_frame(scored, rubric, evidence, min_evidence=threshold)
    asked = list(scored.years)
    rows = np.flatnonzero(scored.pairs["year"].is_in(asked).to_numpy())
    low = {name: values[rows] for name, values in sums["low"].items()}
    structure = scored.structure
    pairs = scored.pairs.select("region_code", "year", "peer_group")[rows]
    area_possible = low["area_points"]
    area_earned = low["area_earned"] + low["area_bonus"]
    with np.errstate(divide="ignore", invalid="ignore"):
        area_share = np.where(area_possible > 0, area_earned / area_possible, np.nan)
    areas = _expand(pairs, pl.DataFrame({"area_id": structure.area_ids,
                                         "area_name": structure.area_names},
                                        schema={"area_id": pl.String(), "area_name": pl.String()}),
                    {"points_possible": area_possible, "points_earned": area_earned,
                     "bonus_points": low["area_bonus"], "share": area_share})
    sub = np.flatnonzero(structure.node_is_subarea)
    node_possible = low["node_points"][:, sub]
    node_earned = low["node_earned"][:, sub] + low["node_bonus"][:, sub]
    with np.errstate(divide="ignore", invalid="ignore"):
        node_share = np.where(node_possible > 0, node_earned / node_possible, np.nan)
    subarea_items = pl.DataFrame({
        "area_id": [structure.area_ids[i] for i in structure.area_of[sub].argmax(1)],
        "subarea_id": [structure.node_ids[i] for i in sub],
        "subarea_name": [structure.node_names[i] for i in sub],
    }, schema={"area_id": pl.String(), "subarea_id": pl.String(), "subarea_name": pl.String()})
    subareas = _expand(pairs, subarea_items,
                       {"points_possible": node_possible.reshape(rows.size, sub.size),
                        "points_earned": node_earned.reshape(rows.size, sub.size),
                        "bonus_points": low["node_bonus"][:, sub].reshape(rows.size, sub.size),
                        "share": node_share.reshape(rows.size, sub.size)})
    nan_to_null = pl.col("points_earned", "share").fill_nan(None)
    return BenchmarkResult(
        areas=areas.with_columns(nan_to_null).select(AREA_COLUMNS),
        subareas=subareas.with_columns(nan_to_null).select(SUBAREA_COLUMNS),
        totals=totals.filter(pl.col("year").is_in(asked)).select(TOTAL_COLUMNS)
        .sort("year", "peer_group", "rank", "region_code", nulls_last=True),
        settings=settings_of(rubric, scored, min_evidence=threshold),
        rubric=rubric,
        _criteria_table=_criteria_builder(scored, rubric),
        common_set=evidence.common_set.filter(pl.col("year").is_in(asked)),
    )


def _criteria_builder(scored: Scored, rubric: CriteriaSet) -> CriteriaTableBuilder:
    """The ``BenchmarkResult``'s way to build its criterion table on demand."""

    def build(*, years: Sequence[int], regions: Sequence[str] | None) -> pl.DataFrame:
        return criteria_table(scored, rubric, years=years, regions=regions)

    return build


def criteria_table(scored: Scored, rubric: CriteriaSet, *, years: Sequence[int],
                   regions: Sequence[str] | None) -> pl.DataFrame:
    """The criterion-level table: one row per pair x criterion, for the pairs asked.

    Rows are ordered by year, region and the rubric's criterion order.
    """
    wanted = pl.col("year").is_in(list(years))
    if regions is not None:
        wanted &= pl.col("region_code").is_in(list(regions))
    rows = (scored.pairs.with_row_index("pair").filter(wanted).sort("year", "region_code")
            ["pair"].to_numpy().astype(np.intp))
    crit = rubric.criteria.rename({"points": "points_possible"})

    def cells(name: str) -> npt.NDArray[Any]:
        values: npt.NDArray[Any] = np.asarray(scored.arrays[name])[rows].ravel()
        return values

    codes = dict(enumerate(QUALIFIER_CODES))
    table = _expand(scored.pairs[rows], crit, {}).with_columns(
        pl.Series("value", cells("value")).fill_nan(None),
        pl.Series("qualifier", scored.qualifier[rows].ravel()).replace_strict(
            codes, default=None, return_dtype=pl.String()),
        pl.Series("status", cells("status")).replace_strict(
            dict(enumerate(STATUSES)), return_dtype=pl.String()),
        pl.Series("points_earned", cells("points_earned")).fill_nan(None),
        pl.Series("gap", cells("gap")).fill_nan(None),
        pl.Series("required_value", cells("required_value")).fill_nan(None),
        pl.when(pl.col("scope") == "whole")
        .then(pl.col("level").replace_strict(WHOLE_SCOPE_BY_LEVEL, default=None,
                                             return_dtype=pl.String()))
        .otherwise(pl.col("scope")).alias("scope_used"),
    )
    return with_intervals(table.select(CRITERIA_COLUMNS), scored, rubric)


INTERVAL_COLUMNS: Final[tuple[str, ...]] = ("value_ci_low", "value_ci_high")
"""Added after ``CRITERIA_COLUMNS``: the 95 % Wilson interval of a rate criterion's value
when its numerator and denominator are known (``trends.rate_intervals``), else null."""


def with_intervals(table: pl.DataFrame, scored: Scored, rubric: CriteriaSet) -> pl.DataFrame:
    """``table`` (criterion rows) with ``value_ci_low`` / ``value_ci_high`` on the right."""
    targets = set(load_catalog().relations.filter(pl.col("kind") == "ratio")["target"])
    rates = sorted(set(rubric.criteria["indicator_code"].to_list()) & targets)
    frame = scored.observations
    if not rates or frame is None or table.height == 0:
        return table.with_columns(pl.lit(None, dtype=pl.Float64).alias(c)
                                  for c in INTERVAL_COLUMNS)
    rows = frame.join(table.select("region_code", "year").unique(),
                      on=["region_code", "year"], how="semi")
    intervals = rate_intervals(rows, indicators=rates)
    return with_rate_intervals(table, intervals, scope_column="scope_used")
