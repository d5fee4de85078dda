"""Seeded synthetic observation panels: a small Hubei demo and a large national benchmark panel.

Every number made here is invented. The panels carry one source row of kind ``synthetic``
whose title says so, and every observation names that source, so synthetic figures can
never pass as real ones.

How the numbers are made (the same for both panels):

* Each region draws a baseline quality, a size and a yearly trend; each indicator draws a
  level, a sensitivity to quality, a trend and per-region idiosyncrasies.
* Rates, ranks and statuses follow a latent score ``z`` mapped into the catalog's typical
  range (``direction`` decides whether a higher score means a higher or a lower value).
  Each region's distance from the common path shrinks by 15 % a year, so dispersion
  across regions falls over time (sigma convergence).
* Counts and amounts sit log-linearly in the typical range by region size; county-level
  divisions are scaled down.
* Catalog relations hold exactly: for ``le`` the numerator is drawn as a share of the
  denominator (never above it); for ``ratio`` the numerator is drawn from the denominator
  through the target rate's typical range, and the target is then computed as
  ``(100 * numerator / denominator).round(2)`` (polars rounding) from the generated counts.
* In every year, ``GAP_SHARE`` of the region-indicator cells are left out (gaps), chosen
  by the seed, so trend series meet gaps.

Draws come from separate seeded streams for regions, for each indicator (keyed by its code)
and for gaps, so adding an indicator to the catalog does not change the others' values.
"""

from __future__ import annotations

import difflib
import html
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl

from fzcompare._display import html_table
from fzcompare._synthetic_sparse import hide_figures, report_sources
from fzcompare.catalog import REGION_SCHEMA, Catalog, load_catalog, load_regions
from fzcompare.errors import CatalogError, FzcompareError, InvalidArgumentError
from fzcompare.schema import OBSERVATION_SCHEMA, SOURCE_SCHEMA

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    FloatArray = npt.NDArray[np.float64]

__all__ = ["DEMO_SEED", "GAP_SHARE", "SyntheticPanel", "demo_panel", "national_panel"]

DEMO_SEED: Final[int] = 20231
"""The seed of the committed demo dataset (``datasets/demo``)."""

GAP_SHARE: Final[float] = 0.025
"""Share of region-year-indicator cells left out of every synthetic panel."""

DEMO_YEARS: Final[range] = range(2019, 2025)
_DEMO_PROVINCE: Final[str] = "420000"
_DEMO_COUNTY_PARENT: Final[str] = "420300"

_COUNTY_SCALE: Final[float] = 0.15
"""Counts and amounts of a county-level division relative to a prefecture's."""
_CONVERGENCE: Final[float] = 0.15
"""Yearly shrink of each region's distance from the common path of a latent score."""
_NOISE: Final[float] = 0.1
_DEFAULT_COUNT_RANGE: Final[tuple[float, float]] = (10.0, 500.0)
_DEFAULT_SHARE_RANGE: Final[tuple[float, float]] = (75.0, 99.0)
"""Percent range of an ``le`` numerator relative to its denominator when the catalog has
no typical ranges for both."""

# Province-like codes 91-99 are not used by any real Chinese region (real ones run 11-82).
_SYNTHETIC_PROVINCES: Final[tuple[int, ...]] = tuple(range(91, 100))
_MAX_PER_LEVEL: Final[int] = 99
_MAX_NATIONAL_REGIONS: Final[int] = len(_SYNTHETIC_PROVINCES) * _MAX_PER_LEVEL * _MAX_PER_LEVEL

_STREAM_REGIONS: Final[int] = 1
_STREAM_INDICATOR: Final[int] = 2
_STREAM_GAPS: Final[int] = 3
_STREAM_DISCLOSURE: Final[int] = 4
_DISCLOSURE_MODES: Final[tuple[str, ...]] = ("dense", "sparse")
_PANEL_DEMO: Final[int] = 0
_PANEL_NATIONAL: Final[int] = 1

