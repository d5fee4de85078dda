"""Funnel plot: a rate against its denominator for a peer group, with control limits.

Following Spiegelhalter (2005), "Funnel plots for comparing institutional performance",
Statistics in Medicine 24: 1185-1202: the target is the group rate ``p0 = sum(k) / sum(n)``
and each denominator ``n`` gets limits that a region with ``n`` cases and the group's true
rate would fall outside with probability 5 % (95 % limits, about 2 standard errors) or
0.2 % (99.8 %, about 3). ``method="binomial"`` (default) gives exact binomial limits with
Spiegelhalter's interpolation between whole counts; ``"normal"`` the normal approximation
``p0 ± z sqrt(p0 (1 - p0) / n)``, clipped to [0, 100].
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from fzcompare.catalog import Catalog
from fzcompare.charts._common import cap_at_100
from fzcompare.charts._labels import Namer, check_lang, is_synthetic, safe_text
from fzcompare.charts._style import (
    BLUE,
    FIG_WIDTH,
    GREY,
    INK,
    MUTED,
    ORANGE,
    VERMILLION,
    chart_context,
    finish,
    new_figure,
)
from fzcompare.errors import ChartError, InvalidArgumentError
from fzcompare.trends._intervals import rate_intervals

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FUNNEL_LEVELS", "funnel_limits", "funnel_plot", "funnel_table"]

FUNNEL_LEVELS: Final[tuple[float, float]] = (0.95, 0.998)
"""The two control-limit levels drawn (Spiegelhalter 2005)."""

_TEXT: Final[dict[str, dict[str, str]]] = {
    "zh": {"title": "{indicator} 漏斗图 · {year}", "x": "分母（件）", "y": "比率（%）",
           "group": "组内总体比率 {rate:.1f}%", "l95": "95% 控制限", "l998": "99.8% 控制限",
           "note": "控制限：{method}（Spiegelhalter 2005）；超出 99.8% 控制限的地区已标注。",
           "p_within": "地区：在 95% 控制限内", "p_95": "超出 95% 控制限",
           "p_998": "超出 99.8% 控制限"},
    "en": {"title": "{indicator}: funnel plot, {year}", "x": "denominator (cases)",
           "y": "rate (%)", "group": "group rate {rate:.1f}%", "l95": "95% limits",
           "l998": "99.8% limits",
           "note": "Limits: {method} (Spiegelhalter 2005); regions beyond 99.8% are labelled.",
           "p_within": "region within 95% limits", "p_95": "beyond 95% limits",
           "p_998": "beyond 99.8% limits"},
}
_METHODS: Final[dict[str, dict[str, str]]] = {
    "binomial": {"zh": "精确二项分布", "en": "exact binomial"},
    "normal": {"zh": "正态近似", "en": "normal approximation"},
}


def funnel_limits(group_rate: float, denominators: Iterable[float], *,
                  levels: Sequence[float] = FUNNEL_LEVELS,
                  method: str = "binomial") -> pl.DataFrame:
    """Control limits (percent) around ``group_rate`` (percent) for each denominator.

    Args:
        group_rate: The target rate in percent (the peer group's pooled rate).
        denominators: Denominators (positive).
        levels: Two-sided coverage of each pair of limits.
        method: ``binomial`` (exact, interpolated) or ``normal``.

    Returns:
        ``denominator, level, low, high``, one row per denominator and level.

    Examples:
        >>> limits = funnel_limits(10.0, [100], method="normal", levels=[0.95])
        >>> [round(v, 2) for v in limits.select("low", "high").row(0)]
        [4.12, 15.88]
    """
    if method not in _METHODS:
        msg = f"unknown funnel method {method!r}"
        raise InvalidArgumentError(msg,
                                   hint="use 'binomial' or 'normal'", argument="method")
    p0 = float(group_rate) / 100.0
    if not 0.0 <= p0 <= 1.0:
        msg = f"group_rate must be in [0, 100], got {group_rate!r}"
        raise InvalidArgumentError(msg,
                                   hint="give the rate in percent", argument="group_rate")
    n = np.asarray(list(denominators), dtype=np.float64)
    if n.size and (n <= 0).any():
        msg = "denominators must be positive"
        raise InvalidArgumentError(msg, argument="denominators",
                                   hint="leave out regions with no cases")
    # heavy (scipy): imported when limits are computed
    from scipy.stats import norm

    frames = []
    for level in levels:
        tail = (1.0 - float(level)) / 2.0
        if method == "normal":
            half = norm.ppf(1.0 - tail) * np.sqrt(p0 * (1.0 - p0) / n)
            low, high = np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)
        else:
            low, high = _binomial_limit(p0, n, tail), _binomial_limit(p0, n, 1.0 - tail)
        frames.append(pl.DataFrame({"denominator": n, "level": np.full(n.size, float(level)),
                                    "low": 100.0 * low, "high": 100.0 * high}))
    return pl.concat(frames)


def _binomial_limit(p0: float, n: np.ndarray, prob: float) -> np.ndarray:
    """Spiegelhalter's interpolated binomial quantile, as a proportion of ``n``."""
    from scipy.stats import binom  # heavy (scipy): imported when limits are computed

    whole = np.round(n)
    r = binom.ppf(prob, whole, p0)
    upper_cdf = binom.cdf(r, whole, p0)
    lower_cdf = binom.cdf(r - 1, whole, p0)
    step = upper_cdf - lower_cdf
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(step > 0, (upper_cdf - prob) / step, 0.0)
    return np.asarray(np.clip((r - alpha) / whole, 0.0, 1.0), dtype=np.float64)


def funnel_table(observations: pl.DataFrame, *, indicator: str, year: int,
                 peer_regions: Iterable[str] | None = None, scope: str | None = None,
                 method: str = "binomial", catalog: Catalog | None = None) -> pl.DataFrame:
    """The funnel plot's points: each region's counts, rate and where it falls.

    Returns:
        ``region_code, scope, numerator, denominator, rate, group_rate, low_95, high_95,
        low_998, high_998, position`` where ``position`` is ``within``, ``above_95``,
        ``below_95``, ``above_998`` or ``below_998`` (the outermost limit crossed).

    Raises:
        ChartError: No region has usable counts, or several scopes and none chosen.
    """
    table = rate_intervals(observations, indicators=[indicator], catalog=catalog).table
    points = table.filter((pl.col("year") == year) & pl.col("reason").is_null())
    if peer_regions is not None:
        points = points.filter(pl.col("region_code").is_in(list(peer_regions)))
    scopes = points.get_column("scope").unique().sort().to_list()
    if scope is not None:
        points = points.filter(pl.col("scope") == scope)
    elif len(scopes) > 1:
        msg = f"funnel_plot: {indicator} {year} has several scopes: {scopes}"
        raise ChartError(msg,
                         hint=f"pass scope=, e.g. scope={scopes[0]!r}")
    if points.height == 0:
        msg = f"funnel_plot: no region has both counts of {indicator} in {year}"
        raise ChartError(msg,
                         hint="the numerator and denominator observations must be present")
    points = points.select("region_code", "scope", "numerator", "denominator", "rate")
    p0 = 100.0 * float(points["numerator"].sum()) / float(points["denominator"].sum())
    limits = funnel_limits(p0, points["denominator"], method=method)
    wide = {f"{side}_{tag}": limits.filter(pl.col("level") == level)[side].to_numpy()
            for level, tag in zip(FUNNEL_LEVELS, ("95", "998"), strict=True)
            for side in ("low", "high")}
    out = points.with_columns(pl.lit(p0).alias("group_rate"),
                              *[pl.Series(k, v) for k, v in wide.items()])
    rate = pl.col("rate")
    return out.with_columns(
        pl.when(rate > pl.col("high_998")).then(pl.lit("above_998"))
        .when(rate < pl.col("low_998")).then(pl.lit("below_998"))
        .when(rate > pl.col("high_95")).then(pl.lit("above_95"))
        .when(rate < pl.col("low_95")).then(pl.lit("below_95"))
        .otherwise(pl.lit("within")).alias("position")).sort("region_code")


def funnel_plot(
    observations: pl.DataFrame,
    *,
    indicator: str,
    year: int,
    peer_regions: Iterable[str] | None = None,
    scope: str | None = None,
    method: str = "binomial",
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
    catalog: Catalog | None = None,
) -> Figure:
    """Funnel plot of a catalog rate (纠错率, 败诉率, 调解率, 出庭应诉率 …) for a peer group.

    Each region is a point at (denominator, rate); the horizontal line is the group rate,
    the dashed and solid curves its 95 % and 99.8 % control limits (``funnel_limits``).
    Points beyond 95 % are orange, beyond 99.8 % vermillion and labelled with the
    region's name. The synthetic mark is drawn when the observations say so.

    Args:
        observations: Observations holding the rate's numerator and denominator counts.
        indicator: The rate (a catalog ``ratio`` target).
        year: The year.
        peer_regions: The peer group (default every region with counts).
        scope: The scope (needed when several are present).
        method: ``binomial`` (exact) or ``normal`` limits.
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides.
        title: Figure title.
        synthetic: Force the synthetic-data mark.
        catalog: Catalog (default the bundled one).

    Returns:
        The figure.

    Examples:
        >>> import polars as pl
        >>> rows = [(r, code, v) for r, k, n in [("420302", 5, 50), ("420303", 9, 80),
        ...         ("420304", 40, 120), ("420322", 12, 150)] for code, v in
        ...         [("reconsideration_corrected", k), ("reconsideration_concluded", n)]]
        >>> obs = pl.DataFrame(rows, schema=["region_code", "indicator_code", "value"],
        ...     orient="row").with_columns(scope=pl.lit("全县"), year=pl.lit(2023))
        >>> fig = funnel_plot(obs, indicator="reconsideration_correction_rate", year=2023)
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['郧阳区']
    """
    lang_ = check_lang(lang)
    namer = Namer(lang_, labels)
    points = funnel_table(observations, indicator=indicator, year=year,
                          peer_regions=peer_regions, scope=scope, method=method,
                          catalog=catalog)
    mark = is_synthetic(observations, synthetic)
    p0 = float(points["group_rate"][0])
    n = points["denominator"].to_numpy()
    grid = np.unique(np.round(np.geomspace(max(1.0, n.min() * 0.8), n.max() * 1.1, 160)))
    curve = funnel_limits(p0, grid, method=method)
    words = _TEXT[lang_]
    heading = title or words["title"].format(indicator=namer.indicator(indicator), year=year)
    note = words["note"].format(method=_METHODS[method][lang_])
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 4.2, lang=lang_, title=heading,
                               subtitle=namer.scope(str(points["scope"][0])), notes=[note],
                               synthetic=mark)
        ax = body.add_subplot()
        ax.axhline(p0, color=INK, lw=1.0, label=words["group"].format(rate=p0))
        for level, style, key in ((0.95, "--", "l95"), (0.998, "-", "l998")):
            part = curve.filter(pl.col("level") == level)
            ax.plot(part["denominator"], part["low"], style, color=GREY, lw=1.0,
                    label=words[key])
            ax.plot(part["denominator"], part["high"], style, color=GREY, lw=1.0)
        colour = {"within": BLUE, "above_95": ORANGE, "below_95": ORANGE,
                  "above_998": VERMILLION, "below_998": VERMILLION}
        ax.scatter(points["denominator"], points["rate"], s=22, zorder=3,
                   c=[colour[p] for p in points["position"]], linewidths=0)
        for row in points.filter(pl.col("position").str.ends_with("998")).iter_rows(named=True):
            ax.annotate(safe_text(namer.region(row["region_code"]), 16),
                        (row["denominator"], row["rate"]), xytext=(4, 3),
                        textcoords="offset points", fontsize=7.5, color=MUTED)
        ax.set_xscale("log")
        # heavy: matplotlib loads on the first chart, not on import
        from matplotlib.lines import Line2D
        from matplotlib.ticker import FuncFormatter

        plain = FuncFormatter(lambda v, _pos: f"{v:g}")  # 30, 100, not 3×10¹
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
        ax.tick_params(axis="x", which="minor", labelsize=7.5)
        ax.set_xlabel(words["x"])
        ax.set_ylabel(words["y"])
        cap_at_100(ax)
        handles, names = ax.get_legend_handles_labels()
        for key, color in (("p_within", BLUE), ("p_95", ORANGE), ("p_998", VERMILLION)):
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=5,
                                  color=color))
            names.append(words[key])
        ax.legend(handles, names, loc="upper right", fontsize=7.5)
        return finish(fig)
