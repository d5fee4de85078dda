"""Score observations against a rubric (criteria set) and explain the result.

``benchmark`` scores every region and year against every criterion at once and returns
tidy polars tables (criterion-level, area-level, totals with verdicts and ranks). Around it:
``what_it_would_take`` (the smallest set of improvements to pass), ``composite``
(composite-indicator scores), ``rank_robustness`` (Monte Carlo ranks) and
``compare_editions`` (two rubrics on the same data).

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

__all__ = [
    "AGGREGATIONS",
    "NORMALISATIONS",
    "BenchmarkResult",
    "BenchmarkSettings",
    "CompositeResult",
    "CompositeSettings",
    "RobustnessResult",
    "RobustnessSettings",
    "benchmark",
    "compare_editions",
    "composite",
    "rank_robustness",
    "what_it_would_take",
]
