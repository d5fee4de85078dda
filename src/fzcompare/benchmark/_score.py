"""Scoring internals of ``fzcompare.benchmark``: values, rules and point sums as arrays.

Polars joins place each observation in a ``(region-years, criteria)`` array (rows: the scored
(region, year) pairs sorted by region then year; columns: the rubric's criteria in file
order). Every comparator and rule is then one vectorised numpy expression over the columns that
use it, for all regions at once; area subtotals, rescaling and bonus caps are matrix products
(``Structure``), which ``what_it_would_take`` reuses to price improvements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare._names import check_filters
from fzcompare.catalog import load_regions
from fzcompare.criteria import CriteriaSet
from fzcompare.errors import ArgumentTypeError, SchemaError
from fzcompare.regions import LEVEL_SCOPES, level_scopes
from fzcompare.schema import KEY_COLUMNS, UNMAPPED_PREFIX

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Peers = Sequence[str] | Mapping[str, str] | pl.DataFrame | None

EPS: Final[float] = 1e-9
WHOLE_SCOPE_BY_LEVEL: Final[dict[str, str]] = {
    level: words["all"] for level, words in LEVEL_SCOPES.items()}
"""The scope a criterion with ``scope: whole`` reads, by the region's level (after
``fzcompare.regions.level_scopes``: a district's 全区 is read as 全县, a municipality's 全市
as 全省)."""

_OBS_COLUMNS: Final[tuple[str, ...]] = ("region_code", "year", "indicator_code", "scope",
                                        "value", "qualifier")


@dataclass(frozen=True)
class Structure:
    """A rubric's hierarchy as arrays: criteria -> nodes (sub-areas) -> areas -> total.

    An area without sub-areas is its own single node. ``node_of`` maps criteria to nodes and
    ``area_of`` nodes to areas as one-hot matrices, so point sums are matrix products.
    """

    points: FloatArray  # (n,) possible points; a bonus item's maximum; 0 for vetoes
    base: FloatArray  # (n,) 1.0 for criteria inside the points, else 0.0
    bonus: FloatArray  # (n,) 1.0 for bonus items
    node_of: FloatArray  # (n, n_nodes)
    area_of: FloatArray  # (n_nodes, n_areas)
    node_cap: FloatArray  # (n_nodes,) bonus cap of a real sub-area, else inf
    area_cap: FloatArray  # (n_areas,)
    total_cap: float
    node_ids: tuple[str, ...]  # sub-area id, or the area id for an area without sub-areas
    node_is_subarea: BoolArray
    area_ids: tuple[str, ...]
    area_names: tuple[str, ...]
    node_names: tuple[str, ...]

    @classmethod
    def of(cls, rubric: CriteriaSet) -> Structure:
        crit = rubric.criteria
        areas = rubric.areas
        top = areas.filter(pl.col("level") == 1)
        area_ids = tuple(top["area_id"].to_list())
        node_keys = crit.select(
            pl.coalesce("subarea_id", "area_id").alias("node"), "area_id"
        ).unique(maintain_order=True)
        node_ids = tuple(node_keys["node"].to_list())
        node_index = {n: i for i, n in enumerate(node_ids)}
        area_index = {a: i for i, a in enumerate(area_ids)}
        n, n_nodes, n_areas = crit.height, len(node_ids), len(area_ids)
        node_of = np.zeros((n, n_nodes))
        node_col = crit.select(pl.coalesce("subarea_id", "area_id"))[:, 0].to_list()
        node_of[np.arange(n), [node_index[x] for x in node_col]] = 1.0
        area_of = np.zeros((n_nodes, n_areas))
        for node, area in node_keys.iter_rows():
            area_of[node_index[node], area_index[area]] = 1.0
        caps = dict(zip(areas["area_id"].to_list(), areas["bonus_cap"].to_list(), strict=True))
        names = dict(zip(areas["area_id"].to_list(), areas["name"].to_list(), strict=True))
        is_sub = np.array([node not in area_index for node in node_ids], dtype=bool)
        rule = crit["rule"]
        return cls(
            points=crit["points"].fill_null(0.0).to_numpy().astype(np.float64),
            base=(~rule.is_in(["bonus", "veto"])).to_numpy().astype(np.float64),
            bonus=(rule == "bonus").to_numpy().astype(np.float64),
            node_of=node_of,
            area_of=area_of,
            node_cap=np.array([_cap(caps[x]) if s else np.inf
                               for x, s in zip(node_ids, is_sub, strict=True)]),
            area_cap=np.array([_cap(caps[a]) for a in area_ids]),
            total_cap=_cap(rubric.bonus_cap),
            node_ids=node_ids,
            node_is_subarea=is_sub,
            area_ids=area_ids,
            area_names=tuple(names[a] for a in area_ids),
            node_names=tuple(names[x] for x in node_ids),
        )

    def aggregate(self, earned: FloatArray) -> dict[str, FloatArray]:
        """Point sums for rows of criterion points; NaN marks a criterion left out (rescale).

        Inside the points, a node's earned points are rescaled to its possible points over the
        criteria that are not left out; a node with none left is itself left out of its area,
        and an area of the total, in the same way. Bonus points are capped per sub-area, per
        area and in total, and never rescaled.
        """
        kept = ~np.isnan(earned)
        filled = np.where(kept, earned, 0.0)
        base_points = self.points * self.base
        node_points = base_points @ self.node_of
        node_kept = (kept * base_points) @ self.node_of
        node_raw = (filled * self.base) @ self.node_of
        node_earned = _rescaled(node_raw, node_kept, node_points)
        area_points = node_points @ self.area_of
        area_kept = (~np.isnan(node_earned) * node_points) @ self.area_of
        area_earned = _rescaled(np.nan_to_num(node_earned) @ self.area_of, area_kept,
                                area_points)
        total_points = np.array([area_points.sum()])
        total_kept = (~np.isnan(area_earned) * area_points).sum(axis=1, keepdims=True)
        total_earned = _rescaled(np.nan_to_num(area_earned).sum(axis=1, keepdims=True),
                                 total_kept, total_points)[:, 0]
        node_bonus = np.minimum((filled * self.bonus) @ self.node_of, self.node_cap)
        area_bonus = np.minimum(node_bonus @ self.area_of, self.area_cap)
        total_bonus = np.minimum(area_bonus.sum(axis=1), self.total_cap)
        return {
            "node_points": np.broadcast_to(node_points, node_earned.shape),
            "node_earned": node_earned,
            "node_bonus": node_bonus,
            "area_points": np.broadcast_to(area_points, area_earned.shape),
            "area_earned": area_earned,
            "area_bonus": area_bonus,
            "total_points": np.full(total_earned.shape, total_points[0]),
            "total_earned": total_earned,
            "total_bonus": total_bonus,
            "total": total_earned + total_bonus,
        }


def _cap(value: float | None) -> float:
    return np.inf if value is None else float(value)


def _rescaled(raw: FloatArray, kept: FloatArray, possible: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(kept > 0, raw * possible / np.where(kept > 0, kept, 1.0), np.nan)
    return np.where(possible == 0, 0.0, scaled)


STATUSES: Final[tuple[str, ...]] = ("met", "partial", "not_met", "missing", "not_applicable")
MET, PARTIAL, NOT_MET, MISSING, NOT_APPLICABLE = range(5)


@dataclass(frozen=True)
class Scored:
    """Scores of every (region, year) pair against every criterion, as (pairs, criteria) arrays.

    ``pairs`` is sorted by region then year; row ``i`` of every array belongs to pair ``i``
    and column ``j`` to the rubric's criterion ``j`` (file order).
    """

    pairs: pl.DataFrame  # region_code, year, peer_group, level
    arrays: dict[str, npt.NDArray[Any]]  # value, points_earned, points_earned_max, ...
    qualifier: npt.NDArray[np.int8]  # index into QUALIFIER_CODES, -1 when no figure
    structure: Structure
    years: tuple[int, ...]  # the years asked for (pairs may also hold the year before each)
    peers: str  # how peer groups were formed, for the settings
    observations: pl.DataFrame | None = None  # the scored years' rows, scopes as scored

    @property
    def n_criteria(self) -> int:
        return len(self.structure.points)

    def matrix(self, name: str) -> FloatArray:
        """One (pairs, criteria) array, e.g. ``value`` or ``points_earned`` (NaN: none)."""
        return np.asarray(self.arrays[name], dtype=np.float64)


QUALIFIER_CODES: Final[tuple[str, ...]] = ("eq", "gt", "ge", "lt", "le", "approx")


def region_attributes(codes: pl.Series, regions: pl.DataFrame | None) -> pl.DataFrame:
    """Level, parent and province of each code: from ``regions`` where given, else the code.

    China's codes say the level: ``000000`` the country, ``XX0000`` a province, ``XXYY00`` a
    prefecture, anything else a county-level division.
    """
    code = pl.col("region_code")
    frame = pl.DataFrame({"region_code": codes}).unique().with_columns(
        pl.when(code == "000000").then(pl.lit("country"))
        .when(code.str.ends_with("0000")).then(pl.lit("province"))
        .when(code.str.ends_with("00")).then(pl.lit("prefecture"))
        .otherwise(pl.lit("county")).alias("level"),
    )
    frame = frame.with_columns(
        pl.when(pl.col("level") == "county").then(code.str.slice(0, 4) + "00")
        .when(pl.col("level") == "prefecture").then(code.str.slice(0, 2) + "0000")
        .when(pl.col("level") == "province").then(pl.lit("000000"))
        .otherwise(pl.lit(None, dtype=pl.String())).alias("parent_code"),
        pl.when(pl.col("level") == "country").then(pl.lit(None, dtype=pl.String()))
        .otherwise(code.str.slice(0, 2) + "0000").alias("province_code"),
    )
    if regions is not None and regions.height:
        known = regions.select("region_code", pl.col("level").alias("_level"),
                               pl.col("parent_code").alias("_parent")).unique("region_code")
        frame = frame.join(known, on="region_code", how="left").with_columns(
            pl.coalesce("_level", "level").alias("level"),
            pl.when(pl.col("_level").is_not_null()).then(pl.col("_parent"))
            .otherwise(pl.col("parent_code")).alias("parent_code"),
        ).drop("_level", "_parent")
    return frame


def _peer_groups(pairs: pl.DataFrame, rubric: CriteriaSet, peers: Peers,
                 regions: pl.DataFrame | None) -> tuple[pl.DataFrame, str]:
    columns = [pl.col(c).cast(pl.String) for c in ("region_code", "level", "parent_code")]
    known = load_regions() if regions is None else pl.concat(
        [regions.select(columns), load_regions().select(columns)]).unique(
        "region_code", keep="first", maintain_order=True)
    attrs = region_attributes(pairs["region_code"], known)
    pairs = pairs.join(attrs, on="region_code", how="left")
    if rubric.levels is not None:
        pairs = pairs.filter(pl.col("level").is_in(list(rubric.levels)))
    key_column = {"level": "level", "province": "province_code", "parent": "parent_code"}
    rule = "+".join(rubric.peer_keys) or "all"
    if isinstance(peers, pl.DataFrame | Mapping):
        table = (peers.select("region_code", pl.col("peer_group").cast(pl.String))
                 if isinstance(peers, pl.DataFrame)
                 else pl.DataFrame({"region_code": list(peers.keys()),
                                    "peer_group": [str(v) for v in peers.values()]},
                                   schema={"region_code": pl.String(), "peer_group": pl.String()}))
        if table["region_code"].is_duplicated().any():
            msg = "peers: a region is given more than one peer group"
            raise SchemaError(msg,
                              reason="duplicate_key", column="region_code")
        pairs = pairs.join(table, on="region_code", how="inner")
        description = (f"explicit groups: {table['peer_group'].n_unique()} groups, "
                       f"{table.height} regions")
        return pairs, description
    if rubric.peer_keys:
        pairs = pairs.with_columns(pl.concat_str(
            [pl.col(key_column[k]).fill_null("-") for k in rubric.peer_keys], separator="/"
        ).alias("peer_group"))
    else:
        pairs = pairs.with_columns(pl.lit("all").alias("peer_group"))
    description = f"rule: {rule}"
    if peers is not None:
        if isinstance(peers, str):
            msg = "peers must be a list of region codes, a mapping or a frame, not one string"
            raise ArgumentTypeError(
                msg,
                hint=f"pass a list, e.g. peers=[{peers!r}]")
        wanted = sorted({str(c) for c in peers})
        pairs = pairs.filter(pl.col("region_code").is_in(wanted))
        description += f", restricted to {len(wanted)} regions"
    return pairs, description


@dataclass(frozen=True)
class _Params:
    """A rubric's criteria as (criteria,) vectors that broadcast over the pairs."""

    t: FloatArray
    th: FloatArray
    tol: FloatArray
    points: FloatArray
    deduct: FloatArray
    add: FloatArray
    per: FloatArray
    cap: FloatArray
    flags: dict[str, BoolArray]

    @classmethod
    def of(cls, criteria: pl.DataFrame) -> _Params:
        def num(name: str, fill: float = np.nan) -> FloatArray:
            return np.asarray(criteria[name].cast(pl.Float64).fill_null(fill).to_numpy(),
                              dtype=np.float64)

        def flag(name: str, value: str) -> BoolArray:
            return np.asarray((criteria[name] == value).fill_null(False).to_numpy(), dtype=bool)

        flags = {f"cmp{c}": flag("comparator", c) for c in (">=", "<=", "==", "between",
                                                             "exists")}
        flags.update({r: flag("rule", r) for r in ("linear", "deduction", "bonus", "veto")})
        flags.update({f"round_{r}": flag("rounding", r) for r in ("up", "down")})
        flags.update({p: flag("missing_policy", p) for p in ("zero", "rescale", "flag")})
        flags["per_unit_bonus"] = flags["bonus"] & criteria["add"].is_not_null().to_numpy()
        return cls(t=num("threshold"), th=num("threshold_high"), tol=num("tolerance", 0.0),
                   points=num("points", 0.0), deduct=num("deduct", 0.0), add=num("add"),
                   per=num("per", 1.0), cap=num("cap", np.inf), flags=flags)


