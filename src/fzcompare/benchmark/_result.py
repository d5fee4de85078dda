"""The result types of ``fzcompare.benchmark`` and their settings.

A leaf module: it imports no other ``fzcompare.benchmark`` module, so the scoring modules can
build these types without importing the public functions back.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

import polars as pl

from fzcompare._display import html_table
from fzcompare._provenance import Provenance, mark_rows
from fzcompare.criteria import CriteriaSet
from fzcompare.errors import ArgumentTypeError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AGGREGATIONS",
    "AREA_COLUMNS",
    "CRITERIA_COLUMNS",
    "NORMALISATIONS",
    "SUBAREA_COLUMNS",
    "TOTAL_COLUMNS",
    "VERDICTS",
    "BenchmarkResult",
    "BenchmarkSettings",
    "CompositeResult",
    "CompositeSettings",
    "CriteriaTableBuilder",
    "RobustnessResult",
    "RobustnessSettings",
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
    "share", "evidence_share", "points_on_evidence", "share_on_evidence", "share_common_set",
    "verdict", "vetoed_by", "rank", "prev_rank", "rank_change", "n_missing",
    "n_not_applicable", "points_earned_max",
)
VERDICTS: Final[tuple[str, ...]] = ("pass", "fail", "vetoed", "missing_evidence",
                                    "insufficient_evidence")
"""``insufficient_evidence``: less than ``min_evidence`` of the points possible have a
disclosed figure, so the region-year is not ranked."""

class CriteriaTableBuilder(Protocol):
    """Builds the criterion-level table of a scored run for some years and regions."""

    def __call__(self, *, years: Sequence[int], regions: Sequence[str] | None
                 ) -> pl.DataFrame:
        """The criterion rows of ``years`` (and ``regions``, all when None)."""
        ...


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
        min_evidence: The evidence share below which a region-year is not ranked.
        rank_basis: What ranks are computed from.
        notes: Statements a summary of the result must carry (e.g. that undisclosed figures
            score zero under ``missing_policy: zero``).

    Examples:
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> from fzcompare.benchmark import benchmark
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
    min_evidence: float = 0.5
    rank_basis: str = "points_on_evidence"
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (JSON-ready)."""
        data = asdict(self)
        data["years"] = list(self.years)
        data["notes"] = list(self.notes)
        return data


def _summary_counts(totals: pl.DataFrame) -> str:
    counts = dict(totals.group_by("verdict").len().iter_rows())
    return ", ".join(f"{v} {counts[v]}" for v in VERDICTS if v in counts)


