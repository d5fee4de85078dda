"""Progress toward targets: the Statistics Canada / Open SDG progress measure.

Each series with a target is placed in one of four categories by comparing its observed
growth since the base year with the growth it needed to reach the target on time; a series
already at its target is ``target_achieved``, one without a target is ``no_target`` (a target
is never invented). Thresholds and the natural-limit rule are in ``docs/statistics.md``.
"""

from __future__ import annotations

import csv
import difflib
import html
import io
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare._display import html_table
from fzcompare._strict_yaml import load_strict
from fzcompare.catalog import Catalog, load_catalog
from fzcompare.errors import ArgumentTypeError, InvalidArgumentError, SchemaError

__all__ = ["PROGRESS_STATUSES", "PROGRESS_THRESHOLDS", "Progress", "Target", "load_targets",
           "progress"]

PROGRESS_STATUSES: Final[tuple[str, ...]] = (
    "target_achieved", "on_track", "acceleration_needed", "limited_progress", "deterioration",
    "no_target", "insufficient_data")
"""Every ``status`` ``progress`` can give."""

PROGRESS_THRESHOLDS: Final[tuple[tuple[float, str], ...]] = (
    (0.95, "on_track"), (0.60, "acceleration_needed"), (0.0, "limited_progress"))
"""Lower bounds of the ratio observed / required growth (Open SDG); below 0: deterioration."""

LIMIT_BAND: Final[float] = 0.5
"""Default distance (in the indicator's unit) from a natural limit that counts as at it."""


@dataclass(frozen=True)
class Target:
    """A target value an indicator should reach by a target year.

    Attributes:
        indicator_code: Catalog code.
        value: Target value, in the indicator's unit.
        year: Year by which it should be reached.
        base_year: Year progress is measured from (default each series' first usable year).
        region_code: Only this region (default every region; a region's own target wins).
        scope: Only this scope (default every scope).
        source: Where the target comes from (e.g. 法治政府建设实施纲要（2021－2025年）).

    Examples:
        >>> Target("gov_service_online_rate", 98.0, 2025).year
        2025
    """

    indicator_code: str
    value: float
    year: int
    base_year: int | None = None
    region_code: str | None = None
    scope: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.value, int | float) or not math.isfinite(self.value):
            msg = (
                f"target {self.indicator_code}: value must be a finite "
                                       f"number, got {self.value!r}"
            )
            raise InvalidArgumentError(msg, hint="e.g. value=98.0",
                                       argument="value")
        if self.base_year is not None and self.base_year >= self.year:
            msg = (
                f"target {self.indicator_code}: base_year {self.base_year} is not before the "
                f"target year {self.year}"
            )
            raise InvalidArgumentError(
                msg, hint="the base year must come first",
                argument="base_year")


@dataclass(frozen=True)
class Progress:
    """Progress of every series toward its target (``progress``).

    Attributes:
        table: One row per series (columns in ``progress``).
        targets: The targets used.
    """

    table: pl.DataFrame
    targets: tuple[Target, ...]

    def to_polars(self) -> pl.DataFrame:
        """The progress table."""
        return self.table

    def __repr__(self) -> str:
        counts = self.table.get_column("status").value_counts(sort=True)
        text = ", ".join(f"{s} {n}" for s, n in counts.iter_rows())
        return f"Progress({self.table.height} series; {text})"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + html_table(self.table, max_rows=20)


_TARGET_FIELDS: Final[tuple[str, ...]] = ("indicator_code", "value", "year")


def _target_of(entry: Mapping[str, Any], where: str, codes: frozenset[str]) -> Target:
    missing = [f for f in _TARGET_FIELDS if entry.get(f) in (None, "")]
    if missing:
        msg = f"{where}: missing {', '.join(missing)}"
        raise SchemaError(msg, reason="missing_column",
                          column=missing[0], hint="each target needs indicator_code, value, year")
    code = str(entry["indicator_code"])
    if code not in codes:
        close = difflib.get_close_matches(code, sorted(codes), n=1)
        msg = f"{where}: unknown indicator_code {code!r}"
        raise SchemaError(msg, reason="unknown_code",
                          column="indicator_code",
                          hint=f"did you mean {close[0]!r}?" if close else "see the catalog")
    try:
        base = entry.get("base_year")
        return Target(indicator_code=code, value=float(entry["value"]), year=int(entry["year"]),
                      base_year=int(base) if base not in (None, "") else None,
                      region_code=str(entry["region_code"]) if entry.get("region_code") else None,
                      scope=str(entry["scope"]) if entry.get("scope") else None,
                      source=str(entry.get("source") or ""))
    except (TypeError, ValueError) as error:
        msg = f"{where}: {error}"
        raise SchemaError(msg, reason="malformed_value",
                          hint="value is a number, year and base_year whole years") from error