def _rounded(units: FloatArray, up: BoolArray, down: BoolArray) -> FloatArray:
    """Whole units (``up``: a started unit counts, ``down``: only full ones), never below 0."""
    return np.maximum(np.where(up, np.ceil(units - EPS),
                               np.where(down, np.floor(units + EPS), units)), 0.0)


def _graded(earned: FloatArray, points: FloatArray) -> npt.NDArray[np.int8]:
    return np.where(earned >= points - EPS, MET,
                    np.where(earned > EPS, PARTIAL, NOT_MET)).astype(np.int8)


class _Scoring(NamedTuple):
    """The arrays ``score_values`` fills step by step, all ``(pairs, criteria)``."""

    satisfied: BoolArray
    earned: FloatArray
    status: npt.NDArray[np.int8]
    required: FloatArray  # the value that earns full points
    nearest: FloatArray  # the acceptable value closest to the value


def _compare(v: FloatArray, p: _Params) -> _Scoring:
    """Step 1: each comparator on the columns that use it (met or not; all-or-nothing)."""
    f = p.flags
    satisfied = np.zeros(v.shape, dtype=bool)
    nearest = np.broadcast_to(p.t, v.shape).copy()
    for name in (">=", "<=", "==", "between", "exists"):
        cols = np.flatnonzero(f[f"cmp{name}"])
        if not cols.size:
            continue
        x, t, th = v[:, cols], p.t[cols], p.th[cols]
        if name == ">=":
            satisfied[:, cols] = x >= t - EPS
        elif name == "<=":
            satisfied[:, cols] = x <= t + EPS
        elif name == "==":
            satisfied[:, cols] = np.abs(x - t) <= p.tol[cols] + EPS
        elif name == "between":
            satisfied[:, cols] = (x >= t - EPS) & (x <= th + EPS)
            nearest[:, cols] = np.clip(np.where(np.isnan(x), t, x), t, th)
        else:
            satisfied[:, cols] = ~np.isnan(x) & (x != 0)
            nearest[:, cols] = np.nan
    return _Scoring(satisfied=satisfied, earned=np.where(satisfied, p.points, 0.0),
                    status=np.where(satisfied, MET, NOT_MET).astype(np.int8),
                    required=nearest.copy(), nearest=nearest)


