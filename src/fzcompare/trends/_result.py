"""The result types of ``fzcompare.trends``: ``Tolerance``, ``TrendsResult``, ``SeriesModel``."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from fzcompare._display import html_table
from fzcompare._provenance import Provenance
from fzcompare.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Tolerance:
    """How small a change still counts as ``unchanged``.

    A change is ``unchanged`` when ``|value - prev_value| <= max(absolute,
    relative * |prev_value|)``. The default relative tolerance only absorbs floating-point
    noise (from multiplying out 万/亿).

    Args:
        absolute: In the indicator's unit (percentage points for rates).
        relative: As a fraction of the previous value (0.01 = 1 %).

    Examples:
        >>> Tolerance(absolute=0.5)
        Tolerance(absolute=0.5, relative=1e-09)
    """

    absolute: float = 0.0
    relative: float = 1e-9

    def __post_init__(self) -> None:
        for name in ("absolute", "relative"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or math.isnan(value) or value < 0:
                msg = f"Tolerance.{name} must be a number >= 0, got {value!r}"
                raise InvalidArgumentError(msg,
                                           hint="use 0 or more", argument=name)


def _escape(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _verdict_counts(summary: pl.DataFrame) -> str:
    counts = summary.get_column("verdict").value_counts(sort=True)
    return ", ".join(f"{v} {n}" for v, n in counts.iter_rows())


@dataclass(frozen=True)
class TrendsResult:
    """Everything ``analyze`` computes; ``to_polars()`` is the summary table.

    Attributes:
        summary: ``summarize`` table (one row per observation).
        changes: ``year_over_year`` table.
        series: ``trend`` table (one row per series).
        significance: ``change_significance`` table, or None when not requested.
        dispersion: ``dispersion`` table.
        convergence: ``convergence`` table.
        outlook: ``outlook`` table, or None when not requested.
        confidence: Confidence level used.
        tolerance: Tolerance used for verdicts.
        provenance: The source kinds of the observations analysed (``Provenance``).

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 4, "indicator_code": ["gov_service_online_rate"] * 4,
        ...     "scope": ["全市"] * 4, "year": [2020, 2021, 2022, 2023],
        ...     "value": [80.0, 84.0, 90.0, 92.0]})
        >>> from fzcompare.trends import analyze
        >>> result = analyze(obs)
        >>> result
        TrendsResult(4 observations in 1 series; verdicts: improved 3, not comparable 1; ...)
        >>> result.to_polars().select("year", "verdict", "n_points").rows()[-1]
        (2023, 'improved', 4)
        >>> result.outlook is None, result.convergence["sigma_reason"][0]
        (True, 'too_few_years')
    """

    summary: pl.DataFrame = field(repr=False)
    changes: pl.DataFrame = field(repr=False)
    series: pl.DataFrame = field(repr=False)
    significance: pl.DataFrame | None = field(repr=False)
    dispersion: pl.DataFrame = field(repr=False)
    convergence: pl.DataFrame = field(repr=False)
    outlook: pl.DataFrame | None = field(repr=False)
    confidence: float = 0.95
    tolerance: Tolerance = field(default_factory=Tolerance)
    provenance: Provenance = field(default=Provenance(), compare=False)

    def to_polars(self) -> pl.DataFrame:
        """The summary table."""
        return self.summary

    def to_pandas(self) -> pd.DataFrame:
        """The summary table as pandas."""
        return self.summary.to_pandas()

    def _headline(self) -> str:
        return (f"{self.summary.height} observations in {self.series.height} series; "
                f"verdicts: {_verdict_counts(self.summary) or 'none'}")

    def __repr__(self) -> str:
        extras = [name for name in ("significance", "outlook") if getattr(self, name) is None]
        skipped = f"; not computed: {', '.join(extras)}" if extras else ""
        return f"TrendsResult({self._headline()}; confidence {self.confidence}{skipped})"

    def _repr_html_(self) -> str:
        return (f"<div><p><b>TrendsResult</b>: {_escape(self._headline())}</p>"
                f"{html_table(self.summary, max_rows=10)}</div>")


@dataclass(frozen=True)
class SeriesModel:
    """One series in detail; ``ols`` is the statsmodels ``RegressionResults`` (or None).

    Attributes:
        region_code: The series' region.
        indicator_code: The series' indicator.
        scope: The series' scope.
        points: Its ``year_over_year`` rows.
        trend: Its one-row ``trend`` table.
        outlook: Its one-row ``outlook`` table.
        ols: statsmodels OLS of value on year over the usable points (None below 3 points
            or with mixed units).

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 4, "indicator_code": ["gov_service_online_rate"] * 4,
        ...     "scope": ["全市"] * 4, "year": [2020, 2021, 2022, 2023],
        ...     "value": [80.0, 84.0, 90.0, 92.0]})
        >>> from fzcompare.trends import series_model
        >>> model = series_model(obs, region="420300", indicator="gov_service_online_rate",
        ...                      scope="全市")
        >>> model
        SeriesModel(420300 gov_service_online_rate 全市: 4 points, slope 4.2/yr (p=0.0155), ...)
        >>> model.to_polars()["verdict"].to_list()
        ['not comparable', 'improved', 'improved', 'improved']
        >>> round(float(model.ols.rsquared), 3)
        0.969
    """

    region_code: str
    indicator_code: str
    scope: str
    points: pl.DataFrame = field(repr=False)
    trend: pl.DataFrame = field(repr=False)
    outlook: pl.DataFrame = field(repr=False)
    ols: Any = field(repr=False, default=None)

    def to_polars(self) -> pl.DataFrame:
        """The series' year-over-year rows."""
        return self.points

    def to_pandas(self) -> pd.DataFrame:
        """The series' year-over-year rows as pandas."""
        return self.points.to_pandas()

    def _headline(self) -> str:
        row = self.trend.row(0, named=True)

        def fmt(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.4g}"

        return (f"{self.region_code} {self.indicator_code} {self.scope}: "
                f"{row['n_points']} points, slope {fmt(row['slope'])}/yr "
                f"(p={fmt(row['slope_p'])}), Mann-Kendall tau {fmt(row['mk_tau'])} "
                f"(p={fmt(row['mk_p'])})")

    def __repr__(self) -> str:
        return f"SeriesModel({self._headline()})"

    def _repr_html_(self) -> str:
        return (f"<div><p><b>SeriesModel</b>: {_escape(self._headline())}</p>"
                f"{html_table(self.points, max_rows=20)}</div>")
