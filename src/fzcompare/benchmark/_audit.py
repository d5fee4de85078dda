"""Rubric audit: saturation, correlations, effective weights, Cronbach's alpha, redundancy.

Everything is computed on one year's points earned (criteria x regions) with numpy; a
criterion left out by the ``rescale`` policy (NaN) is left out of the statistics that use it
(pairwise-complete correlations; complete cases for Cronbach's alpha).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from fzcompare.benchmark._result import BenchmarkResult
from fzcompare.benchmark._score import EPS, FloatArray
from fzcompare.benchmark._stats_result import AuditResult
from fzcompare.errors import InvalidArgumentError

SATURATED_SHARE: Final[float] = 0.9
"""A criterion where this share of regions or more sits at full (or at zero) marks."""
REDUNDANT_R: Final[float] = 0.9
WEIGHT_GAP: Final[float] = 0.5
"""Effective weight below half or above 1.5 times the nominal weight is reported."""
LOW_ALPHA: Final[float] = 0.5


def pairwise_corr(x: FloatArray, y: FloatArray) -> FloatArray:
    """Pearson correlation of every column of ``x`` with every column of ``y`` (NaN-aware).

    Each pair uses the rows where both are present; NaN when fewer than 3 rows or a
    constant column.
    """
    mx, my = (~np.isnan(x)).astype(np.float64), (~np.isnan(y)).astype(np.float64)
    x0, y0 = np.nan_to_num(x), np.nan_to_num(y)
    n = mx.T @ my
    with np.errstate(divide="ignore", invalid="ignore"):
        sx, sy = x0.T @ my, mx.T @ y0
        sxx, syy = (x0 * x0).T @ my, mx.T @ (y0 * y0)
        sxy = x0.T @ y0
        cov = sxy - sx * sy / n
        vx, vy = sxx - sx * sx / n, syy - sy * sy / n
        r = cov / np.sqrt(vx * vy)
    ok = (n >= 3) & (vx > EPS) & (vy > EPS)
    return np.where(ok, np.clip(r, -1.0, 1.0), np.nan)


def cronbach_alpha(items: FloatArray) -> float:
    """Cronbach's alpha of the columns of ``items`` over complete rows (NaN if undefined).

    ``alpha = k / (k - 1) * (1 - sum(var(item)) / var(sum of items))`` with sample variances.
    """
    rows = items[~np.isnan(items).any(axis=1)]
    k = rows.shape[1]
    if k < 2 or rows.shape[0] < 3:
        return float("nan")
    total_var = float(rows.sum(axis=1).var(ddof=1))
    if total_var <= EPS:
        return float("nan")
    return float(k / (k - 1) * (1 - rows.var(axis=0, ddof=1).sum() / total_var))


def _effective_weights(points: FloatArray, total: FloatArray) -> FloatArray:
    """``cov(x_i, total) / var(total)`` per column: they sum to 1 when total = sum x_i."""
    rows = ~np.isnan(total)
    x = np.nan_to_num(points[rows])
    t = total[rows]
    if t.size < 2 or t.var() <= EPS:
        return np.full(points.shape[1], np.nan)
    centred = t - t.mean()
    out: FloatArray = ((x - x.mean(axis=0)).T @ centred) / (centred @ centred)
    return out


def _findings(table: pl.DataFrame, areas: pl.DataFrame, redundant: pl.DataFrame) -> list[str]:
    found: list[str] = []
    for cid, full, zero in table.filter(pl.col("saturated")).select(
            "criterion_id", "share_full", "share_zero").iter_rows():
        where = f"{full:.0%} at full marks" if full >= zero else f"{zero:.0%} at zero"
        found.append(f"{cid} hardly discriminates: {where}")
    gaps = table.filter((pl.col("effective_weight") < WEIGHT_GAP * pl.col("nominal_weight"))
                        | (pl.col("effective_weight")
                           > (2 - WEIGHT_GAP) * pl.col("nominal_weight")))
    for cid, eff, nom in gaps.select("criterion_id", "effective_weight",
                                     "nominal_weight").iter_rows():
        found.append(f"{cid} carries {eff:.1%} of the total's variance against a nominal "
                     f"weight of {nom:.1%}")
    for aid, alpha in areas.filter(pl.col("cronbach_alpha") < LOW_ALPHA).select(
            "area_id", "cronbach_alpha").iter_rows():
        found.append(f"area {aid}: Cronbach's alpha {alpha:.2f} (its criteria measure "
                     "different things, or little)")
    for a, b, r in redundant.iter_rows():
        found.append(f"{a} and {b} are nearly redundant (r = {r:.2f})")
    return found or ["no saturated, mis-weighted, incoherent or redundant criteria found"]


def audit(result: BenchmarkResult, *, year: int | None = None) -> AuditResult:
    """Audit a rubric on one year's scores: which criteria discriminate, how much each weighs.

    Per scored criterion (bonus and veto items left out): the share of regions at full and
    at zero marks (``saturated`` when either reaches 90 %), Pearson correlations with its
    area's points and with the total, the nominal weight (its points / all points) and the
    effective weight ``cov(x_i, total) / var(total)`` (the share of the total's variance it
    carries; the effective weights sum to 1 when the total is the plain sum). Per area:
    Cronbach's alpha over complete rows. Pairs with ``|r| > 0.9`` are listed as nearly
    redundant. Regions of every peer group of the year are pooled.

    Args:
        result: A ``benchmark`` result.
        year: The year to audit (default: the latest scored).

    Raises:
        ValueError: The year was not scored, or fewer than 3 regions were.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.benchmark import benchmark
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> report = audit(benchmark(obs, parse_criteria(rubric_raw_example())))
        >>> report.criteria.select("criterion_id", "share_full", "effective_weight").rows()
        [('A1.1', 0.6666666666666666, 1.0)]
    """
    years = list(result.settings.years)
    if not years:
        msg = "the result holds no scored year to audit"
        raise InvalidArgumentError(msg,
                                   hint="score at least one year with benchmark()")
    if year is None:
        year = max(years)
    elif year not in years:
        msg = f"year {year} was not scored"
        raise InvalidArgumentError(msg,
                                   hint=f"scored years: {', '.join(map(str, years))}")
    rubric = result.rubric
    crit = rubric.criteria
    n = crit.height
    table = result.criteria_for(years=year)
    earned = table["points_earned"].cast(pl.Float64).fill_null(np.nan).to_numpy().reshape(-1, n)
    keys = table.select("region_code").gather_every(n) if n else table.select("region_code")
    totals = keys.join(result.totals.filter(pl.col("year") == year), on="region_code",
                       how="left", maintain_order="left")
    total = totals["points_earned"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    scored = np.flatnonzero((~crit["rule"].is_in(["bonus", "veto"]) & (crit["points"] > 0))
                            .to_numpy())
    if earned.shape[0] < 3 or not scored.size:
        msg = (
            f"an audit needs at least 3 scored regions in {year}; "
                                   f"found {earned.shape[0]}"
        )
        raise InvalidArgumentError(msg,
                                   hint="audit a year or peer set with more regions")
    points = crit["points"].to_numpy()[scored]
    x = earned[:, scored]
    area_ids = crit["area_id"].to_numpy()[scored]
    area_names = list(dict.fromkeys(area_ids.tolist()))
    area_sum = np.column_stack([np.nansum(x[:, area_ids == a], axis=1) for a in area_names])
    r_area_all = pairwise_corr(x, area_sum)
    area_col = np.array([area_names.index(a) for a in area_ids])
    present = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_full = ((x >= points - EPS) & present).sum(axis=0) / present.sum(axis=0)
        share_zero = ((x <= EPS) & present).sum(axis=0) / present.sum(axis=0)
    criteria = pl.DataFrame({
        "criterion_id": crit["criterion_id"].to_numpy()[scored],
        "area_id": area_ids,
        "nominal_weight": points / points.sum(),
        "effective_weight": _effective_weights(x, total),
        "share_full": share_full,
        "share_zero": share_zero,
        "saturated": (share_full >= SATURATED_SHARE) | (share_zero >= SATURATED_SHARE),
        "r_area": r_area_all[np.arange(scored.size), area_col],
        "r_total": pairwise_corr(x, total[:, None])[:, 0],
        "n": present.sum(axis=0).astype(np.int32),
    }, schema_overrides={"criterion_id": pl.String(), "area_id": pl.String()}).with_columns(
        pl.col(pl.Float64).fill_nan(None))
    areas = pl.DataFrame({
        "area_id": area_names,
        "n_criteria": [int((area_ids == a).sum()) for a in area_names],
        "cronbach_alpha": [cronbach_alpha(x[:, area_ids == a]) for a in area_names],
        "n": [int((~np.isnan(x[:, area_ids == a])).all(axis=1).sum()) for a in area_names],
    }, schema_overrides={"n_criteria": pl.Int32(), "n": pl.Int32()}).with_columns(
        pl.col("cronbach_alpha").fill_nan(None))
    r = pairwise_corr(x, x)
    i, j = np.nonzero(np.triu(np.abs(np.nan_to_num(r)) > REDUNDANT_R, k=1))
    ids = crit["criterion_id"].to_numpy()[scored]
    redundant = pl.DataFrame({"criterion_a": ids[i], "criterion_b": ids[j], "r": r[i, j]},
                             schema={"criterion_a": pl.String(), "criterion_b": pl.String(),
                                     "r": pl.Float64()})
    return AuditResult(criteria=criteria, areas=areas, redundant=redundant,
                       findings=tuple(_findings(criteria, areas, redundant)), year=year,
                       criteria_id=rubric.id)