def _linear(v: FloatArray, p: _Params, s: _Scoring) -> None:
    """Step 2: linear rules give the share of the way from threshold to threshold_high."""
    cols = np.flatnonzero(p.flags["linear"])
    if not cols.size:
        return
    x, t, th, up = v[:, cols], p.t[cols], p.th[cols], p.flags["cmp>="][cols]
    share = np.clip(np.where(up, (x - t) / (th - t), (th - x) / (th - t)), 0.0, 1.0)
    s.earned[:, cols] = share * p.points[cols]
    s.status[:, cols] = _graded(s.earned[:, cols], p.points[cols])
    s.required[:, cols] = np.where(up, th, t)


def _deduction(v: FloatArray, p: _Params, s: _Scoring) -> None:
    """Step 3: deductions take points per unit of shortfall, up to their cap."""
    f = p.flags
    cols = np.flatnonzero(f["deduction"])
    if not cols.size:
        return
    x = v[:, cols]
    shortfall = np.where(s.satisfied[:, cols], 0.0, np.abs(s.nearest[:, cols] - x))
    units = _rounded(shortfall / p.per[cols], f["round_up"][cols], f["round_down"][cols])
    kept = np.maximum(p.points[cols] - np.minimum(units * p.deduct[cols], p.cap[cols]), 0.0)
    s.earned[:, cols] = kept
    s.status[:, cols] = np.where(shortfall <= EPS, MET, np.where(kept > EPS, PARTIAL, NOT_MET))