@dataclass(frozen=True, eq=False)
class SyntheticPanel:
    """A synthetic observation panel with its regions and its single ``synthetic`` source.

    Attributes:
        observations: Rows in the data model (``fzcompare.schema.OBSERVATION_SCHEMA``),
            ordered by year, region, then indicator (catalog order, main ones first).
        regions: The observed regions and their ancestors (``catalog.REGION_SCHEMA``).
        sources: One row (``fzcompare.schema.SOURCE_SCHEMA``) of kind ``synthetic``.

    Examples:
        >>> panel = national_panel(n_regions=20, years=[2023, 2024], n_indicators=5)
        >>> panel
        SyntheticPanel(source=..., rows=196, regions=20, ...; SYNTHETIC, not real figures)
        >>> panel.regions.row(1)
        ('910100', '合成市0001', 'Synthetic prefecture 0001', 'prefecture', '910000')
        >>> panel.to_polars().columns == list(OBSERVATION_SCHEMA), panel.sources["kind"][0]
        (True, 'synthetic')
    """

    observations: pl.DataFrame
    regions: pl.DataFrame
    sources: pl.DataFrame

    def _summary(self) -> str:
        obs = self.observations
        first, last = obs.select(pl.col("year").min(), pl.col("year").max().alias("last")).row(0)
        span = f"{first}-{last}" if obs.height else "none"
        source = str(self.sources["source_id"][0]) if self.sources.height else "?"
        return (f"source={source}, rows={obs.height:,}, "
                f"regions={obs['region_code'].n_unique()}, years={span}, "
                f"indicators={obs['indicator_code'].n_unique()}")

    def __repr__(self) -> str:
        return f"SyntheticPanel({self._summary()}; SYNTHETIC, not real figures)"

    def _repr_html_(self) -> str:
        return (f"<div><strong>SyntheticPanel</strong> "
                f"<em>(synthetic data, not real figures)</em>: {html.escape(self._summary())}"
                f"{html_table(self.observations.head(8))}</div>")

    def to_polars(self) -> pl.DataFrame:
        """The observations table."""
        return self.observations

    def to_pandas(self) -> pd.DataFrame:
        """The observations table as a pandas DataFrame."""
        return self.observations.to_pandas()


@dataclass(frozen=True)
class _Spec:
    """The catalog facts one indicator's generator needs."""

    code: str
    kind: str
    direction: str
    unit: str
    typical: tuple[float, float] | None
    min_value: float
    max_value: float


@dataclass(frozen=True)
class _Relations:
    le_parents: dict[str, tuple[str, ...]]
    ratio_inputs: dict[str, tuple[str, str]]
    """target -> (numerator, denominator)"""
    ratio_of_numerator: dict[str, tuple[str, str]]
    """numerator -> (target, denominator), for drawing the numerator from the denominator"""


@dataclass(frozen=True)
class _RegionDraws:
    quality: FloatArray
    size: FloatArray
    trend: FloatArray
    scale: FloatArray


def _specs(catalog: Catalog) -> dict[str, _Spec]:
    specs: dict[str, _Spec] = {}
    for row in catalog.indicators.iter_rows(named=True):
        low, high = row["typical_low"], row["typical_high"]
        specs[row["code"]] = _Spec(
            code=row["code"], kind=row["kind"], direction=row["direction"], unit=row["unit"],
            typical=(float(low), float(high)) if low is not None and high is not None else None,
            min_value=-math.inf if row["min_value"] is None else float(row["min_value"]),
            max_value=math.inf if row["max_value"] is None else float(row["max_value"]),
        )
    return specs


def _relations(catalog: Catalog) -> _Relations:
    le_parents: dict[str, list[str]] = {}
    ratio_inputs: dict[str, tuple[str, str]] = {}
    ratio_of_numerator: dict[str, tuple[str, str]] = {}
    for rel in catalog.relations.iter_rows(named=True):
        if rel["kind"] == "le":
            le_parents.setdefault(rel["numerator"], []).append(rel["denominator"])
        elif rel["target"] not in ratio_inputs:
            ratio_inputs[rel["target"]] = (rel["numerator"], rel["denominator"])
            ratio_of_numerator.setdefault(rel["numerator"], (rel["target"], rel["denominator"]))
        elif ratio_inputs[rel["target"]] != (rel["numerator"], rel["denominator"]):
            raise CatalogError(f"indicators.yaml: {rel['target']!r} is the target of two "
                               "different ratio relations; synthetic data cannot satisfy both")
    return _Relations({k: tuple(v) for k, v in le_parents.items()}, ratio_inputs,
                      ratio_of_numerator)


