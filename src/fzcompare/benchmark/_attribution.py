"""Change attribution: a region's score change split by area and criterion.

Under one rubric, a region's total change is the sum of

- each criterion's change of points earned (bonus items before their caps),
- per area an ``adjustment``: the area's change minus its criteria's changes (rescaling over
  left-out criteria, sub-area and area bonus caps), and
- one total ``adjustment``: the total's change minus the areas' changes (rescaling over
  left-out areas, the set-wide bonus cap),

so the parts add up to the total change by construction. When the two years were scored with
different rubric editions, the year before is scored again with the later edition: the
``rubric`` part is the change that re-scoring alone makes, the rest (the performance effect)
is split as above under the later edition; both in percentage points of the total.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare._provenance import Provenance
from fzcompare.benchmark._explain import editions
from fzcompare.benchmark._result import BenchmarkResult
from fzcompare.benchmark._score import score
from fzcompare.benchmark._stats_result import AttributionResult
from fzcompare.benchmark._tables import result_of
from fzcompare.errors import InvalidArgumentError

if TYPE_CHECKING:
    from fzcompare.benchmark._score import FloatArray

_KEY = ["region_code"]


def _year_arrays(result: BenchmarkResult, year: int, codes: list[str]
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Criterion points, area points (with bonus) and totals of ``codes`` in ``year``."""
    rubric = result.rubric
    n = rubric.criteria.height
    order = pl.DataFrame({"region_code": codes})
    crit = result.criteria_for(years=year, regions=codes).select(
        "region_code", "points_earned")
    crit = order.join(crit, on=_KEY, how="left", maintain_order="left")
    earned = crit["points_earned"].fill_null(0.0).to_numpy().reshape(len(codes), n)
    areas = result.areas.filter(pl.col("year") == year)
    area_ids = list(dict.fromkeys(rubric.criteria["area_id"].to_list()))
    wide = order.join(areas.pivot(on="area_id", index="region_code", values="points_earned"),
                      on=_KEY, how="left", maintain_order="left")
    area = np.column_stack([wide[a].fill_null(0.0).to_numpy() if a in wide.columns
                            else np.zeros(len(codes)) for a in area_ids])
    totals = order.join(result.totals.filter(pl.col("year") == year).select(
        "region_code", "points_earned"), on=_KEY, how="left", maintain_order="left")
    return (np.asarray(earned, dtype=np.float64), np.asarray(area, dtype=np.float64),
            totals["points_earned"].cast(pl.Float64).to_numpy())


def _parts(result: BenchmarkResult, year_from: int, year_to: int, codes: list[str],
           start: BenchmarkResult, scale: float) -> tuple[pl.DataFrame, FloatArray]:
    """Criterion and adjustment parts of each region's change, ``start`` giving year_from."""
    rubric = result.rubric
    c1, a1, t1 = _year_arrays(start, year_from, codes)
    c2, a2, t2 = _year_arrays(result, year_to, codes)
    crit_area = rubric.criteria["area_id"].to_list()
    area_ids = list(dict.fromkeys(crit_area))
    one_hot = np.zeros((len(crit_area), len(area_ids)))
    one_hot[np.arange(len(crit_area)), [area_ids.index(a) for a in crit_area]] = 1.0
    d_crit = (c2 - c1) * scale
    d_area_adjust = (a2 - a1) * scale - d_crit @ one_hot
    d_total = (t2 - t1) * scale
    d_total_adjust = d_total - d_crit.sum(axis=1) - d_area_adjust.sum(axis=1)
    k, m, r = len(crit_area), len(area_ids), len(codes)
    ids = rubric.criteria["criterion_id"].to_list()
    kind = ["criterion"] * k + ["adjustment"] * m + ["adjustment"]
    area_col: list[str | None] = [*crit_area, *area_ids, None]
    crit_col: list[str | None] = [*ids, *([None] * m), None]
    frm = np.column_stack([c1 * scale, a1 * scale - (c1 * scale) @ one_hot,
                           np.full(r, np.nan)])
    to = np.column_stack([c2 * scale, a2 * scale - (c2 * scale) @ one_hot,
                          np.full(r, np.nan)])
    contribution = np.column_stack([d_crit, d_area_adjust, d_total_adjust])
    width = k + m + 1
    parts = pl.DataFrame({
        "region_code": np.repeat(np.array(codes, dtype=object), width),
        "kind": kind * r, "area_id": area_col * r, "criterion_id": crit_col * r,
        "points_from": frm.ravel(), "points_to": to.ravel(),
        "contribution": contribution.ravel(),
    }, schema_overrides={"region_code": pl.String(), "kind": pl.String(),
                         "area_id": pl.String(), "criterion_id": pl.String()}
    ).with_columns(pl.col("points_from", "points_to").fill_nan(None))
    return parts, np.column_stack([t1 * scale, t2 * scale])


