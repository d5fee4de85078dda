"""``fzcompare benchmark --robustness N`` and ``--audit``: the uncertainty and audit tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from fzcompare.benchmark import audit, benchmark, rank_uncertainty

if TYPE_CHECKING:
    from fzcompare.criteria import CriteriaSet

UNCERTAINTY_COLUMNS: tuple[str, ...] = (
    "region_code", "region_name", "year", "peer_group", "rank", "rank_p05", "rank_median",
    "rank_p95", "tied_group", "tied_group_size", "band", "band_probability", "rank_change",
    "p_rank_improved", "p_rank_worsened")
AUDIT_COLUMNS: tuple[str, ...] = (
    "criterion_id", "area_id", "nominal_weight", "effective_weight", "share_full",
    "share_zero", "saturated", "r_area", "r_total", "cronbach_alpha")


def uncertainty_frame(observations: pl.DataFrame, rubric: CriteriaSet, *, year: int | None,
                      regions: pl.DataFrame, names: pl.DataFrame, draws: int, seed: int,
                      choices: tuple[tuple[str, ...], tuple[str, ...]] = (
                          ("rubric",), ("arithmetic",))
                      ) -> tuple[pl.DataFrame, list[str]]:
    """The rank-uncertainty table (the year before is simulated too, for rank changes).

    ``choices`` are the (normalisations, aggregations) each draw picks from.
    """
    years = None if year is None else [year - 1, year]
    result = benchmark(observations, rubric, years=years, regions_table=regions)
    uncertainty = rank_uncertainty(result, draws=draws, seed=seed, observations=observations,
                                   normalisations=choices[0], aggregations=choices[1])
    frame = uncertainty.ranks
    if year is not None:
        frame = frame.filter(pl.col("year") == year)
    frame = frame.join(names, on="region_code", how="left", maintain_order="left")
    s = uncertainty.settings
    notes = [f"NOTE: {s.draws} draws (seed {s.seed}): weights x U(1 ± {s.weight_spread:g}), "
             f"count/rate noise on {s.noisy_cells} cells, {s.imputed_cells} non-disclosed "
             "cells imputed from peers.",
             f"NOTE: tied_group: {s.tie_rule}.",
             f"NOTE: bands {', '.join(f'{n} >= {low:.0%}' for n, low in s.bands)} "
             f"({s.bands_source})."]
    if len(s.combinations) > 1:
        notes.append(f"NOTE: each draw picked one of {', '.join(s.combinations)} "
                     "(normalisation+aggregation).")
    if uncertainty.sensitivity.height:
        notes.extend(f"NOTE: {factor}: first-order share {share:.0%} of the rank variance."
                     for factor, share in uncertainty.sensitivity.select(
                         "factor", "first_order_share").iter_rows() if share is not None)
    return frame.select([c for c in UNCERTAINTY_COLUMNS if c in frame.columns]), notes


def audit_frame(observations: pl.DataFrame, rubric: CriteriaSet, *, year: int | None,
                regions: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The audit's criteria table (with its area's alpha) and its findings as notes."""
    result = benchmark(observations, rubric, years=year, regions_table=regions)
    report = audit(result)
    frame = report.criteria.join(report.areas.select("area_id", "cronbach_alpha"),
                                 on="area_id", how="left", maintain_order="left")
    notes = [f"AUDIT {report.criteria_id} {report.year}: {finding}"
             for finding in report.findings]
    return frame.select(AUDIT_COLUMNS), notes