def _dependencies(code: str, relations: _Relations) -> tuple[str, ...]:
    deps = list(relations.le_parents.get(code, ()))
    if code in relations.ratio_inputs:
        deps.extend(relations.ratio_inputs[code])
    if code in relations.ratio_of_numerator:
        deps.append(relations.ratio_of_numerator[code][1])
    return tuple(d for d in dict.fromkeys(deps) if d != code)


def _generation_order(codes: Sequence[str], relations: _Relations,
                      catalog_order: Sequence[str]) -> list[str]:
    """The wanted codes plus everything they derive from, parents before children."""
    needed: set[str] = set()
    stack = list(codes)
    while stack:
        code = stack.pop()
        if code not in needed:
            needed.add(code)
            stack.extend(_dependencies(code, relations))
    position = {c: i for i, c in enumerate(catalog_order)}
    pending = sorted(needed, key=position.__getitem__)
    order: list[str] = []
    done: set[str] = set()
    while pending:
        ready = [c for c in pending if all(d in done for d in _dependencies(c, relations))]
        if not ready:
            raise CatalogError("indicators.yaml: the relations among "
                               f"{', '.join(pending)} form a cycle; synthetic data cannot "
                               "satisfy them")
        order.extend(ready)
        done.update(ready)
        pending = [c for c in pending if c not in done]
    return order


def _positive_needed(order: Sequence[str], relations: _Relations) -> set[str]:
    """Ratio denominators and their ``le`` ancestors: kept at 1 or more so rates exist."""
    needed: set[str] = set()
    stack = [den for _, den in relations.ratio_inputs.values()]
    while stack:
        code = stack.pop()
        if code not in needed:
            needed.add(code)
            stack.extend(relations.le_parents.get(code, ()))
    return needed & set(order)


def _sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return result


def _sign(direction: str, rng: np.random.Generator) -> float:
    if direction == "lower":
        return -1.0
    if direction in ("higher", "target"):
        return 1.0
    return 1.0 if rng.random() < 0.5 else -1.0


def _round2(values: FloatArray) -> FloatArray:
    flat = pl.Series(values.reshape(-1), dtype=pl.Float64()).round(2).to_numpy()
    rounded: FloatArray = flat.reshape(values.shape)
    return rounded


def _rate_range(spec: _Spec) -> tuple[float, float]:
    if spec.typical is not None:
        return spec.typical
    low = spec.min_value if math.isfinite(spec.min_value) else 0.0
    high = spec.max_value if math.isfinite(spec.max_value) else 100.0
    return low + 0.5 * (high - low), high


def _share_range(child: _Spec, parents: Sequence[_Spec]) -> tuple[float, float]:
    """Percent range of an ``le`` numerator relative to its smallest denominator."""
    if child.typical is None or any(p.typical is None for p in parents):
        return _DEFAULT_SHARE_RANGE

    def centre(spec: _Spec) -> float:
        assert spec.typical is not None
        low, high = spec.typical
        return math.sqrt(low * high) if low > 0 else (low + high) / 2

    parent_centre = min(centre(p) for p in parents)
    ratio = centre(child) / parent_centre if parent_centre > 0 else 0.8
    return min(max(70.0 * ratio, 0.1), 95.0), min(max(130.0 * ratio, 0.5), 100.0)


def _latent(rng: np.random.Generator, draws: _RegionDraws, t: FloatArray,
            direction: str) -> FloatArray:
    """A (region, year) latent score: level + shrinking regional deviation + trend + noise."""
    n_regions, n_years = draws.quality.size, t.size
    level = rng.normal(-0.2, 0.4)
    sensitivity = rng.uniform(0.6, 1.2)
    trend = rng.normal(0.12, 0.06) if direction != "neutral" else rng.normal(0.0, 0.06)
    deviation = sensitivity * draws.quality + rng.normal(0.0, 0.5, n_regions)
    shrink = (1.0 - _CONVERGENCE) ** t
    z: FloatArray = (level + deviation[:, None] * shrink[None, :]
                     + (draws.trend[:, None] + trend) * t[None, :]
                     + rng.normal(0.0, _NOISE, (n_regions, n_years)))
    return z