def _per_unit_bonus(v: FloatArray, p: _Params, s: _Scoring) -> None:
    """Step 4: per-unit bonuses add points per unit beyond the threshold, up to their maximum."""
    f = p.flags
    cols = np.flatnonzero(f["per_unit_bonus"])
    if not cols.size:
        return
    x, t, up, per = v[:, cols], p.t[cols], f["cmp>="][cols], p.per[cols]
    units = _rounded(np.where(up, x - t, t - x) / per, f["round_up"][cols],
                     f["round_down"][cols])
    s.earned[:, cols] = np.minimum(units * p.add[cols], p.points[cols])
    s.status[:, cols] = _graded(s.earned[:, cols], p.points[cols])
    to_full = np.ceil(p.points[cols] / p.add[cols] - EPS) * per
    s.required[:, cols] = np.where(up, t + to_full, t - to_full)


def _outcome(v: FloatArray, p: _Params, s: _Scoring, applicable: BoolArray | None
             ) -> dict[str, npt.NDArray[Any]]:
    """Step 5: missing and not-applicable cells, gaps and vetoes."""
    f = p.flags
    inapplicable = (np.zeros(v.shape, dtype=bool) if applicable is None
                    else ~np.asarray(applicable, dtype=bool))
    missing = np.isnan(v) & ~f["cmpexists"] & ~inapplicable
    status, required = s.status, s.required
    status[missing] = MISSING
    status[inapplicable] = NOT_APPLICABLE
    points_earned = np.where(missing, np.where(f["rescale"], np.nan, 0.0), s.earned)
    points_earned[inapplicable] = np.nan
    gap = required - v
    gap[status == MET] = 0.0
    gap[missing | inapplicable] = np.nan
    required[inapplicable] = np.nan
    return {
        "value": v,
        "status": status,
        "points_earned": points_earned,
        "points_earned_max": np.where(missing & f["flag"], p.points, points_earned),
        "required_value": required,
        "gap": gap,
        "vetoed": f["veto"] & ~inapplicable & ((status == NOT_MET) | (missing & f["zero"])),
        "veto_unknown": f["veto"] & missing & f["flag"],
    }


