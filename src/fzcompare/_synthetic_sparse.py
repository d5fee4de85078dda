"""Hide figures of a dense synthetic panel the way real annual reports do.

The dense panel holds every figure; a real 法治政府建设 report discloses a handful. This module
turns a dense panel into a sparse one, seeded, in three steps:

1. **Reports.** Each region-year has a report with probability ``1 - REPORT_MISSING_SHARE``;
   a region-year without one loses all its rows, and the sources table has no report row for
   it (coverage then says ``no_report``).
2. **Report length.** Each government publishes full reports (share ``FULL_REPORT_SHARE``,
   log-odds of disclosing any indicator raised by ``_LENGTH_SHIFT``) or short ones (lowered
   by the same amount), kept over the years.
3. **Indicators.** Indicator *i* is disclosed with probability
   ``logistic(logit(base_i) ± shift)``, where ``base_i = 0.12 + 0.78 * k_i / max(k)`` and
   ``k_i`` (``REAL_DISCLOSURE_COUNTS``) is the number of region-years of the bundled real
   figures (``datasets/real``: the Shiyan 2023 report and ``datasets/raw/published-figures
   .csv``) that disclose it: the review counts and the executive-meeting counts are published
   most often, most rates rarely. A hidden rate that the catalog has a 全覆盖-type statement
   for becomes, with probability ``NO_NUMBER_SHARE``, a ``no_number`` row (a statement
   without a figure) instead of disappearing.

Only rows are removed or blanked: the values of the rows that remain are the dense panel's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import polars as pl

from fzcompare.schema import SOURCE_SCHEMA

__all__ = ["FULL_REPORT_SHARE", "NO_NUMBER_SHARE", "REAL_DISCLOSURE_COUNTS",
           "REPORT_MISSING_SHARE", "disclosure_rates", "hide_figures", "report_sources"]

REAL_DISCLOSURE_COUNTS: Final[dict[str, int]] = {
    "agency_head_court_appearance_rate": 1, "comprehensive_window_coverage_rate": 1,
    "cross_province_services": 2, "disputes_handled": 1, "documents_legality_reviewed": 2,
    "emergency_drill_participants": 1, "emergency_drills": 1,
    "emergency_special_plans_revised": 1, "enforcement_supervision_cases": 1,
    "exec_meetings_on_rule_of_law": 7, "gov_regulations_enacted": 2,
    "gov_service_online_rate": 1, "gov_service_time_reduction_rate": 2,
    "info_disclosure_on_time_rate": 2, "judicial_office_compliance_rate": 1,
    "leaders_collective_law_study_sessions": 5, "mediation_success_rate": 1,
    "pre_appointment_law_test_participation_rate": 2, "reconsideration_acceptance_rate": 1,
    "reconsideration_accepted": 7, "reconsideration_applications": 8,
    "reconsideration_concluded": 1, "reconsideration_corrected": 1,
    "reconsideration_correction_rate": 2, "reconsideration_mediation_rate": 1,
    "rule_of_law_inspection_rectification_rate": 1,
}
"""Region-years of ``datasets/real`` disclosing each main indicator (others: 0).