def _level_values(rng: np.random.Generator, spec: _Spec, draws: _RegionDraws,
                  t: FloatArray) -> FloatArray:
    """Counts or amounts placed log-linearly in the typical range by region size."""
    low, high = spec.typical if spec.typical is not None else _DEFAULT_COUNT_RANGE
    low = max(low, 0.5)
    high = max(high, low * 1.5)
    n_regions, n_years = draws.quality.size, t.size
    position = np.clip(0.1 + 0.8 * draws.size + rng.normal(0.0, 0.08, n_regions), 0.0, 1.0)
    sign = {"higher": 1.0, "lower": -1.0}.get(spec.direction, 0.0)
    growth = 0.04 * sign + rng.normal(0.0, 0.03) + rng.normal(0.0, 0.02, n_regions)
    log_value = (math.log(low) + position[:, None] * (math.log(high) - math.log(low))
                 + growth[:, None] * t[None, :] + rng.normal(0.0, 0.07, (n_regions, n_years)))
    values: FloatArray = np.exp(log_value) * draws.scale[:, None]
    return values


def _whole(values: FloatArray, kind: str, *, mode: str = "nearest") -> FloatArray:
    """Counts to whole numbers, amounts to 2 decimals (``nearest``, ``down`` or ``up``)."""
    step = 1.0 if kind != "amount" else 100.0
    scaled = values * step
    rounded = {"down": np.floor, "up": np.ceil}.get(mode, np.round)(scaled)
    result: FloatArray = rounded / step
    return result


def _generate(catalog: Catalog, codes: Sequence[str], draws: _RegionDraws,
              years: Sequence[int], *, seed: int, panel: int) -> dict[str, FloatArray]:
    """(region, year) arrays of values for ``codes`` (and what they derive from)."""
    specs = _specs(catalog)
    relations = _relations(catalog)
    order = _generation_order(codes, relations, catalog.indicators["code"].to_list())
    positive = _positive_needed(order, relations)
    t = np.asarray(years, dtype=np.float64) - float(years[0])
    values: dict[str, FloatArray] = {}
    for code in order:
        spec = specs[code]
        rng = np.random.default_rng([seed, panel, _STREAM_INDICATOR, zlib.crc32(code.encode())])
        parents = relations.le_parents.get(code, ())
        cap = np.minimum.reduce([values[p] for p in parents]) if parents else None
        if code in relations.ratio_inputs:
            num, den = relations.ratio_inputs[code]
            with np.errstate(divide="ignore", invalid="ignore"):
                raw = 100.0 * values[num] / values[den]
            value = _round2(np.where(values[den] > 0, raw, np.nan))
        elif spec.kind in ("count", "amount"):
            value = _count_values(rng, spec, specs, relations, values, cap, draws, t)
            if code in positive:
                floor_one = np.ones_like(value) if cap is None else np.minimum(cap, 1.0)
                value = np.maximum(value, floor_one)
        else:
            value = _scored_values(rng, spec, draws, t)
        if cap is not None:
            value = np.minimum(value, cap)
        values[code] = value
    _verify(values, specs, relations)
    return values


def _count_values(rng: np.random.Generator, spec: _Spec, specs: dict[str, _Spec],
                  relations: _Relations, values: dict[str, FloatArray],
                  cap: FloatArray | None, draws: _RegionDraws, t: FloatArray) -> FloatArray:
    if spec.code in relations.ratio_of_numerator:
        target, den = relations.ratio_of_numerator[spec.code]
        target_spec = specs[target]
        low, high = _rate_range(target_spec)
        z = _latent(rng, draws, t, target_spec.direction)
        share = (low + (high - low) * _sigmoid(_sign(target_spec.direction, rng) * z)) / 100.0
        base = values[den]
        value = _whole(share * base, spec.kind)
        if math.isfinite(target_spec.min_value):
            value = np.maximum(value, _whole(base * target_spec.min_value / 100.0, spec.kind,
                                             mode="up"))
        if math.isfinite(target_spec.max_value):
            value = np.minimum(value, _whole(base * target_spec.max_value / 100.0, spec.kind,
                                             mode="down"))
        return value
    if cap is not None:
        parents = [specs[p] for p in relations.le_parents[spec.code]]
        low, high = _share_range(spec, parents)
        z = _latent(rng, draws, t, spec.direction)
        share = (low + (high - low) * _sigmoid(_sign(spec.direction, rng) * z)) / 100.0
        return _whole(share * cap, spec.kind)
    value = _whole(_level_values(rng, spec, draws, t), spec.kind)
    return np.clip(value, max(spec.min_value, 0.0), spec.max_value)


