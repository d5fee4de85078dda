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

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from fzcompare.criteria import CriteriaSet

if TYPE_CHECKING:
    import pandas as pd

    from fzcompare._benchmark_score import Peers, Scored

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

NORMALISATIONS: Final[tuple[str, ...]] = ("rubric", "goalposts", "minmax", "zscore",
                                          "distance_to_target")
"""``rubric``: points earned / possible under the rubric's rules; ``goalposts``: fixed
[low, high] per criterion (sample-independent); ``minmax`` and ``zscore``: over the year's
scored regions; ``distance_to_target``: value / threshold, capped at 1."""
AGGREGATIONS: Final[tuple[str, ...]] = ("arithmetic", "geometric")

CRITERIA_COLUMNS: Final[tuple[str, ...]] = (
    "region_code", "year", "peer_group", "area_id", "area_name", "subarea_id", "subarea_name",
    "criterion_id", "criterion_name", "indicator_code", "scope", "scope_used", "rule",
    "comparator", "threshold", "threshold_high", "value", "qualifier", "unit", "status",
    "points_possible", "points_earned", "gap", "required_value", "missing_policy",
    "threshold_source",
)
AREA_COLUMNS: Final[tuple[str, ...]] = (
    "region_code", "year", "peer_group", "area_id", "area_name", "points_possible",
    "points_earned", "bonus_points", "share",
)
SUBAREA_COLUMNS: Final[tuple[str, ...]] = (
    "region_code", "year", "peer_group", "area_id", "subarea_id", "subarea_name",
    "points_possible", "points_earned", "bonus_points", "share",
)
TOTAL_COLUMNS: Final[tuple[str, ...]] = (
    "region_code", "year", "peer_group", "points_possible", "points_earned", "bonus_points",
    "share", "verdict", "vetoed_by", "rank", "prev_rank", "rank_change", "n_missing",
    "points_earned_max",
)


