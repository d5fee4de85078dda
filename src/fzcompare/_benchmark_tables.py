"""Building ``fzcompare.benchmark.BenchmarkResult`` tables from scored arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare._benchmark_score import Scored, totals_frame
from fzcompare.benchmark import (
    AREA_COLUMNS,
    CRITERIA_COLUMNS,
    SUBAREA_COLUMNS,
    TOTAL_COLUMNS,
    BenchmarkResult,
    BenchmarkSettings,
)
from fzcompare.criteria import CriteriaSet


def settings_of(rubric: CriteriaSet, scored: Scored) -> BenchmarkSettings:
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
        total_points=rubric.total_points,
    )


def result_of(scored: Scored, rubric: CriteriaSet) -> BenchmarkResult:
    totals, sums = totals_frame(scored, rubric)
    low = sums["low"]
    structure = scored.structure
    asked = list(scored.years)
    pairs = scored.pairs.select("region_code", "year", "peer_group")
    n_areas = len(structure.area_ids)
    area_possible = low["area_points"]
    area_earned = low["area_earned"] + low["area_bonus"]
    with np.errstate(divide="ignore", invalid="ignore"):
        area_share = np.where(area_possible > 0, area_earned / area_possible, np.nan)
    areas = pl.DataFrame({
        "region_code": np.repeat(pairs["region_code"].to_numpy(), n_areas),
        "year": np.repeat(pairs["year"].to_numpy(), n_areas),
        "peer_group": np.repeat(pairs["peer_group"].to_numpy(), n_areas),
        "area_id": np.tile(np.array(structure.area_ids, dtype=object), pairs.height),
        "area_name": np.tile(np.array(structure.area_names, dtype=object), pairs.height),
        "points_possible": area_possible.ravel(),
        "points_earned": area_earned.ravel(),
        "bonus_points": low["area_bonus"].ravel(),
        "share": area_share.ravel(),
    }, schema_overrides={"year": pl.Int32(), "area_id": pl.String(), "area_name": pl.String()}
    ).with_columns(pl.col("points_earned", "share").fill_nan(None))
    sub = np.flatnonzero(structure.node_is_subarea)
    node_possible = low["node_points"][:, sub]
    node_earned = low["node_earned"][:, sub] + low["node_bonus"][:, sub]
    area_of_node = np.array(structure.area_ids, dtype=object)[structure.area_of[sub].argmax(1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        node_share = np.where(node_possible > 0, node_earned / node_possible, np.nan)
    subareas = pl.DataFrame({
        "region_code": np.repeat(pairs["region_code"].to_numpy(), sub.size),
        "year": np.repeat(pairs["year"].to_numpy(), sub.size),
        "peer_group": np.repeat(pairs["peer_group"].to_numpy(), sub.size),
        "area_id": np.tile(area_of_node, pairs.height),
        "subarea_id": np.tile(np.array(structure.node_ids, dtype=object)[sub], pairs.height),
        "subarea_name": np.tile(np.array(structure.node_names, dtype=object)[sub],
                                pairs.height),
        "points_possible": node_possible.ravel(),
        "points_earned": node_earned.ravel(),
        "bonus_points": low["node_bonus"][:, sub].ravel(),
        "share": node_share.ravel(),
    }, schema={"region_code": pl.String(), "year": pl.Int32(), "peer_group": pl.String(),
               "area_id": pl.String(), "subarea_id": pl.String(), "subarea_name": pl.String(),
               "points_possible": pl.Float64(), "points_earned": pl.Float64(),
               "bonus_points": pl.Float64(), "share": pl.Float64()}
    ).with_columns(pl.col("points_earned", "share").fill_nan(None))
    in_years = pl.col("year").is_in(asked)
    rows = np.flatnonzero(scored.pairs["year"].is_in(asked).to_numpy())
    return BenchmarkResult(
        criteria=criteria_table(scored, rubric, rows),
        areas=areas.filter(in_years).select(AREA_COLUMNS),
        subareas=subareas.filter(in_years).select(SUBAREA_COLUMNS),
        totals=totals.filter(in_years).select(TOTAL_COLUMNS)
        .sort("year", "peer_group", "rank", "region_code", nulls_last=True),
        settings=settings_of(rubric, scored),
        rubric=rubric,
    )


def criteria_table(scored: Scored, rubric: CriteriaSet, rows: npt.NDArray[np.intp]
                    ) -> pl.DataFrame:
    """The criterion-level table for the pairs ``rows``: one row per pair x criterion."""
    from fzcompare._benchmark_score import QUALIFIER_CODES, STATUSES, WHOLE_SCOPE_BY_LEVEL

    n = scored.n_criteria
    pair_index = pl.Series(np.repeat(rows, n))
    criterion_index = pl.Series(np.tile(np.arange(n), rows.size))
    pairs = scored.pairs.select(pl.all().gather(pair_index))
    crit = rubric.criteria.rename({"points": "points_possible"}).select(
        pl.all().gather(criterion_index))

    def cells(name: str) -> npt.NDArray[Any]:
        return np.asarray(scored.arrays[name])[rows].ravel()

    codes = {i: c for i, c in enumerate(QUALIFIER_CODES)}
    table = pl.concat([pairs, crit], how="horizontal").with_columns(
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
    return table.select(CRITERIA_COLUMNS)