def _scored_values(rng: np.random.Generator, spec: _Spec, draws: _RegionDraws,
                   t: FloatArray) -> FloatArray:
    """Rates, ranks and statuses from a latent score."""
    z = _latent(rng, draws, t, spec.direction)
    sign = _sign(spec.direction, rng)
    if spec.kind == "status":
        low = spec.min_value if math.isfinite(spec.min_value) else 0.0
        high = spec.max_value if math.isfinite(spec.max_value) else 1.0
        return np.where(sign * z + 0.8 > 0, high, low).astype(np.float64)
    if spec.kind == "rank":
        floor = max(spec.min_value, 1.0)
        low, high = spec.typical if spec.typical is not None else (floor, floor + 16.0)
        rank = np.round(low + (high - low) * _sigmoid(sign * z))
        return np.clip(rank, floor, spec.max_value)
    low, high = _rate_range(spec)
    rate = _round2(low + (high - low) * _sigmoid(sign * z))
    return np.clip(rate, spec.min_value, spec.max_value)


def _verify(values: dict[str, FloatArray], specs: dict[str, _Spec],
            relations: _Relations) -> None:
    """Fail loudly if a generated array breaks a range or a relation (a generator bug)."""
    problems: list[str] = []
    for code, value in values.items():
        spec = specs[code]
        present = value[np.isfinite(value)]
        if present.size and (present.min() < spec.min_value or present.max() > spec.max_value):
            problems.append(f"{code} outside [{spec.min_value}, {spec.max_value}]")
    for child, parents in relations.le_parents.items():
        for parent in parents:
            if child in values and parent in values and np.any(values[child] > values[parent]):
                problems.append(f"{child} > {parent}")
    for target, (num, den) in relations.ratio_inputs.items():
        if target in values:
            with np.errstate(divide="ignore", invalid="ignore"):
                expected = _round2(100.0 * values[num] / values[den])
            both = np.isfinite(values[target])
            if np.any(values[target][both] != expected[both]):
                problems.append(f"{target} != round(100 * {num} / {den}, 2)")
    if problems:
        raise FzcompareError("synthetic generator broke catalog invariants: "
                             + "; ".join(problems),
                             hint="the catalog relations may conflict; report this as a bug")


def _panel_frame(values: dict[str, FloatArray], codes: Sequence[str], specs: dict[str, _Spec],
                 region_codes: Sequence[str], scopes: Sequence[str], years: Sequence[int],
                 *, source_id: str, gaps: np.random.Generator) -> pl.DataFrame:
    """Long observation table from (region, year) arrays, minus the seeded gaps.

    Built one year at a time (rows ordered by year, region, indicator) so that temporary
    memory stays at one year's share of the panel; the result keeps one chunk per year.
    """
    n_regions, n_codes = len(region_codes), len(codes)
    n_gaps = round(GAP_SHARE * (n_regions * n_codes))
    region_names = pl.Series(list(region_codes), dtype=pl.String())
    scope_names = pl.Series(list(scopes), dtype=pl.String())
    code_names = pl.Series(list(codes), dtype=pl.String())
    units = pl.Series([specs[c].unit for c in codes], dtype=pl.String())
    all_regions = np.repeat(np.arange(n_regions, dtype=np.uint32), n_codes)
    all_codes = np.tile(np.arange(n_codes, dtype=np.uint32), n_regions)
    chunks: list[pl.DataFrame] = []
    for j, year in enumerate(years):
        flat = np.stack([values[c][:, j] for c in codes], axis=-1).reshape(-1)
        keep = np.isfinite(flat)
        keep[gaps.choice(flat.size, size=n_gaps, replace=False)] = False
        region_index = all_regions[keep]
        code_index = all_codes[keep]
        chunks.append(pl.DataFrame({
            "region_code": region_names.gather(region_index),
            "indicator_code": code_names.gather(code_index),
            "scope": scope_names.gather(region_index),
            "value": pl.Series(flat[keep], dtype=pl.Float64()),
            "unit": units.gather(code_index),
        }).with_columns(
            pl.lit(year, pl.Int32()).alias("year"),
            pl.lit("eq", pl.String()).alias("qualifier"),
            pl.lit(source_id, pl.String()).alias("source_id"),
            pl.lit("", pl.String()).alias("quote"),
            pl.lit("reported", pl.String()).alias("disclosure"),
        ).select(list(OBSERVATION_SCHEMA)))
    return pl.concat(chunks, rechunk=False)