def score_values(value: FloatArray, criteria: pl.DataFrame, *,
                 applicable: BoolArray | None = None) -> dict[str, npt.NDArray[Any]]:
    """Apply every criterion's comparator and rule to a (pairs, criteria) value array.

    A cell that is not ``applicable`` (the criterion's ``applies_to`` leaves out the region's
    level) gets status ``not_applicable``, no points and no veto, and leaves the denominator
    (its points are rescaled away like the rescale policy's).

    Each comparator and each rule is computed once over all pairs for the columns (criteria)
    that use it, in named steps: compare, linear, deduction, per-unit bonus, outcome.
    Returns ``status`` (index into ``STATUSES``), ``points_earned`` (NaN when left out by the
    rescale policy), ``points_earned_max`` (flagged missing evidence counted as met),
    ``required_value`` (the value that earns full points), ``gap`` (required - value, 0 when
    met, NaN when missing), ``vetoed`` and ``veto_unknown``.
    """
    params = _Params.of(criteria)
    with np.errstate(invalid="ignore", divide="ignore"):
        scoring = _compare(value, params)
        for step in (_linear, _deduction, _per_unit_bonus):
            step(value, params, scoring)
        return _outcome(value, params, scoring, applicable)


def applicable_cells(pairs: pl.DataFrame, criteria: pl.DataFrame) -> BoolArray:
    """(pairs, criteria): True where the criterion applies to the pair's region level."""
    levels = pairs["level"].to_list()
    mask = np.ones((len(levels), criteria.height), dtype=bool)
    for j, allowed in enumerate(criteria["applies_to"].to_list()):
        if allowed is not None:
            mask[:, j] = [level in allowed for level in levels]
    return mask