def _common_regions(a: BenchmarkResult, year_a: int, b: BenchmarkResult,
                    year_b: int) -> list[str]:
    def scored(result: BenchmarkResult, year: int) -> pl.DataFrame:
        return result.totals.filter((pl.col("year") == year)
                                    & pl.col("points_earned").is_not_null()).select(_KEY)

    return sorted(scored(a, year_a).join(scored(b, year_b), on=_KEY)["region_code"].to_list())


@renamed_arguments(regions="regions_table")
def change_attribution(result_from: BenchmarkResult, result_to: BenchmarkResult | None = None,
                       *, year_from: int | None = None, year_to: int | None = None,
                       observations: pl.DataFrame | pl.LazyFrame | None = None,
                       regions_table: pl.DataFrame | None = None) -> AttributionResult:
    """Split each region's score change between two years by area and criterion.

    The parts are each criterion's change of points earned, one ``adjustment`` per area
    (rescaling over left-out criteria and bonus caps) and one for the total; they add up to
    the total change. When the two results use different rubrics (editions), the earlier
    year is scored again with the later rubric: the ``rubric`` part (``rubric_effect``) is
    the change that re-scoring alone makes, the rest (``performance_effect``) is split as
    above under the later rubric, all in percentage points of the total.

    Args:
        result_from: The earlier year's result (or one result holding both years).
        result_to: The later year's result (default: ``result_from``).
        year_from: The earlier year (default: the latest scored year before ``year_to``).
        year_to: The later year (default: the latest year of ``result_to``).
        observations: Needed when the rubrics differ, to score the earlier year again.
        regions_table: Regions table for that re-scoring (as for ``benchmark``).

    Raises:
        ValueError: Fewer than two years, or different rubrics without ``observations``.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.benchmark import benchmark
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420300"], "year": [2022, 2023],
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
        ...     "value": [80.0, 99.0], "unit": ["%"] * 2, "qualifier": ["eq"] * 2,
        ...     "source_id": ["s"] * 2, "quote": [""] * 2})
        >>> parts = change_attribution(benchmark(obs, parse_criteria(rubric_raw_example())))
        >>> parts.parts.select("kind", "criterion_id", "contribution").rows()
        [('criterion', 'A1.1', 10.0), ('adjustment', None, 0.0), ('adjustment', None, 0.0)]
    """
    later = result_to if result_to is not None else result_from
    years_from, years_to = list(result_from.settings.years), list(later.settings.years)
    if year_to is None:
        year_to = max(years_to) if years_to else None
    if year_from is None:
        earlier = [y for y in years_from if year_to is None or y < year_to]
        year_from = max(earlier) if earlier else None
    if year_from is None or year_to is None or year_from not in years_from \
            or year_to not in years_to:
        msg = (
            f"change_attribution needs two scored years; from holds {years_from}, to holds "
            f"{years_to} (asked {year_from} -> {year_to})"
        )
        raise InvalidArgumentError(
            msg,
            hint="score both years (benchmark(..., years=[y - 1, y])) or pass two results")
    same = result_from.rubric.sha256 == later.rubric.sha256
    start, rubric_effect, reasons = result_from, None, None
    if not same:
        if observations is None:
            msg = "the two results use different rubrics"
            raise InvalidArgumentError(
                msg,
                hint="pass observations= so that the earlier year can be scored with the "
                "later edition")
        start, rubric_effect, reasons = _rescored(result_from, later, year_from,
                                                  observations, regions_table)
    codes = _common_regions(result_from, year_from, later, year_to)
    scale = 1.0 if same else 100.0 / later.rubric.total_points
    parts, ends = _parts(later, year_from, year_to, codes, start, scale)
    frame = pl.DataFrame({"region_code": codes}, schema={"region_code": pl.String()})
    if not same and rubric_effect is not None:
        effect = frame.join(rubric_effect, on=_KEY, how="left", maintain_order="left")
        total_from = effect["share_a"].to_numpy() * 100.0
        rubric_rows = effect.select(
            "region_code", pl.lit("rubric").alias("kind"),
            pl.lit(None, dtype=pl.String()).alias("area_id"),
            pl.lit(None, dtype=pl.String()).alias("criterion_id"),
            (pl.col("share_a") * 100).alias("points_from"),
            (pl.col("share_b") * 100).alias("points_to"),
            ((pl.col("share_b") - pl.col("share_a")) * 100).alias("contribution"))
        parts = pl.concat([rubric_rows, parts]).sort("region_code", maintain_order=True)
    else:
        total_from = ends[:, 0]
    total_to = ends[:, 1]
    performance = ends[:, 1] - ends[:, 0]
    totals = frame.with_columns(
        pl.Series("total_from", total_from), pl.Series("total_to", total_to),
        pl.Series("total_change", total_to - total_from),
        pl.Series("rubric_effect", total_to * 0.0 if same else
                  (ends[:, 0] - total_from)),
        pl.Series("performance_effect", performance))
    if reasons is not None:
        totals = totals.join(reasons, on=_KEY, how="left", maintain_order="left")
    years = [pl.lit(year_from, dtype=pl.Int32).alias("year_from"),
             pl.lit(year_to, dtype=pl.Int32).alias("year_to")]
    parts = parts.with_columns(years).select(
        "region_code", "year_from", "year_to", pl.exclude("region_code", "year_from",
                                                          "year_to"))
    totals = totals.with_columns(years).select(
        "region_code", "year_from", "year_to", pl.exclude("region_code", "year_from",
                                                          "year_to"))
    marks = _synthetic_marks(result_from, year_from, later, year_to)
    parts = _named(parts, later).join(marks, on=_KEY, how="left", maintain_order="left")
    totals = totals.join(marks, on=_KEY, how="left", maintain_order="left")
    a, b = result_from.rubric, later.rubric
    return AttributionResult(parts=parts, totals=totals,
                             unit="points" if same else "share points",
                             editions=(f"{a.id} v{a.version}", f"{b.id} v{b.version}"),
                             provenance=_joint_provenance(result_from.provenance,
                                                          later.provenance))