def _source(source_id: str, title: str, note: str) -> pl.DataFrame:
    return pl.DataFrame({
        "source_id": [source_id], "title": [title], "publisher": ["fzcompare.synthetic"],
        "published": [None], "url": [""], "kind": ["synthetic"], "region_code": [None],
        "year": [None], "note": [note],
    }, schema=SOURCE_SCHEMA)


def _region_draws(rng: np.random.Generator, scale: FloatArray) -> _RegionDraws:
    n = scale.size
    return _RegionDraws(quality=rng.normal(0.0, 1.0, n), size=rng.uniform(0.0, 1.0, n),
                        trend=rng.normal(0.05, 0.015, n), scale=scale)


def _main_first(catalog: Catalog) -> list[str]:
    indicators = catalog.indicators
    main = indicators.filter(pl.col("main"))["code"].to_list()
    rest = indicators.filter(~pl.col("main"))["code"].to_list()
    return main + rest


def _with_ancestors(codes: Sequence[str], regions: pl.DataFrame) -> pl.DataFrame:
    parent_of = dict(zip(regions["region_code"], regions["parent_code"], strict=True))
    wanted: set[str] = set()
    for code in codes:
        current: str | None = code
        while current is not None and current not in wanted and current in parent_of:
            wanted.add(current)
            current = parent_of[current]
    return regions.filter(pl.col("region_code").is_in(sorted(wanted))).sort("region_code")