def load_targets(path: str | os.PathLike[str], *, catalog: Catalog | None = None
                 ) -> tuple[Target, ...]:
    """Targets from a YAML (a list of mappings, or ``targets:`` holding one) or CSV file.

    Fields: ``indicator_code, value, year`` and optionally ``base_year, region_code, scope,
    source``.

    Raises:
        SchemaError: Unreadable or empty file, or a row with a missing or malformed field
            or an unknown indicator (the message names the file and row).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        msg = f"{file}: cannot read targets: {error}"
        raise SchemaError(msg, reason="unreadable",
                          path=str(file), hint="give a UTF-8 YAML or CSV file") from error
    codes = (catalog if catalog is not None else load_catalog()).codes
    if file.suffix.lower() == ".csv":
        rows: list[Any] = list(csv.DictReader(io.StringIO(text)))
        first = 2  # row 1 is the header
    else:
        raw = load_strict(text)
        rows = raw.get("targets", []) if isinstance(raw, dict) else (raw or [])
        first = 1
    if not isinstance(rows, list) or not rows:
        msg = f"{file}: no targets"
        raise SchemaError(msg, reason="empty", path=str(file),
                          hint="list at least one target: indicator_code, value, year")
    out = []
    for i, row in enumerate(rows, start=first):
        if not isinstance(row, dict):
            msg = f"{file}: row {i}: not a mapping"
            raise SchemaError(msg, reason="malformed_value",
                              path=str(file), hint="each target is indicator_code/value/year")
        out.append(_target_of(row, f"{file}: row {i}", codes))
    return tuple(out)


def _pick_target(targets: list[Target], region: str, scope: str) -> Target | None:
    fitting = [t for t in targets if t.region_code in (None, region) and t.scope in (None, scope)]
    fitting.sort(key=lambda t: (t.region_code is None, t.scope is None))
    return fitting[0] if fitting else None


def _natural_limits(info: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
    """The indicator's natural (minimum, maximum): catalog min/max, 0 and 100 for percent."""
    if info is None:
        return None, None
    percent = info.get("unit") == "%"
    low = info.get("min_value")
    high = info.get("max_value")
    return (float(low) if low is not None else (0.0 if percent else None),
            float(high) if high is not None else (100.0 if percent else None))


def _at_limit(y0: float, y1: float, sign: int, limits: tuple[float | None, float | None],
              band: float) -> bool:
    """At the limit it is striving for, and not fallen back by more than ``band``."""
    limit = limits[1] if sign > 0 else limits[0]
    return limit is not None and abs(limit - y1) <= band and sign * (y1 - y0) >= -band


def _classify(base: tuple[int, float], current: tuple[int, float], target: Target, sign: int,
              limits: tuple[float | None, float | None], band: float) -> dict[str, Any]:
    """Status of one series (see ``progress``)."""
    (t0, y0), (t1, y1) = base, current
    if sign * (y1 - target.value) >= 0:
        return {"status": "target_achieved", "rule": "at_or_beyond_target"}
    if _at_limit(y0, y1, sign, limits, band):
        return {"status": "on_track", "rule": "natural_limit"}
    if y0 > 0 and y1 > 0 and target.value > 0:
        growth = "compound"
        observed = (y1 / y0) ** (1.0 / (t1 - t0)) - 1.0
        required = (target.value / y0) ** (1.0 / (target.year - t0)) - 1.0
    else:
        growth = "linear"
        observed = (y1 - y0) / (t1 - t0)
        required = (target.value - y0) / (target.year - t0)
    out: dict[str, Any] = {"growth": growth, "observed_growth": observed,
                           "required_growth": required}
    if sign * required <= 0:  # the base already met the target; now it does not
        return {**out, "status": "deterioration", "rule": "fell_below_target"}
    ratio = observed / required
    status = next((name for bound, name in PROGRESS_THRESHOLDS if ratio >= bound),
                  "deterioration")
    return {**out, "ratio": ratio, "status": status, "rule": "growth_ratio"}


def _direction_sign(direction: str | None, base: float, target: float) -> int:
    if direction == "higher":
        return 1
    if direction == "lower":
        return -1
    return 1 if target >= base else -1