def _named(parts: pl.DataFrame, rubric_of: BenchmarkResult) -> pl.DataFrame:
    """``parts`` with ``area_name``, ``criterion_name`` and ``indicator_code`` of the rubric."""
    criteria = rubric_of.rubric.criteria
    areas = criteria.select("area_id", "area_name").unique("area_id", maintain_order=True)
    names = criteria.select("criterion_id", "criterion_name", "indicator_code")
    named = (parts.join(areas, on="area_id", how="left", maintain_order="left")
             .join(names, on="criterion_id", how="left", maintain_order="left"))
    first = ["region_code", "year_from", "year_to", "kind", "area_id", "area_name", "criterion_id",
             "criterion_name", "indicator_code"]
    return named.select(*first, pl.exclude(first))


def _synthetic_marks(a: BenchmarkResult, year_a: int, b: BenchmarkResult,
                     year_b: int) -> pl.DataFrame:
    """``region_code, synthetic``: true when either year's scores came from synthetic data."""
    def marks(result: BenchmarkResult, year: int) -> pl.DataFrame:
        totals = result.totals.filter(pl.col("year") == year)
        flag = (pl.col("synthetic").fill_null(value=False) if "synthetic" in totals.columns
                else pl.lit(result.provenance.synthetic))
        return totals.select(pl.col("region_code").cast(pl.String), flag.alias("synthetic"))

    both = pl.concat([marks(a, year_a), marks(b, year_b)])
    return both.group_by("region_code").agg(pl.col("synthetic").any())


def _joint_provenance(a: Provenance, b: Provenance) -> Provenance:
    """The source kinds of both results; the dataset version when they agree."""
    version = a.dataset_version if a.dataset_version == b.dataset_version else None
    return Provenance(a.source_kinds | b.source_kinds, version)


def _rescored(result_from: BenchmarkResult, later: BenchmarkResult, year: int,
              observations: pl.DataFrame | pl.LazyFrame, regions: pl.DataFrame | None
              ) -> tuple[BenchmarkResult, pl.DataFrame, pl.DataFrame]:
    """The earlier year under the later edition, the rubric effect and compare_editions."""
    rescored = result_of(score(observations, later.rubric, years=[year], peers=None,
                               regions=regions), later.rubric)
    original = result_of(score(observations, result_from.rubric, years=[year], peers=None,
                               regions=regions), result_from.rubric)
    compared = editions(original, rescored)  # what compare_editions reports
    effect = compared.select("region_code", "share_a", "share_b")
    reasons = compared.select("region_code", pl.col("reason").alias("rubric_reason"))
    return rescored, effect, reasons
