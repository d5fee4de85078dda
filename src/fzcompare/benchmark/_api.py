"""Score observations against a rubric (criteria set) and explain the result.

``benchmark`` scores every region and year against every criterion at once (polars joins
place the figures in a region-year x criterion array; each rule is one vectorised expression
over it; area sums are matrix products) and returns tidy polars tables: criterion-level,
area-level and totals with verdicts and ranks. Around it:

- ``what_it_would_take``: for a region below the pass line, the smallest set of criteria
  to improve (fewest criteria first, then least relative effort) that reaches it.
- ``composite``: composite-indicator scores (goalposts, min-max, z-score, distance to
  target or the rubric's own scoring; arithmetic or geometric aggregation).
- ``rank_robustness``: Monte Carlo over weights and normalisation/aggregation choices,
  giving each region's median rank and 5-95 % rank interval.
- ``compare_editions``: two rubrics on the same data: which regions change verdict and why.

Scoring rules are documented with a worked example in ``docs/criteria.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fzcompare._deprecation import renamed_arguments
from fzcompare._names import check_filters
from fzcompare._provenance import mark_rows, provenance_of
from fzcompare.benchmark._composite import composite_scores, robustness
from fzcompare.benchmark._explain import editions, improvements
from fzcompare.benchmark._result import (
    AGGREGATIONS,
    NORMALISATIONS,
    BenchmarkResult,
    BenchmarkSettings,
    CompositeResult,
    RobustnessResult,
)
from fzcompare.benchmark._score import score
from fzcompare.benchmark._tables import result_of
from fzcompare.catalog import load_regions
from fzcompare.criteria import CriteriaSet
from fzcompare.errors import ArgumentTypeError, EvidenceThresholdError

if TYPE_CHECKING:
    import polars as pl

    from fzcompare.benchmark._score import Peers

__all__ = [
    "AGGREGATIONS",
    "NORMALISATIONS",
    "BenchmarkResult",
    "BenchmarkSettings",
    "CompositeResult",
    "RobustnessResult",
    "benchmark",
    "compare_editions",
    "composite",
    "rank_robustness",
    "what_it_would_take",
]


@renamed_arguments(year="years", regions="regions_table")
def benchmark(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria: CriteriaSet,
    *,
    years: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions_table: pl.DataFrame | None = None,
    min_evidence: float | None = None,
) -> BenchmarkResult:
    """Score observations against a rubric, ranking only the region-years with evidence.

    Every (region, year) present in ``observations`` is scored against every criterion (for
    the rubric's ``levels`` only). A criterion with ``scope: whole`` reads the region's
    whole-jurisdiction figure (全市 for a prefecture, 全县 for a county, 全省, 全国); codes
    starting ``unmapped_`` are never scored. A qualified value counts as its number: ``ge 80``
    (80 以上) counts as 80 and ``gt 99`` as 99; the qualifier stays in the ``qualifier`` column.

    Args:
        observations: The observation table (``fzcompare.schema``), eager or lazy.
        criteria: The rubric (``fzcompare.criteria.load_criteria``).
        years: Score only this year (or these years); the year before is scored too, for
            ``prev_rank``. Default: every year present.
        peers: None: peer groups by the rubric's rule; a list of region codes: only these
            regions, grouped by the rule; a mapping or a frame ``region_code, peer_group``:
            explicit groups (only regions named are scored).
        regions_table: Regions table (``region_code, level, parent_code``) for regions whose level
            or parent the code alone does not tell (e.g. ``fzcompare.store.dataset_regions``).
        min_evidence: Rank a region-year only when the criteria with a disclosed figure carry
            at least this share of the points possible (``evidence_share``); below it the
            verdict is ``insufficient_evidence``. Default: the rubric's ``min_evidence``
            (0.5 unless the file sets it).

    Returns:
        A ``BenchmarkResult``. ``totals.evidence_share`` is the share of the points possible
        (criteria not applicable to the level left out) whose criteria have evidence;
        ``points_on_evidence``/``share_on_evidence`` score only those criteria, rescaled to
        the rubric's total; ``share_common_set`` scores the peer group's common set
        (criteria disclosed by at least half the group). ``rank`` ranks the region-years with
        enough evidence within peer group and year by ``points_on_evidence`` (ties share the
        lowest number; null when not ranked); ``rank_change`` (positive: moved up) needs a
        rank in both years. ``points_earned``, ``share`` and the verdict follow the rubric's
        missing policy (under ``zero`` an undisclosed figure scores 0; ``settings.notes``
        says so).

    Raises:
        EvidenceThresholdError: ``min_evidence`` outside [0, 1].

    Examples:
        >>> import polars as pl
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100"], "year": [2023, 2023],
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
        ...     "value": [99.97, 88.0], "unit": ["%"] * 2, "qualifier": ["eq"] * 2,
        ...     "source_id": ["s"] * 2, "quote": [""] * 2})
        >>> result = benchmark(obs, parse_criteria(rubric_raw_example()))
        >>> result.totals.select("region_code", "points_earned", "verdict", "rank").rows()
        [('420300', 10.0, 'pass', 1), ('420100', 0.0, 'fail', 2)]

        A region-year without a disclosed figure for the criterion is not ranked:

        >>> silent = obs.with_columns(value=pl.Series([99.97, None]))
        >>> benchmark(silent, parse_criteria(rubric_raw_example())).totals.select(
        ...     "region_code", "evidence_share", "verdict", "rank").rows()
        [('420300', 1.0, 'pass', 1), ('420100', 0.0, 'insufficient_evidence', None)]
    """
    if not isinstance(criteria, CriteriaSet):
        msg = f"criteria must be a CriteriaSet, got {type(criteria).__name__}"
        raise ArgumentTypeError(
            msg,
            hint="read a file or bundled id with fzcompare.criteria.load_criteria()")

    _check_min_evidence(min_evidence)
    scored = score(observations, criteria, years=_year_list(years), peers=peers,
                   regions=regions_table)
    return with_provenance(result_of(scored, criteria, min_evidence=min_evidence),
                           observations)


def _year_list(years: int | Sequence[int] | None) -> list[int] | None:
    """``years`` as the list ``score`` takes (None: every year present)."""
    if years is None:
        return None
    return [years] if isinstance(years, int) else list(years)


def _check_min_evidence(min_evidence: float | None) -> None:
    if min_evidence is None:
        return
    if (isinstance(min_evidence, bool) or not isinstance(min_evidence, int | float)
            or not 0.0 <= float(min_evidence) <= 1.0):
        msg = f"min_evidence must be a share in [0, 1], found {min_evidence!r}"
        raise EvidenceThresholdError(
            msg,
            hint="e.g. 0.5 ranks region-years whose disclosed figures carry half the points")


def with_provenance(result: BenchmarkResult,
                    observations: pl.DataFrame | pl.LazyFrame) -> BenchmarkResult:
    """``result`` keeping the provenance of ``observations``: its tables get ``synthetic``."""
    provenance, marks = provenance_of(observations)
    return dataclasses.replace(
        result, areas=mark_rows(result.areas, marks), subareas=mark_rows(result.subareas, marks),
        totals=mark_rows(result.totals, marks), provenance=provenance, _marks=marks)


def what_it_would_take(result: BenchmarkResult, *, regions: Sequence[str] | None = None,
                       year: int | None = None, max_combinations: int = 20_000
                       ) -> pl.DataFrame:
    """For regions below the pass line (or vetoed), the smallest set of improvements to pass.

    Region-years with ``insufficient_evidence`` get no plan (it would list every criterion
    they did not report on).

    Candidates are the criteria a region does not fully meet (and missing ones under the
    ``zero`` and ``flag`` policies). The set is the smallest by number of criteria, then by
    total relative effort ``|required - current| / max(|required|, |current|)`` (1.0 when the
    value is missing or a yes/no item is unmet). Failed veto items come first: they must be
    met whatever the points. Points are re-added with the rubric's rescaling and bonus caps.
    Among sets of the smallest size, every combination is tried when there are at most
    ``max_combinations``; otherwise a swap search starts from the highest-gain set
    (``exact`` is then False).

    Returns:
        One row per step: ``region_code, year, step, kind`` (veto, improve, evidence),
        ``criterion_id, indicator_code, current_value, required_value, relative_effort,
        points_gained, cumulative_points, reaches_pass_line, exact``.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420100"], "year": [2023],
        ...     "indicator_code": ["gov_service_online_rate"], "scope": ["全市"],
        ...     "value": [88.0], "unit": ["%"], "qualifier": ["eq"], "source_id": ["s"],
        ...     "quote": [""]})
        >>> steps = what_it_would_take(benchmark(obs, parse_criteria(rubric_raw_example())))
        >>> steps.select("criterion_id", "required_value", "points_gained").rows()
        [('A1.1', 90.0, 10.0)]
    """
    if regions is not None or year is not None:
        _, checked, years = check_filters(result.totals.lazy(), regions=regions,
                                          years=None if year is None else [year],
                                          regions_table=load_regions())
        regions, year = checked, (None if years is None else years[0])
    return improvements(result, regions=regions, year=year, max_combinations=max_combinations)


@renamed_arguments(year="years", regions="regions_table")
def compare_editions(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria_a: CriteriaSet,
    criteria_b: CriteriaSet,
    *,
    years: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions_table: pl.DataFrame | None = None,
    min_evidence: float | None = None,
) -> pl.DataFrame:
    """Score the same data against two rubrics (editions or versions) and explain changes.

    ``min_evidence`` (default: each rubric's own) is passed to both scorings, as in
    ``benchmark``.

    Criteria are matched by id. The ``reason`` of a region whose verdict changes names the
    veto items that start or stop failing, a change of pass line, and the criteria whose
    points moved most (with their threshold or points change, or "only in A/B").

    Returns:
        ``region_code, year, verdict_a, verdict_b, share_a, share_b, changed, reason``
        (``reason`` null when the verdict did not change).

    Examples:
        >>> import polars as pl
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> a = parse_criteria(rubric_raw_example())
        >>> raw_b = rubric_raw_example()
        >>> raw_b["areas"][0]["criteria"][0]["threshold"] = 85
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420100"], "year": [2023],
        ...     "indicator_code": ["gov_service_online_rate"], "scope": ["全市"],
        ...     "value": [88.0], "unit": ["%"], "qualifier": ["eq"], "source_id": ["s"],
        ...     "quote": [""]})
        >>> compare_editions(obs, a, parse_criteria(raw_b))["reason"][0]
        'fail -> pass; share 0.0% -> 100.0%; A1.1 online services +10 pts (threshold 90 -> 85)'
    """
    _check_min_evidence(min_evidence)
    wanted = _year_list(years)
    result_a = result_of(score(observations, criteria_a, years=wanted, peers=peers,
                               regions=regions_table), criteria_a, min_evidence=min_evidence)
    result_b = result_of(score(observations, criteria_b, years=wanted, peers=peers,
                               regions=regions_table), criteria_b, min_evidence=min_evidence)
    return editions(result_a, result_b)


@renamed_arguments(year="years", regions="regions_table")
def composite(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria: CriteriaSet,
    *,
    normalisation: str = "goalposts",
    aggregation: str = "arithmetic",
    years: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions_table: pl.DataFrame | None = None,
) -> CompositeResult:
    """Composite scores over the rubric's scored criteria, weighted by their points.

    Normalisations (see ``NORMALISATIONS``) map each criterion's value to [0, 1] (z-score:
    unbounded) with the criterion's direction (``>=`` higher is better, ``<=`` lower is
    better, ``==``/``between`` closer is better, ``exists`` yes = 1). ``goalposts`` and
    ``distance_to_target`` use only the rubric, so adding a region changes no other region's
    score; ``minmax`` and ``zscore`` use the year's scored regions. Missing values are left
    out and the weights rescaled (the ``rubric`` normalisation follows the rubric's
    missing-data policies instead). Arithmetic: ``100 * sum(w u) / sum(w)``; geometric:
    ``prod((1 + 99 u) ** (w / sum(w)))`` (values shifted to [1, 100] so a zero does not wipe
    out the score; not defined for z-scores). Veto and bonus items are left out.

    Raises:
        ValueError: Unknown normalisation or aggregation, or geometric with z-scores.
        CriteriaError: ``goalposts`` asked but a criterion has no goalposts.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"], "year": [2023],
        ...     "indicator_code": ["gov_service_online_rate"], "scope": ["全市"],
        ...     "value": [92.5], "unit": ["%"], "qualifier": ["eq"], "source_id": ["s"],
        ...     "quote": [""]})
        >>> composite(obs, parse_criteria(rubric_raw_example())).scores["score"].to_list()
        [50.0]
    """
    scored = score(observations, criteria, years=_year_list(years), peers=peers,
                   regions=regions_table, previous=False)
    result = composite_scores(scored, criteria, normalisation=normalisation,
                              aggregation=aggregation)
    provenance, marks = provenance_of(observations)
    return dataclasses.replace(result, scores=mark_rows(result.scores, marks),
                               normalised=mark_rows(result.normalised, marks),
                               provenance=provenance)


@renamed_arguments(year="years", regions="regions_table")
def rank_robustness(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria: CriteriaSet,
    *,
    draws: int = 1000,
    weight_spread: float = 0.25,
    normalisations: Sequence[str] = NORMALISATIONS,
    aggregations: Sequence[str] = AGGREGATIONS,
    seed: int = 0,
    years: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions_table: pl.DataFrame | None = None,
) -> RobustnessResult:
    """Median rank and 5-95 % rank interval of each region under uncertain choices.

    Each draw multiplies every criterion's weight by an independent factor uniform in
    ``[1 - weight_spread, 1 + weight_spread]`` and picks one (normalisation, aggregation)
    pair uniformly from the valid pairs (geometric z-scores are skipped). The nominal rank uses
    the rubric's weights with the first normalisation and aggregation listed (by default the
    rubric's own scoring summed arithmetically, which is the rubric's rank when it has no
    bonus items). Ranks are within peer group and year, ties sharing the lowest number;
    percentiles interpolate linearly.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100"], "year": [2023, 2023],
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
        ...     "value": [99.0, 80.0], "unit": ["%"] * 2, "qualifier": ["eq"] * 2,
        ...     "source_id": ["s"] * 2, "quote": [""] * 2})
        >>> r = rank_robustness(obs, parse_criteria(rubric_raw_example()), draws=50)
        >>> r.ranks.select("region_code", "nominal_rank", "rank_p95").rows()
        [('420300', 1, 1.0), ('420100', 2, 2.0)]
    """
    scored = score(observations, criteria, years=_year_list(years), peers=peers,
                   regions=regions_table, previous=False)
    result = robustness(scored, criteria, draws=draws, weight_spread=weight_spread,
                        normalisations=tuple(normalisations),
                        aggregations=tuple(aggregations), seed=seed)
    provenance, marks = provenance_of(observations)
    return dataclasses.replace(result, ranks=mark_rows(result.ranks, marks),
                               provenance=provenance)