@dataclass(frozen=True)
class BenchmarkSettings:
    """What a benchmark run used.

    Attributes:
        criteria_id: The rubric's id.
        criteria_version: The rubric's version.
        criteria_edition: The rubric's edition or year.
        criteria_sha256: SHA-256 of the rubric file's content.
        criteria_path: The rubric file (or ``<dict>`` for an in-memory rubric).
        years: The years scored.
        peers: How peer groups were formed.
        missing_policy: The rubric's default missing-data policy, with per-criterion overrides.
        pass_points: The pass line in points.
        total_points: Points possible (bonus items excluded).
        normalisation: How criterion values become points (``rubric``: the rubric's rules).
        aggregation: How points are combined (``arithmetic``: sums with rescaling).

    Examples:
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> settings = benchmark(obs, parse_criteria(rubric_raw_example())).settings
        >>> settings.criteria_id, settings.years, settings.pass_points, settings.total_points
        ('example', (2023,), 6.0, 10.0)
        >>> settings.as_dict()["years"]  # JSON-ready: a list, not a tuple
        [2023]
    """

    criteria_id: str
    criteria_version: str
    criteria_edition: str
    criteria_sha256: str
    criteria_path: str
    years: tuple[int, ...]
    peers: str
    missing_policy: str
    pass_points: float
    total_points: float
    normalisation: str = "rubric"
    aggregation: str = "arithmetic"

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (JSON-ready)."""
        data = asdict(self)
        data["years"] = list(self.years)
        return data


def _summary_counts(totals: pl.DataFrame) -> str:
    counts = dict(totals.group_by("verdict").len().iter_rows())
    return ", ".join(f"{v} {counts[v]}" for v in ("pass", "fail", "vetoed", "missing_evidence")
                     if v in counts)


def _html_block(title: str, lines: Sequence[str], table: pl.DataFrame) -> str:
    import html

    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f"<div><strong>{html.escape(title)}</strong><ul>{items}</ul>"
            f"{table._repr_html_()}</div>")


@dataclass(frozen=True)
class BenchmarkResult:
    """Scores of regions against a rubric.

    Attributes:
        criteria: One row per region x year x criterion (value, status, points, gap ...),
            ordered by year, region and the rubric's criterion order. Built on first use
            (it has regions x years x criteria rows); ``criteria_for`` builds only a part.
        areas: One row per region x year x first-level area.
        subareas: One row per region x year x second-level area (empty without sub-areas).
        totals: One row per region x year: points, verdict, rank within the peer group.
        settings: What was used (``BenchmarkSettings``).
        rubric: The criteria set scored against.

    Examples:
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> result = benchmark(obs, parse_criteria(rubric_raw_example()))  # >= 90 % passes
        >>> result
        BenchmarkResult(example v1, years 2023: 3 region-years, 1 peer groups; pass 2, fail 1)
        >>> for row in result.criteria.select("region_code", "value", "status",
        ...                                   "points_earned").rows():
        ...     print(*row)
        420100 80.0 not_met 0.0
        420300 99.0 met 10.0
        420500 92.0 met 10.0
        >>> result.to_polars().select("region_code", "verdict", "rank").rows()
        [('420300', 'pass', 1), ('420500', 'pass', 1), ('420100', 'fail', 3)]
    """

    areas: pl.DataFrame
    subareas: pl.DataFrame
    totals: pl.DataFrame
    settings: BenchmarkSettings
    rubric: CriteriaSet
    _scored: Scored = field(repr=False, compare=False)

    @functools.cached_property
    def criteria(self) -> pl.DataFrame:
        """One row per region x year x criterion, for every year scored."""
        return self.criteria_for()

    def criteria_for(self, *, years: int | Sequence[int] | None = None,
                     regions: Sequence[str] | None = None) -> pl.DataFrame:
        """The criterion table for some years or regions only, without building the rest.

        Args:
            years: Keep these years (default: every year scored).
            regions: Keep these region codes (default: every region scored).

        Examples:
            >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
            >>> obs = pl.DataFrame({
            ...     "region_code": ["420300", "420300"], "year": [2022, 2023],
            ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
            ...     "value": [80.0, 99.0], "unit": ["%"] * 2, "qualifier": ["eq"] * 2,
            ...     "source_id": ["s"] * 2, "quote": [""] * 2})
            >>> result = benchmark(obs, parse_criteria(rubric_raw_example()))
            >>> result.criteria_for(years=2023).select("year", "value", "status").rows()
            [(2023, 99.0, 'met')]
        """
        from fzcompare._benchmark_tables import criteria_table

        asked = list(self.settings.years)
        wanted = asked if years is None else [
            y for y in ([years] if isinstance(years, int) else years) if y in asked]
        if isinstance(regions, str):
            raise TypeError("regions= takes a list of region codes, not one string")
        if "criteria" in self.__dict__:  # already built: a filter is cheaper
            built: pl.DataFrame = self.__dict__["criteria"]
            table = built.filter(pl.col("year").is_in(wanted))
            return table if regions is None else table.filter(
                pl.col("region_code").is_in(list(regions)))
        return criteria_table(self._scored, self.rubric, years=wanted, regions=regions)

    def __repr__(self) -> str:
        years = ", ".join(str(y) for y in self.settings.years)
        return (f"BenchmarkResult({self.settings.criteria_id} v{self.settings.criteria_version}"
                f", years {years or '-'}: {self.totals.height} region-years, "
                f"{self.totals['peer_group'].n_unique()} peer groups; "
                f"{_summary_counts(self.totals) or 'nothing scored'})")

    def _repr_html_(self) -> str:
        s = self.settings
        lines = [f"rubric {s.criteria_id} v{s.criteria_version} (sha256 {s.criteria_sha256[:12]})",
                 f"years {', '.join(str(y) for y in s.years)}; peers {s.peers}",
                 f"pass line {s.pass_points:g} of {s.total_points:g} points; "
                 f"missing data: {s.missing_policy}",
                 _summary_counts(self.totals) or "nothing scored"]
        return _html_block("BenchmarkResult", lines, self.totals.head(10))

    def to_polars(self) -> pl.DataFrame:
        """The totals table."""
        return self.totals

    def to_pandas(self) -> pd.DataFrame:
        """The totals table as pandas."""
        return self.totals.to_pandas()


def benchmark(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria: CriteriaSet,
    *,
    year: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions: pl.DataFrame | None = None,
) -> BenchmarkResult:
    """Score observations against a rubric.

    Every (region, year) present in ``observations`` is scored against every criterion (for
    the rubric's ``levels`` only). A criterion with ``scope: whole`` reads the region's
    whole-jurisdiction figure (全市 for a prefecture, 全县 for a county, 全省, 全国); codes
    starting ``unmapped_`` are never scored. A qualified value counts as its number: ``ge 80``
    (80 以上) counts as 80 and ``gt 99`` as 99; the qualifier stays in the ``qualifier`` column.

    Args:
        observations: The observation table (``fzcompare.schema``), eager or lazy.
        criteria: The rubric (``fzcompare.criteria.load_criteria``).
        year: Score only this year (or these years); the year before is scored too, for
            ``prev_rank``. Default: every year present.
        peers: None: peer groups by the rubric's rule; a list of region codes: only these
            regions, grouped by the rule; a mapping or a frame ``region_code, peer_group``:
            explicit groups (only regions named are scored).
        regions: Regions table (``region_code, level, parent_code``) for regions whose level
            or parent the code alone does not tell (e.g. ``fzcompare.store.dataset_regions``).

    Returns:
        A ``BenchmarkResult``; ``totals.rank`` is the rank within peer group and year by
        points earned (ties share the lowest rank number), ``rank_change`` is positive when a
        region moved up since the year before.

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
    """
    if not isinstance(criteria, CriteriaSet):
        raise TypeError("criteria must be a CriteriaSet; read a file or bundled id with "
                        "fzcompare.criteria.load_criteria()")
    from fzcompare._benchmark_score import score
    from fzcompare._benchmark_tables import result_of

    years = [year] if isinstance(year, int) else (list(year) if year is not None else None)
    scored = score(observations, criteria, years=years, peers=peers, regions=regions)
    return result_of(scored, criteria)


def what_it_would_take(result: BenchmarkResult, *, regions: Sequence[str] | None = None,
                       year: int | None = None, max_combinations: int = 20_000
                       ) -> pl.DataFrame:
    """For regions below the pass line (or vetoed), the smallest set of improvements to pass.

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
    from fzcompare._benchmark_explain import improvements

    return improvements(result, regions=regions, year=year, max_combinations=max_combinations)


def compare_editions(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria_a: CriteriaSet,
    criteria_b: CriteriaSet,
    *,
    year: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Score the same data against two rubrics (editions or versions) and explain changes.

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
    from fzcompare._benchmark_explain import editions
    from fzcompare._benchmark_score import score
    from fzcompare._benchmark_tables import result_of

    years = [year] if isinstance(year, int) else (list(year) if year is not None else None)
    result_a = result_of(score(observations, criteria_a, years=years, peers=peers,
                               regions=regions), criteria_a)
    result_b = result_of(score(observations, criteria_b, years=years, peers=peers,
                               regions=regions), criteria_b)
    return editions(result_a, result_b)


@dataclass(frozen=True)
class CompositeResult:
    """Composite-indicator scores under one normalisation and aggregation.

    Attributes:
        scores: ``region_code, year, peer_group, score, rank, coverage`` (coverage: share of
            the weight with data).
        normalised: One row per region x year x criterion: ``value`` and ``normalised``.
        weights: ``criterion_id, indicator_code, weight`` (the rubric's points), plus the
            goalposts used.
        settings: ``normalisation``, ``aggregation``, the rubric id/version/sha256 and years.

    Examples:
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> result = composite(obs, parse_criteria(rubric_raw_example()), normalisation="minmax")
        >>> result
        CompositeResult(example v1, minmax + arithmetic: 3 region-years, 1 criteria)
        >>> [(code, round(score, 1), rank) for code, score, rank in
        ...  result.to_polars().select("region_code", "score", "rank").rows()]
        [('420300', 100.0, 1), ('420500', 63.2, 2), ('420100', 0.0, 3)]
    """

    scores: pl.DataFrame
    normalised: pl.DataFrame
    weights: pl.DataFrame
    settings: dict[str, Any]

    def __repr__(self) -> str:
        s = self.settings
        return (f"CompositeResult({s['criteria_id']} v{s['criteria_version']}, "
                f"{s['normalisation']} + {s['aggregation']}: {self.scores.height} region-years,"
                f" {self.weights.height} criteria)")

    def _repr_html_(self) -> str:
        s = self.settings
        lines = [f"rubric {s['criteria_id']} v{s['criteria_version']}",
                 f"normalisation {s['normalisation']}, aggregation {s['aggregation']}"]
        return _html_block("CompositeResult", lines, self.scores.head(10))

    def to_polars(self) -> pl.DataFrame:
        """The scores table."""
        return self.scores

    def to_pandas(self) -> pd.DataFrame:
        """The scores table as pandas."""
        return self.scores.to_pandas()


def composite(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria: CriteriaSet,
    *,
    normalisation: str = "goalposts",
    aggregation: str = "arithmetic",
    year: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions: pl.DataFrame | None = None,
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
    from fzcompare._benchmark_composite import composite_scores
    from fzcompare._benchmark_score import score

    years = [year] if isinstance(year, int) else (list(year) if year is not None else None)
    scored = score(observations, criteria, years=years, peers=peers, regions=regions,
                   previous=False)
    return composite_scores(scored, criteria, normalisation=normalisation,
                            aggregation=aggregation)


@dataclass(frozen=True)
class RobustnessResult:
    """Ranks under Monte Carlo draws of weights and normalisation/aggregation choices.

    Attributes:
        ranks: ``region_code, year, peer_group, nominal_rank, median_rank, rank_p05,
            rank_p95`` (ranks within peer group and year; 1 is best).
        settings: Draws, weight spread, seed, the choices drawn from and the nominal ones.

    Examples:
        Shiyan and Yichang tie under the rubric (both pass its one criterion); over other
        normalisations Yichang's lower value costs it a place:

        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> result = rank_robustness(obs, parse_criteria(rubric_raw_example()), draws=50)
        >>> result
        RobustnessResult(example: 50 draws, weight spread 0.25, 3 region-years)
        >>> result.to_polars().select("region_code", "nominal_rank", "median_rank").rows()
        [('420300', 1, 1.0), ('420500', 1, 2.0), ('420100', 3, 3.0)]
    """

    ranks: pl.DataFrame
    settings: dict[str, Any]

    def __repr__(self) -> str:
        s = self.settings
        return (f"RobustnessResult({s['criteria_id']}: {s['draws']} draws, weight spread "
                f"{s['weight_spread']:g}, {self.ranks.height} region-years)")

    def _repr_html_(self) -> str:
        s = self.settings
        lines = [f"rubric {s['criteria_id']} v{s['criteria_version']}; {s['draws']} draws, "
                 f"weight spread {s['weight_spread']:g}, seed {s['seed']}",
                 "normalisations " + ", ".join(s["normalisations"]) + "; aggregations "
                 + ", ".join(s["aggregations"])]
        return _html_block("RobustnessResult", lines, self.ranks.head(10))

    def to_polars(self) -> pl.DataFrame:
        """The ranks table."""
        return self.ranks

    def to_pandas(self) -> pd.DataFrame:
        """The ranks table as pandas."""
        return self.ranks.to_pandas()


def rank_robustness(
    observations: pl.DataFrame | pl.LazyFrame,
    criteria: CriteriaSet,
    *,
    draws: int = 1000,
    weight_spread: float = 0.25,
    normalisations: Sequence[str] = NORMALISATIONS,
    aggregations: Sequence[str] = AGGREGATIONS,
    seed: int = 0,
    year: int | Sequence[int] | None = None,
    peers: Peers = None,
    regions: pl.DataFrame | None = None,
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
    from fzcompare._benchmark_composite import robustness
    from fzcompare._benchmark_score import score

    years = [year] if isinstance(year, int) else (list(year) if year is not None else None)
    scored = score(observations, criteria, years=years, peers=peers, regions=regions,
                   previous=False)
    return robustness(scored, criteria, draws=draws, weight_spread=weight_spread,
                      normalisations=tuple(normalisations), aggregations=tuple(aggregations),
                      seed=seed)