def demo_panel(*, seed: int = DEMO_SEED,
               county_parents: Sequence[str] = (_DEMO_COUNTY_PARENT,),
               disclosure: str = "dense") -> SyntheticPanel:
    """The synthetic Hubei demo panel: 17 prefecture-level and 8 Shiyan county-level divisions.

    Years 2019-2024, the catalog's main indicators, scope ``全市`` for prefecture-level and
    ``全县`` for county-level divisions. Every observation names the panel source
    ``synthetic-demo-<seed>``; the sources table also holds one ``synthetic`` row per
    region-year that has a (synthetic) report, with its ``region_code`` and ``year``. Region
    codes and names are real; every value is invented.

    Args:
        seed: Seeds every draw; the same seed gives identical frames.
        county_parents: Prefecture codes whose county-level divisions are included (default
            十堰市 420300). All of Hubei's: ``load_regions().filter(pl.col("level") ==
            "prefecture", pl.col("parent_code") == "420000")["region_code"]`` (a
            province-size panel of about 116 regions).
        disclosure: ``"dense"`` (every figure but the ``GAP_SHARE`` gaps, and a report for
            every region-year) or ``"sparse"`` (figures hidden the way real reports hide
            them: see ``fzcompare._synthetic_sparse`` and ``docs/data-model.md``). The
            sparse panel's remaining values are the dense panel's.

    Returns:
        A ``SyntheticPanel``.

    Raises:
        InvalidArgumentError: If ``disclosure`` is neither ``"dense"`` nor ``"sparse"``.

    Examples:
        >>> panel = demo_panel()
        >>> sorted(set(panel.sources["kind"])), panel.observations["source_id"].unique().to_list()
        (['synthetic'], ['synthetic-demo-20231'])
        >>> panel.sources.height - 1 == panel.observations.select("region_code", "year").n_unique()
        True
        >>> sorted(panel.observations["scope"].unique())
        ['全县', '全市']
        >>> sparse = demo_panel(disclosure="sparse")
        >>> sparse.observations.height < panel.observations.height / 2
        True
    """
    if disclosure not in _DISCLOSURE_MODES:
        msg = f"unknown disclosure {disclosure!r}"
        raise InvalidArgumentError(
            msg, hint="use one of "
            + ", ".join(repr(m) for m in _DISCLOSURE_MODES)
            + _did_you_mean(disclosure, _DISCLOSURE_MODES))
    dense = _dense_demo_panel(seed=seed, county_parents=county_parents)
    names = dict(zip(dense.regions["region_code"], dense.regions["name_zh"], strict=True))
    panel_source = dense.sources["source_id"].item()
    if disclosure == "dense":
        reports = dense.observations.select("region_code", "year").unique().sort(
            "region_code", "year")
        observations = dense.observations
    else:
        statements = frozenset(load_catalog().indicators.filter(
            pl.col("full_statements").list.len() > 0)["code"])
        observations, reports = hide_figures(
            dense.observations, statement_codes=statements,
            rng=np.random.default_rng([seed, _PANEL_DEMO, _STREAM_DISCLOSURE]))
        note = dense.sources["note"].item() + (
            "; SPARSE: figures hidden the way real reports hide them "
            "(fzcompare._synthetic_sparse)")
        dense = SyntheticPanel(observations=dense.observations, regions=dense.regions,
                               sources=dense.sources.with_columns(pl.lit(note).alias("note")))
    sources = pl.concat([dense.sources, report_sources(
        reports, panel_source=panel_source, region_names=names)]).sort("source_id")
    return SyntheticPanel(observations=observations, regions=dense.regions, sources=sources)


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dense_demo_panel(*, seed: int, county_parents: Sequence[str]) -> SyntheticPanel:
    """The dense demo panel with its single panel source (``demo_panel``'s figures)."""
    catalog = load_catalog()
    all_regions = load_regions()
    prefectures = all_regions.filter((pl.col("level") == "prefecture")
                                     & (pl.col("parent_code") == _DEMO_PROVINCE))
    counties = all_regions.filter((pl.col("level") == "county")
                                  & pl.col("parent_code").is_in(list(county_parents)))
    region_codes = prefectures["region_code"].to_list() + counties["region_code"].to_list()
    scopes = ["全市"] * prefectures.height + ["全县"] * counties.height
    region_rng = np.random.default_rng([seed, _PANEL_DEMO, _STREAM_REGIONS])
    county_scale = _COUNTY_SCALE * np.exp(region_rng.normal(0.0, 0.25, counties.height))
    scale = np.concatenate([np.ones(prefectures.height), county_scale])
    draws = _region_draws(region_rng, scale)
    codes = catalog.indicators.filter(pl.col("main"))["code"].to_list()
    years = list(DEMO_YEARS)
    values = _generate(catalog, codes, draws, years, seed=seed, panel=_PANEL_DEMO)
    source_id = f"synthetic-demo-{seed}"
    observations = _panel_frame(
        values, codes, _specs(catalog), region_codes, scopes, years, source_id=source_id,
        gaps=np.random.default_rng([seed, _PANEL_DEMO, _STREAM_GAPS]))
    title = ("SYNTHETIC demo data generated by fzcompare.synthetic: invented numbers, "
             "not real figures (合成演示数据，非真实数据)")
    note = (f"fzcompare.synthetic.demo_panel(seed={seed}); {len(region_codes)} real Hubei "
            f"region codes, years {years[0]}-{years[-1]}, {len(codes)} main indicators of "
            f"catalog {catalog.version}; about {GAP_SHARE:.1%} of cells left out on purpose")
    return SyntheticPanel(observations=observations,
                          regions=_with_ancestors(region_codes, all_regions),
                          sources=_source(source_id, title, note))