Counted by ``tests/test_synthetic_sparse.py``, which fails when the real dataset changes.
"""

REPORT_MISSING_SHARE: Final[float] = 0.12
"""Share of region-years without a published report."""
FULL_REPORT_SHARE: Final[float] = 0.4
"""Share of governments that publish full reports (the others publish short ones)."""
NO_NUMBER_SHARE: Final[float] = 0.1
"""Share of hidden 全覆盖-type rates that appear as a statement without a figure."""

_BASE_FLOOR: Final[float] = 0.12
_BASE_SPAN: Final[float] = 0.78
_LENGTH_SHIFT: Final[float] = 1.0


def disclosure_rates(codes: Sequence[str]) -> dict[str, float]:
    """Base disclosure probability of each indicator (before the report-length shift).

    Examples:
        >>> rates = disclosure_rates(["reconsideration_applications",
        ...                           "legal_adviser_coverage_rate"])
        >>> round(rates["reconsideration_applications"], 2), rates["legal_adviser_coverage_rate"]
        (0.9, 0.12)
    """
    top = max(REAL_DISCLOSURE_COUNTS.values())
    return {c: _BASE_FLOOR + _BASE_SPAN * REAL_DISCLOSURE_COUNTS.get(c, 0) / top for c in codes}


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def hide_figures(observations: pl.DataFrame, *, statement_codes: frozenset[str],
                 rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The sparse observations and the region-years that have a report.

    Args:
        observations: A dense panel (one scope per region).
        statement_codes: Indicators with a 全覆盖-type statement in the catalog.
        rng: The disclosure stream (separate from the value streams).

    Returns:
        ``(observations, reports)``: the kept rows in the input order, and one row per
        region-year with a report (``region_code``, ``year``).
    """
    regions = observations["region_code"].unique(maintain_order=True).sort()
    region_years = observations.select("region_code", "year").unique().sort("region_code",
                                                                            "year")
    codes = sorted(observations["indicator_code"].unique())
    full = pl.DataFrame({"region_code": regions,
                         "shift": np.where(rng.random(regions.len()) < FULL_REPORT_SHARE,
                                           _LENGTH_SHIFT, -_LENGTH_SHIFT)})
    reports = region_years.filter(pl.Series(rng.random(region_years.height)
                                            >= REPORT_MISSING_SHARE))
    base = disclosure_rates(codes)
    logits = pl.DataFrame({"indicator_code": codes,
                           "logit": [_logit(base[c]) for c in codes]})
    drawn = (observations.with_row_index("_row")
             .join(reports, on=["region_code", "year"], how="semi")
             .join(full, on="region_code").join(logits, on="indicator_code")
             .sort("_row"))
    odds = (drawn["logit"] + drawn["shift"]).to_numpy()
    disclosed = rng.random(drawn.height) < 1.0 / (1.0 + np.exp(-odds))
    as_statement = rng.random(drawn.height) < NO_NUMBER_SHARE
    state = np.where(disclosed, "reported", np.where(
        as_statement & drawn["indicator_code"].is_in(sorted(statement_codes)).to_numpy(),
        "no_number", ""))
    kept = drawn.with_columns(pl.Series("disclosure", state)).filter(
        pl.col("disclosure") != "")
    kept = kept.with_columns(
        pl.when(pl.col("disclosure") == "reported").then(pl.col("value"))
        .otherwise(None).alias("value"),
        pl.when(pl.col("disclosure") == "reported").then(pl.col("quote"))
        .otherwise(pl.lit("（合成）实现全覆盖")).alias("quote"))
    return kept.select(observations.columns), reports


def report_sources(reports: pl.DataFrame, *, panel_source: str,
                   region_names: dict[str, str]) -> pl.DataFrame:
    """One ``synthetic`` source row per region-year with a (synthetic) report.

    Examples:
        >>> rows = report_sources(pl.DataFrame({"region_code": ["420300"], "year": [2023]}),
        ...                       panel_source="synthetic-demo-1",
        ...                       region_names={"420300": "十堰市"})
        >>> rows.select("source_id", "kind", "region_code", "year").row(0)
        ('synthetic-demo-1-420300-2023', 'synthetic', '420300', 2023)
    """
    return pl.DataFrame({
        "source_id": [f"{panel_source}-{r}-{y}" for r, y in reports.iter_rows()],
        "title": [f"SYNTHETIC stand-in for {region_names.get(r, r)}'s {y} report "
                  "(合成，非真实报告)" for r, y in reports.iter_rows()],
        "publisher": ["fzcompare.synthetic"] * reports.height,
        "published": [None] * reports.height,
        "url": [""] * reports.height,
        "kind": ["synthetic"] * reports.height,
        "region_code": reports["region_code"],
        "year": reports["year"],
        "note": [f"marks that the synthetic region-year has a report; its figures are under "
                 f"source {panel_source}"] * reports.height,
    }, schema=SOURCE_SCHEMA)
