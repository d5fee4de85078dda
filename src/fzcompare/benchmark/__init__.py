"""Score observations against a rubric (criteria set) and explain the result.

``benchmark`` scores every region and year against every criterion at once and returns
tidy polars tables (criterion-level, area-level, totals with verdicts and ranks). Around it:
``what_it_would_take`` (the smallest set of improvements to pass), ``composite``
(composite-indicator scores), ``rank_robustness`` (Monte Carlo ranks) and
``compare_editions`` (two rubrics on the same data). How sure a comparison is:
``rank_uncertainty`` (rank intervals, tied groups, grade bands, ``p_rank_improved``),
``change_attribution`` (a score change by area and criterion, rubric vs performance effect)
and ``audit`` (saturated, mis-weighted and redundant criteria, Cronbach's alpha); methods in
``docs/statistics.md``.

The public functions live in ``_api``; ``_result`` holds every result type and imports no
sibling; ``_score`` (the vectorised scoring), ``_tables`` (result tables), ``_composite``
and ``_explain`` are private. Scoring rules are documented in ``docs/criteria.md``.
"""

from __future__ import annotations

from fzcompare.benchmark._api import (
    benchmark,
    compare_editions,
    composite,
    rank_robustness,
    what_it_would_take,
)
from fzcompare.benchmark._attribution import change_attribution
from fzcompare.benchmark._audit import audit
from fzcompare.benchmark._result import (
    AGGREGATIONS,
    NORMALISATIONS,
    BenchmarkResult,
    BenchmarkSettings,
    CompositeResult,
    CompositeSettings,
    RobustnessResult,
    RobustnessSettings,
)
from fzcompare.benchmark._stats_result import (
    AttributionResult,
    AuditResult,
    RankUncertaintyResult,
    UncertaintySettings,
)
from fzcompare.benchmark._uncertainty import rank_uncertainty

__all__ = [
    "AGGREGATIONS",
    "NORMALISATIONS",
    "AttributionResult",
    "AuditResult",
    "BenchmarkResult",
    "BenchmarkSettings",
    "CompositeResult",
    "CompositeSettings",
    "RankUncertaintyResult",
    "RobustnessResult",
    "RobustnessSettings",
    "UncertaintySettings",
    "audit",
    "benchmark",
    "change_attribution",
    "compare_editions",
    "composite",
    "rank_robustness",
    "rank_uncertainty",
    "what_it_would_take",
]