@renamed_arguments(obs="observations")
def progress(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    targets: Iterable[Target] | str | os.PathLike[str],
    limit_band: float = LIMIT_BAND,
    catalog: Catalog | None = None,
) -> Progress:
    """Progress of each series (region, indicator, scope) toward its target.

    Observed growth from the base year (the target's ``base_year``, else the series' first
    usable year) to the latest usable year is compared with the growth required to reach
    the target by its year, both compound annual rates (``growth="compound"``; absolute
    change per year, ``"linear"``, when a value or the target is not positive). The ratio
    observed / required gives ``on_track`` (>= 0.95), ``acceleration_needed`` (>= 0.60),
    ``limited_progress`` (>= 0) or ``deterioration`` (< 0). A latest value at or beyond
    the target (direction-aware) is ``target_achieved``. Natural limit: a value within
    ``limit_band`` of the limit it strives for (catalog max, 100 for percentages, when
    higher is better; catalog min, 0 for percentages, when lower is better) that has not
    moved away by more than ``limit_band`` since the base is ``on_track``
    (``rule="natural_limit"``: 99.9 % sustained is not stagnation). Qualified values (超过
    …) count as their number. Series without a target: ``no_target``; fewer than
    two usable years from the base: ``insufficient_data``.

    Args:
        observations: Observations.
        targets: ``Target`` objects, or a YAML/CSV file (``load_targets``).
        limit_band: Distance from the natural limit counted as at it, in the unit.
        catalog: Catalog for directions and limits (default the bundled one).

    Returns:
        ``Progress``; its table has ``region_code, indicator_code, scope, base_year,
        base_value, current_year, current_value, target_value, target_year, direction,
        growth, observed_growth, required_growth, ratio, status, rule, target_source``.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420300"] * 2, "scope": ["全市"] * 2,
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "year": [2021, 2023],
        ...     "value": [80.0, 84.0]})
        >>> row = progress(obs, targets=[Target("gov_service_online_rate", 90.0, 2025)]
        ...                ).to_polars().row(0, named=True)
        >>> round(row["ratio"], 3), row["status"]
        (0.826, 'acceleration_needed')
    """
    if isinstance(targets, str | os.PathLike):
        targets = load_targets(targets, catalog=catalog)
    chosen = tuple(targets)
    if not all(isinstance(t, Target) for t in chosen):
        msg = "targets must be Target objects or a file path"
        raise ArgumentTypeError(msg,
                                hint="e.g. targets=[Target('gov_service_online_rate', 98, 2025)]",
                                argument="targets")
    if not isinstance(limit_band, int | float) or limit_band < 0:
        msg = f"limit_band must be >= 0, got {limit_band!r}"
        raise InvalidArgumentError(msg,
                                   hint="e.g. limit_band=0.5", argument="limit_band")
    cat = catalog if catalog is not None else load_catalog()
    frame = observations.collect() if isinstance(observations, pl.LazyFrame) else observations
    needed = ("region_code", "indicator_code", "scope", "year", "value")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = f"observations: missing columns: {', '.join(missing)}"
        raise SchemaError(msg,
                          reason="missing_column", column=missing[0],
                          hint=f"observations need {', '.join(needed)}")
    usable = frame.filter(pl.col("value").is_not_null() & pl.col("value").is_finite()).select(
        *needed).sort("region_code", "indicator_code", "scope", "year")
    by_indicator: dict[str, list[Target]] = {}
    for t in chosen:
        by_indicator.setdefault(t.indicator_code, []).append(t)
    rows = [_series_row(key, group, by_indicator.get(str(key[1]), []), cat, float(limit_band))
            for key, group in usable.group_by("region_code", "indicator_code", "scope",
                                              maintain_order=True)]
    schema = {"region_code": pl.String, "indicator_code": pl.String, "scope": pl.String,
              "base_year": pl.Int32, "base_value": pl.Float64, "current_year": pl.Int32,
              "current_value": pl.Float64, "target_value": pl.Float64, "target_year": pl.Int32,
              "direction": pl.String, "growth": pl.String, "observed_growth": pl.Float64,
              "required_growth": pl.Float64, "ratio": pl.Float64, "status": pl.String,
              "rule": pl.String, "target_source": pl.String}
    table = pl.DataFrame(rows, schema=schema).with_columns(
        pl.col("status").cast(pl.Enum(PROGRESS_STATUSES)))
    return Progress(table=table, targets=chosen)


def _series_row(key: tuple[object, ...], group: pl.DataFrame, targets: list[Target],
                cat: Catalog, band: float) -> dict[str, Any]:
    region, indicator, scope = (str(k) for k in key)
    info = cat.indicator(indicator) if indicator in cat.codes else None
    direction = info.get("direction") if info is not None else None
    row: dict[str, Any] = {"region_code": region, "indicator_code": indicator, "scope": scope,
                           "direction": direction}
    target = _pick_target(targets, region, scope)
    years, values = group.get_column("year").to_list(), group.get_column("value").to_list()
    points = dict(zip(years, values, strict=True))
    if target is None:
        return {**row, "current_year": years[-1], "current_value": values[-1],
                "status": "no_target"}
    base_year = target.base_year if target.base_year is not None else years[0]
    row.update({"target_value": target.value, "target_year": target.year,
                "target_source": target.source, "current_year": years[-1],
                "current_value": values[-1]})
    if base_year not in points or years[-1] <= base_year:
        return {**row, "base_year": base_year, "base_value": points.get(base_year),
                "status": "insufficient_data"}
    base = (int(base_year), float(points[base_year]))
    sign = _direction_sign(direction, base[1], target.value)
    row.update({"base_year": base[0], "base_value": base[1]})
    return {**row, **_classify(base, (int(years[-1]), float(values[-1])), target, sign,
                               _natural_limits(info), band)}