def _prepare_observations(observations: pl.DataFrame | pl.LazyFrame,
                          years: Sequence[int] | None) -> tuple[pl.DataFrame, tuple[int, ...]]:
    lazy = observations.lazy()
    names = lazy.collect_schema().names()
    missing = [c for c in _OBS_COLUMNS if c not in names]
    if missing:
        raise SchemaError("observations: missing columns: " + ", ".join(missing),
                          reason="missing_column", column=missing[0],
                          hint="pass the observation table (see fzcompare.schema)")
    lazy = lazy.select(
        pl.col("region_code").cast(pl.String), pl.col("year").cast(pl.Int32),
        pl.col("indicator_code").cast(pl.String), pl.col("scope").cast(pl.String),
        pl.col("value").cast(pl.Float64), pl.col("qualifier").cast(pl.String),
    )
    if years is not None:
        years = check_filters(lazy, years=years)[2] or []
        wanted = sorted(set(years) | {y - 1 for y in years})
        lazy = lazy.filter(pl.col("year").is_in(wanted))
    frame = lazy.collect()
    asked = tuple(sorted(set(years))) if years is not None else tuple(
        sorted(frame["year"].unique().drop_nulls().to_list()))
    return frame, asked


def _position(column: str, vocabulary: Sequence[str]) -> pl.Expr:
    """Position of each value of ``column`` in ``vocabulary`` (-1 when absent or null)."""
    if not vocabulary:
        return pl.repeat(-1, pl.len(), dtype=pl.Int64()).alias(column)
    # A non-strict cast to an Enum turns values outside it into nulls.
    return (pl.col(column).cast(pl.String).cast(pl.Enum(list(vocabulary)), strict=False)
            .to_physical().cast(pl.Int64).fill_null(-1))


def _index_of(column: pl.Series, vocabulary: Sequence[str]) -> npt.NDArray[np.int64]:
    return column.to_frame().select(_position(column.name, vocabulary)).to_series().to_numpy()


class _Located(NamedTuple):
    """The scored pairs, and the observations placed in (pair, criterion) cells."""

    pairs: pl.DataFrame  # region_code, year, peer_group, level; sorted by region then year
    peers: str  # how peer groups were formed
    pair: npt.NDArray[np.int64]  # per cell
    criterion: npt.NDArray[np.int64]
    row: npt.NDArray[np.int64]  # the observation's row in the frame
    qualifier: npt.NDArray[np.int8]  # index into QUALIFIER_CODES, -1 for none