def _html_block(title: str, lines: Sequence[str], table: pl.DataFrame) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f"<div><strong>{html.escape(title)}</strong><ul>{items}</ul>"
            f"{html_table(table)}</div>")


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
        common_set: One row per peer group x year x criterion: how many of the group's
            regions disclosed its figure and whether it is in the group's common set.

    Examples:
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> from fzcompare.benchmark import benchmark
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
    _criteria_table: CriteriaTableBuilder = field(repr=False, compare=False)
    common_set: pl.DataFrame = field(default_factory=pl.DataFrame, repr=False, compare=False)
    provenance: Provenance = field(default=Provenance(), compare=False)
    """The source kinds of the observations scored (``Provenance``)."""
    _marks: pl.DataFrame | None = field(default=None, repr=False, compare=False)

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
            >>> from fzcompare.benchmark import benchmark
            >>> result = benchmark(obs, parse_criteria(rubric_raw_example()))
            >>> result.criteria_for(years=2023).select("year", "value", "status").rows()
            [(2023, 99.0, 'met')]
        """
        asked = list(self.settings.years)
        wanted = asked if years is None else [
            y for y in ([years] if isinstance(years, int) else years) if y in asked]
        if isinstance(regions, str):
            msg = "regions= takes a list of region codes, not one string"
            raise ArgumentTypeError(msg,
                                    hint=f"pass a list, e.g. regions=[{regions!r}]")
        if "criteria" in self.__dict__:  # already built: a filter is cheaper
            built: pl.DataFrame = self.__dict__["criteria"]
            table = built.filter(pl.col("year").is_in(wanted))
            return table if regions is None else table.filter(
                pl.col("region_code").is_in(list(regions)))
        table = self._criteria_table(years=wanted, regions=regions)
        return table if self._marks is None else mark_rows(table, self._marks)

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
                 f"ranked on {s.rank_basis} when evidence covers at least "
                 f"{s.min_evidence:.0%} of the points",
                 *s.notes,
                 _summary_counts(self.totals) or "nothing scored"]
        return _html_block("BenchmarkResult", lines, self.totals.head(10))

    def to_polars(self) -> pl.DataFrame:
        """The totals table."""
        return self.totals

    def to_pandas(self) -> pd.DataFrame:
        """The totals table as pandas."""
        return self.totals.to_pandas()


@dataclass(frozen=True)
class CompositeSettings:
    """What a composite run used.

    Attributes:
        criteria_id: The rubric's id.
        criteria_version: The rubric's version.
        criteria_sha256: SHA-256 of the rubric file's content.
        years: The years scored.
        peers: How peer groups were formed.
        normalisation: One of ``NORMALISATIONS``.
        aggregation: One of ``AGGREGATIONS``.
        missing: How missing values were treated.
    """

    criteria_id: str
    criteria_version: str
    criteria_sha256: str
    years: tuple[int, ...]
    peers: str
    normalisation: str
    aggregation: str
    missing: str

    def as_dict(self) -> dict[str, object]:
        """The settings as a plain dict (JSON-ready: tuples become lists)."""
        return _json_ready(asdict(self))


@dataclass(frozen=True)
class RobustnessSettings:
    """What a rank-robustness run used.

    Attributes:
        criteria_id: The rubric's id.
        criteria_version: The rubric's version.
        criteria_sha256: SHA-256 of the rubric file's content.
        years: The years scored.
        peers: How peer groups were formed.
        draws: Monte Carlo draws.
        weight_spread: Each weight is multiplied by uniform(1 - spread, 1 + spread).
        seed: The random seed.
        normalisations: The normalisations drawn from.
        aggregations: The aggregations drawn from.
        combinations: The valid ``normalisation+aggregation`` pairs drawn from.
        nominal: The pair the nominal rank uses.
        weights: How weights were drawn, in words.
    """

    criteria_id: str
    criteria_version: str
    criteria_sha256: str
    years: tuple[int, ...]
    peers: str
    draws: int
    weight_spread: float
    seed: int
    normalisations: tuple[str, ...]
    aggregations: tuple[str, ...]
    combinations: tuple[str, ...]
    nominal: str
    weights: str

    def as_dict(self) -> dict[str, object]:
        """The settings as a plain dict (JSON-ready: tuples become lists)."""
        return _json_ready(asdict(self))


def _json_ready(data: dict[str, Any]) -> dict[str, object]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


@dataclass(frozen=True)
class CompositeResult:
    """Composite-indicator scores under one normalisation and aggregation.

    Attributes:
        scores: ``region_code, year, peer_group, score, rank, coverage`` (coverage: share of
            the weight with data).
        normalised: One row per region x year x criterion: ``value`` and ``normalised``.
        weights: ``criterion_id, indicator_code, weight`` (the rubric's points), plus the
            goalposts used.
        settings: What was used (``CompositeSettings``).

    Examples:
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> from fzcompare.benchmark import composite
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
    settings: CompositeSettings
    provenance: Provenance = field(default=Provenance(), compare=False)
    """The source kinds of the observations scored (``Provenance``)."""

    def __repr__(self) -> str:
        s = self.settings
        return (f"CompositeResult({s.criteria_id} v{s.criteria_version}, "
                f"{s.normalisation} + {s.aggregation}: {self.scores.height} region-years,"
                f" {self.weights.height} criteria)")

    def _repr_html_(self) -> str:
        s = self.settings
        lines = [f"rubric {s.criteria_id} v{s.criteria_version}",
                 f"normalisation {s.normalisation}, aggregation {s.aggregation}"]
        return _html_block("CompositeResult", lines, self.scores.head(10))

    def to_polars(self) -> pl.DataFrame:
        """The scores table."""
        return self.scores

    def to_pandas(self) -> pd.DataFrame:
        """The scores table as pandas."""
        return self.scores.to_pandas()


@dataclass(frozen=True)
class RobustnessResult:
    """Ranks under Monte Carlo draws of weights and normalisation/aggregation choices.

    Attributes:
        ranks: ``region_code, year, peer_group, nominal_rank, median_rank, rank_p05,
            rank_p95`` (ranks within peer group and year; 1 is best).
        settings: What was used (``RobustnessSettings``).

    Examples:
        Shiyan and Yichang tie under the rubric (both pass its one criterion); over other
        normalisations Yichang's lower value costs it a place:

        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> from fzcompare.benchmark import rank_robustness
        >>> result = rank_robustness(obs, parse_criteria(rubric_raw_example()), draws=50)
        >>> result
        RobustnessResult(example: 50 draws, weight spread 0.25, 3 region-years)
        >>> result.to_polars().select("region_code", "nominal_rank", "median_rank").rows()
        [('420300', 1, 1.0), ('420500', 1, 2.0), ('420100', 3, 3.0)]
    """

    ranks: pl.DataFrame
    settings: RobustnessSettings
    provenance: Provenance = field(default=Provenance(), compare=False)
    """The source kinds of the observations scored (``Provenance``)."""

    def __repr__(self) -> str:
        s = self.settings
        return (f"RobustnessResult({s.criteria_id}: {s.draws} draws, weight spread "
                f"{s.weight_spread:g}, {self.ranks.height} region-years)")

    def _repr_html_(self) -> str:
        s = self.settings
        lines = [f"rubric {s.criteria_id} v{s.criteria_version}; {s.draws} draws, "
                 f"weight spread {s.weight_spread:g}, seed {s.seed}",
                 "normalisations " + ", ".join(s.normalisations) + "; aggregations "
                 + ", ".join(s.aggregations)]
        return _html_block("RobustnessResult", lines, self.ranks.head(10))

    def to_polars(self) -> pl.DataFrame:
        """The ranks table."""
        return self.ranks

    def to_pandas(self) -> pd.DataFrame:
        """The ranks table as pandas."""
        return self.ranks.to_pandas()