def _national_regions(n_regions: int) -> tuple[pl.DataFrame, list[str]]:
    """Synthetic provinces (codes 91-99), prefectures and counties; the county codes."""
    per_prefecture = max(10, -(-n_regions // (len(_SYNTHETIC_PROVINCES) * _MAX_PER_LEVEL)))
    n_prefectures = -(-n_regions // per_prefecture)
    per_province = -(-n_prefectures // len(_SYNTHETIC_PROVINCES))
    rows: list[tuple[str, str, str, str, str]] = []
    county_codes: list[str] = []
    provinces_seen: set[str] = set()
    for p in range(n_prefectures):
        province_number = _SYNTHETIC_PROVINCES[p // per_province]
        province = f"{province_number}0000"
        if province not in provinces_seen:
            provinces_seen.add(province)
            rows.append((province, f"合成省{province_number}",
                         f"Synthetic province {province_number}", "province", "000000"))
        prefecture = f"{province_number}{p % per_province + 1:02d}00"
        rows.append((prefecture, f"合成市{p + 1:04d}", f"Synthetic prefecture {p + 1:04d}",
                     "prefecture", province))
        first = p * per_prefecture
        for c in range(first, min(first + per_prefecture, n_regions)):
            county = f"{prefecture[:4]}{c - first + 1:02d}"
            county_codes.append(county)
            rows.append((county, f"合成县{c + 1:05d}", f"Synthetic county {c + 1:05d}",
                         "county", prefecture))
    regions = pl.DataFrame(rows, schema=REGION_SCHEMA, orient="row").sort("region_code")
    return regions, county_codes


def national_panel(
    *,
    n_regions: int = 3000,
    years: Sequence[int] = range(2015, 2025),
    n_indicators: int = 100,
    seed: int = 0,
) -> SyntheticPanel:
    """A large synthetic panel of county-level regions, for benchmarks and scale tests.

    Regions are invented (codes under the unused province prefixes 91-99, names such as
    ``合成县00001``, ``name_en`` "Synthetic county 00001"); ``regions`` holds them with their
    synthetic prefectures and provinces. Indicators are the first ``n_indicators`` catalog
    codes, main ones first, in catalog order. In every year exactly
    ``round(GAP_SHARE * (n_regions * n_indicators))`` of the ``n_regions * n_indicators`` cells
    are left out. Source ``synthetic-national-<seed>``.

    Args:
        n_regions: Number of county-level regions (1 to 88,209).
        years: Distinct years, in any order (sorted in the output).
        n_indicators: How many catalog indicators to use.
        seed: Seeds every draw; the same seed gives identical frames.

    Returns:
        A ``SyntheticPanel``.

    Raises:
        FzcompareError: If a size is out of range or the catalog holds fewer indicators.

    Examples:
        >>> panel = national_panel(n_regions=20, years=[2023, 2024], n_indicators=5)
        >>> panel.observations.height == 2 * (20 * 5 - round(GAP_SHARE * (20 * 5)))
        True
        >>> panel.regions.filter(pl.col("level") == "county")["name_zh"][0]
        '合成县00001'
    """
    catalog = load_catalog()
    year_list = sorted(int(y) for y in years)
    _check_national_options(n_regions, year_list, n_indicators, catalog)
    regions, county_codes = _national_regions(n_regions)
    region_rng = np.random.default_rng([seed, _PANEL_NATIONAL, _STREAM_REGIONS])
    scale = _COUNTY_SCALE * np.exp(region_rng.normal(0.0, 0.3, n_regions))
    draws = _region_draws(region_rng, scale)
    codes = _main_first(catalog)[:n_indicators]
    values = _generate(catalog, codes, draws, year_list, seed=seed, panel=_PANEL_NATIONAL)
    source_id = f"synthetic-national-{seed}"
    observations = _panel_frame(
        values, codes, _specs(catalog), county_codes, ["全县"] * n_regions, year_list,
        source_id=source_id, gaps=np.random.default_rng([seed, _PANEL_NATIONAL, _STREAM_GAPS]))
    del values
    cells_per_year = n_regions * len(codes)
    expected = len(year_list) * (cells_per_year - round(GAP_SHARE * cells_per_year))
    if observations.height != expected:
        raise FzcompareError(f"synthetic generator made {observations.height} rows, expected "
                             f"{expected}", hint="a ratio denominator came out as 0; report "
                             "this as a bug")
    title = ("SYNTHETIC national benchmark panel generated by fzcompare.synthetic: invented "
             "regions and numbers, not real figures (合成数据，非真实数据)")
    note = (f"fzcompare.synthetic.national_panel(n_regions={n_regions}, years="
            f"{year_list[0]}-{year_list[-1]}, n_indicators={n_indicators}, seed={seed}); "
            f"catalog {catalog.version}")
    return SyntheticPanel(observations=observations, regions=regions,
                          sources=_source(source_id, title, note))


def _check_national_options(n_regions: int, years: list[int], n_indicators: int,
                            catalog: Catalog) -> None:
    def fail(message: str, hint: str, **details: Any) -> FzcompareError:
        return FzcompareError(message, hint=hint, reason="bad_option", **details)

    if not 1 <= n_regions <= _MAX_NATIONAL_REGIONS:
        raise fail(f"n_regions={n_regions} is out of range",
                   f"pass 1 to {_MAX_NATIONAL_REGIONS:,} regions", option="n_regions")
    if not years or len(set(years)) != len(years):
        raise fail(f"years={years} must be non-empty and distinct", "pass e.g. range(2015, 2025)",
                   option="years")
    available = catalog.indicators.height
    if not 1 <= n_indicators <= available:
        raise fail(f"n_indicators={n_indicators} is out of range: the catalog holds "
                   f"{available} indicators", f"pass 1 to {available}", option="n_indicators")