def _locate(frame: pl.DataFrame, rubric: CriteriaSet, peers: Peers,
            regions: pl.DataFrame | None) -> _Located:
    """Form the (region, year) pairs to score and place each observation in its cells.

    A criterion with ``scope: whole`` takes the figure whose scope is the region's
    whole-jurisdiction scope; other criteria take the figure with exactly their scope. Text
    columns are turned into positions in small vocabularies once; pairs and cells are then
    found with integer arithmetic (about twice as fast as joins on the text columns).
    """
    criteria = rubric.criteria
    codes = [c for c in criteria["indicator_code"].unique(maintain_order=True).to_list()
             if not c.startswith(UNMAPPED_PREFIX)]
    scopes = sorted({s for s in criteria["scope"].to_list() if s != "whole"}
                    | set(WHOLE_SCOPE_BY_LEVEL.values()))
    region_names = frame["region_code"].drop_nulls().unique().sort()
    positions = frame.select(
        _position("region_code", region_names.to_list()),
        _position("indicator_code", codes), _position("scope", scopes),
        _position("qualifier", QUALIFIER_CODES),
        pl.col("year").cast(pl.Int64).fill_null(-1))
    region, code, scope, qualifier, year = (positions.to_series(i).to_numpy() for i in range(5))
    known = (region >= 0) & (year >= 0)
    if not known.all():
        region, year = np.where(known, region, -1), np.where(known, year, -1)
    first_year = int(year[known].min()) if known.any() else 0
    span = int(year.max()) - first_year + 1 if known.any() else 1
    slot = np.where(known, region * span + (year - first_year), -1)

    # Pairs in slot order are sorted by region, then year.
    present = np.flatnonzero(np.bincount(slot[known], minlength=len(region_names) * span))
    candidates = pl.DataFrame({
        "region_code": region_names.gather(present // span),
        "year": (present % span + first_year).astype(np.int32),
        "slot": present,
    })
    pairs, description = _peer_groups(candidates, rubric, peers, regions)
    pairs = pairs.select("region_code", "year", "peer_group", "level", "slot").sort("slot")
    pair_of_slot = np.full(len(region_names) * span + 1, -1, dtype=np.int64)  # last: unknown
    pair_of_slot[pairs["slot"].to_numpy()] = np.arange(pairs.height)
    pair = pair_of_slot[slot]

    slots = len(scopes) + 1  # the last slot of each indicator stands for ``whole``
    whole_scope_of_level = np.array(
        [scopes.index(s) for s in WHOLE_SCOPE_BY_LEVEL.values()] + [-1], dtype=np.int64)
    pair_whole = whole_scope_of_level[_index_of(pairs["level"], list(WHOLE_SCOPE_BY_LEVEL))]
    usable = (pair >= 0) & (code >= 0) & (scope >= 0)
    rows = np.flatnonzero(usable)
    if rows.size < pair.size:  # boolean masks: faster than gathering by rows
        pair, code, scope, qualifier = pair[usable], code[usable], scope[usable], qualifier[usable]
    whole = scope == pair_whole[pair]
    key = np.concatenate([code * slots + scope, code[whole] * slots + (slots - 1)])
    row = np.concatenate([np.arange(rows.size), np.flatnonzero(whole)])

    # criteria_at[k, key]: the k-th criterion reading the key (a key may be read by several)
    target_code = _index_of(criteria["indicator_code"], codes)
    keep = np.flatnonzero(target_code >= 0)
    target_key = (target_code * slots + _index_of(criteria["scope"], [*scopes, "whole"]))[keep]
    readers = np.bincount(target_key, minlength=len(codes) * slots)
    criteria_at = np.full((max(int(readers.max(initial=0)), 1), readers.size), -1, dtype=np.int64)
    seen = np.zeros(readers.size, dtype=np.int64)
    for criterion, k in zip(criteria["order"].to_numpy()[keep].tolist(), target_key.tolist(),
                            strict=True):
        criteria_at[seen[k], k] = criterion
        seen[k] += 1
    matched_row, matched_criterion = [], []
    for level in criteria_at:
        criterion = level[key]
        hit = criterion >= 0
        matched_row.append(row[hit])
        matched_criterion.append(criterion[hit])
    row = np.concatenate(matched_row)
    return _Located(pairs=pairs.drop("slot"), peers=description, pair=pair[row],
                    criterion=np.concatenate(matched_criterion), row=rows[row],
                    qualifier=qualifier[row].astype(np.int8))


def score(
    observations: pl.DataFrame | pl.LazyFrame,
    rubric: CriteriaSet,
    *,
    years: Sequence[int] | None,
    peers: Peers,
    regions: pl.DataFrame | None,
    previous: bool = True,
) -> Scored:
    """Score every (region, year) pair against every criterion.

    With ``previous`` the year before each asked year is scored too (for rank changes).
    """
    frame, asked = _prepare_observations(observations, years)
    frame = level_scopes(frame).drop("reported_scope")  # each region's own words (全区 ...)
    keep_years = sorted(set(asked) | ({y - 1 for y in asked} if previous else set()))
    frame = frame.filter(pl.col("year").is_in(keep_years))
    located = _locate(frame, rubric, peers, regions)
    pairs = located.pairs
    n = rubric.criteria.height
    flat = located.pair * n + located.criterion
    counts = np.bincount(flat, minlength=pairs.height * n)
    if (counts > 1).any():
        doubled = frame[located.row[counts[flat] > 1]].select(
            "region_code", "year", "indicator_code").unique()
        dup = frame.join(doubled, on=["region_code", "year", "indicator_code"], how="semi")
        first = dup.row(0, named=True)
        key = ", ".join(f"{k}={first[k]}" for k in KEY_COLUMNS)
        msg = f"observations: {dup.height} rows share a key, first: {key}"
        raise SchemaError(msg,
                          reason="duplicate_key", rows=dup,
                          hint="each (region_code, year, indicator_code, scope) may appear once")
    value = np.full(pairs.height * n, np.nan)
    value[flat] = frame["value"].fill_null(np.nan).to_numpy()[located.row]
    qualifier = np.full(pairs.height * n, -1, dtype=np.int8)
    qualifier[flat] = located.qualifier
    arrays = score_values(value.reshape(pairs.height, n), rubric.criteria,
                          applicable=applicable_cells(pairs, rubric.criteria))
    return Scored(pairs=pairs, arrays=arrays,
                  qualifier=qualifier.reshape(pairs.height, n), structure=Structure.of(rubric),
                  years=asked, peers=located.peers, observations=frame)


class Evidence(NamedTuple):
    """Per scored pair (row of ``Scored.pairs``): evidence shares and scores on evidence.

    Built by ``_evidence.evidence_of``; defined here so that ``totals_frame`` can take it
    without an import cycle.
    """

    evidence_share: FloatArray
    points_on_evidence: FloatArray  # NaN when no criterion has evidence
    share_common_set: FloatArray  # NaN when the region has no evidence on the common set
    n_not_applicable: npt.NDArray[np.int64]
    common_set: pl.DataFrame  # COMMON_SET_COLUMNS, one row per peer group x year x criterion



def totals_frame(scored: Scored, rubric: CriteriaSet, evidence: Evidence, *,
                 min_evidence: float) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Totals with verdicts and ranks for every scored pair, and the aggregate arrays.

    A pair whose ``evidence_share`` is below ``min_evidence`` is ``insufficient_evidence``
    and unranked; the others are ranked within peer group and year by points on the criteria
    with evidence (``points_on_evidence``). ``rank_change`` needs a rank in both years.
    """
    structure = scored.structure
    low = structure.aggregate(scored.matrix("points_earned"))
    high = structure.aggregate(scored.matrix("points_earned_max"))
    vetoed = np.asarray(scored.arrays["vetoed"], dtype=bool)
    ids = np.array(rubric.criteria["criterion_id"].to_list(), dtype=object)
    vetoed_by: list[str | None] = [None] * vetoed.shape[0]
    for row in np.flatnonzero(vetoed.any(axis=1)):
        vetoed_by[row] = ",".join(ids[vetoed[row]])
    pass_points = rubric.pass_points
    earned, earned_max = pl.col("points_earned"), pl.col("points_earned_max")
    enough = pl.col("evidence_share") >= min_evidence - EPS
    totals = scored.pairs.with_columns(
        pl.Series("points_possible", low["total_points"]),
        pl.Series("points_earned", low["total"]).fill_nan(None),
        pl.Series("bonus_points", low["total_bonus"]),
        pl.Series("points_earned_max", high["total"]).fill_nan(None),
        pl.Series("vetoed_by", vetoed_by, dtype=pl.String()),
        pl.Series("_veto_unknown", np.asarray(scored.arrays["veto_unknown"]).any(axis=1)),
        pl.Series("n_missing", (scored.arrays["status"] == MISSING).sum(axis=1),
                  dtype=pl.Int32()),
        pl.Series("n_not_applicable", evidence.n_not_applicable, dtype=pl.Int32()),
        pl.Series("evidence_share", evidence.evidence_share, dtype=pl.Float64()),
        pl.Series("points_on_evidence", evidence.points_on_evidence).fill_nan(None),
        pl.Series("share_common_set", evidence.share_common_set).fill_nan(None),
    ).with_columns(
        (earned / pl.col("points_possible")).alias("share"),
        (pl.col("points_on_evidence") / pl.col("points_possible")).alias("share_on_evidence"),
        pl.when(~enough).then(pl.lit("insufficient_evidence"))
        .when(pl.col("vetoed_by").is_not_null()).then(pl.lit("vetoed"))
        .when(earned.is_null()).then(pl.lit("missing_evidence"))
        .when(earned_max < pass_points - EPS).then(pl.lit("fail"))
        .when(~pl.col("_veto_unknown") & (earned >= pass_points - EPS)).then(pl.lit("pass"))
        .otherwise(pl.lit("missing_evidence")).alias("verdict"),
        pl.when(enough).then(pl.col("points_on_evidence")).round(9)
        .rank("min", descending=True).over("peer_group", "year")
        .cast(pl.Int32).alias("rank"),
    ).drop("_veto_unknown")
    previous = totals.select("region_code", (pl.col("year") + 1).cast(pl.Int32).alias("year"),
                             pl.col("rank").alias("prev_rank"))
    totals = totals.join(previous, on=["region_code", "year"], how="left",
                         maintain_order="left").with_columns(
        (pl.col("prev_rank") - pl.col("rank")).alias("rank_change"))
    return totals, {"low": low, "high": high}
