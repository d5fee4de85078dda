"""The frames the suites run on, derived from the observations with polars.

Row-wise checks run on ``observations`` (the data-model columns read into their dtypes, plus a
``row_id`` and a few looked-up helper columns). Cross-row checks run on frames derived first:

* ``relations``: one row per catalog relation instance (or part/whole scope pair) at the same
  region, year and scope, with the figures side by side and the row ids they came from;
* ``year_over_year``: one row per figure compared with a neighbour in its series, with a
  robust z-score of the change.

Every derived row carries the ``row_id``s of the observations it was built from, so failing
rows map back to observations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from fzcompare.catalog import Catalog
from fzcompare.regions import scope_levels
from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA, UNMAPPED_PREFIX
from fzcompare.validate._suites import (
    SCOPE_LEVELS,
    SCOPE_PARTS,
    SCOPE_RELATION,
    YOY_THRESHOLD,
    relation_label,
)

ROW_ID: Final[str] = "row_id"
FRAME_ROW: Final[str] = "frame_row"
HELPER_COLUMNS: Final[tuple[str, ...]] = (
    "catalog_indicator_code", "catalog_kind", "catalog_unit", "region_level", "scope_level",
)
"""Looked-up columns added to the observations frame (see docs/validation.md)."""

BLAMED_ID_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "observations": (ROW_ID,),
    "values": (ROW_ID,),
    "relations": ("numerator_row_id", "denominator_row_id", "target_row_id"),
    "year_over_year": (ROW_ID,),
}
"""For each frame, the columns naming the observation rows a failing frame row blames (a
relation instance blames every figure it joins; a year-over-year row only the figure judged,
not the one it was compared with)."""

YOY_KINDS: Final[tuple[str, ...]] = ("rate", "count", "amount")
YOY_MIN_CHANGES: Final[int] = 10
"""An indicator needs this many changes across regions before its jumps are judged."""
YOY_SCALE_FLOOR: Final[dict[str, float]] = {"rate": 5.0, "log": 0.05}
"""Smallest robust scale: 5 points for rates (1 of 3 -> 0 of 3 is a 33-point move), 0.05
(about 5 %) in log for counts."""
YOY_COUNT_OFFSET: Final[float] = 10.0
"""Added to counts before taking logs, so that 1 -> 4 is no jump but 10 -> 100000 is."""
_MAD_TO_SD: Final[float] = 1.4826


def canonical_observations(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The data-model columns present in ``frame``, cast to their dtypes, with ``row_id``.

    Values that cannot be read as the column's dtype become null (the schema suite's
    not-null expectations report them). Columns other than the data model's are left out.

    Returns:
        The frame and the names of the data-model columns it lacks.
    """
    present = [c for c in OBSERVATION_SCHEMA if c in frame.columns]
    missing = tuple(c for c in OBSERVATION_SCHEMA if c not in frame.columns)
    exprs: list[pl.Expr] = []
    for column in present:
        dtype = OBSERVATION_SCHEMA[column]
        source = frame.schema[column]
        if source == dtype:
            exprs.append(pl.col(column))
        elif dtype == pl.String() and source.is_numeric():
            exprs.append(pl.col(column).cast(pl.String()))
        else:
            exprs.append(pl.col(column).cast(dtype, strict=False))
    out = frame.select(pl.int_range(pl.len(), dtype=pl.Int64()).alias(ROW_ID), *exprs)
    return out, missing


def _mapping_expr(column: str, mapping: Mapping[str, str], name: str) -> pl.Expr:
    if not mapping:
        return pl.lit(None, pl.String()).alias(name)
    return pl.col(column).replace_strict(dict(mapping), default=None,
                                         return_dtype=pl.String()).alias(name)


def add_helper_columns(observations: pl.DataFrame, *, catalog: Catalog,
                       regions: pl.DataFrame, wanted: frozenset[str]) -> pl.DataFrame:
    """Add the looked-up helper columns that some suite uses (and only those)."""
    exprs: list[pl.Expr] = []
    cols = set(observations.columns)
    indicators = catalog.indicators
    if "catalog_indicator_code" in wanted and "indicator_code" in cols:
        exprs.append(pl.when(~pl.col("indicator_code").str.starts_with(UNMAPPED_PREFIX))
                     .then(pl.col("indicator_code")).alias("catalog_indicator_code"))
    if "catalog_kind" in wanted and "indicator_code" in cols:
        exprs.append(_mapping_expr("indicator_code", dict(indicators.select("code", "kind")
                                                          .iter_rows()), "catalog_kind"))
    if "catalog_unit" in wanted and "indicator_code" in cols:
        exprs.append(_mapping_expr("indicator_code", dict(indicators.select("code", "unit")
                                                          .iter_rows()), "catalog_unit"))
    if "region_level" in wanted and "region_code" in cols:
        exprs.append(_mapping_expr("region_code", dict(regions.select("region_code", "level")
                                                       .iter_rows()), "region_level"))
    if "scope_level" in wanted and "scope" in cols and "region_code" not in cols:
        exprs.append(_mapping_expr("scope", SCOPE_LEVELS, "scope_level"))
    frame = observations.with_columns(exprs) if exprs else observations
    if "scope_level" in wanted and "scope" in cols and "region_code" in cols:
        # a scope fits by the region's own words: 全市 is a municipality's (province level)
        # and a county-level city's as well as a prefecture's; 全区 a district's or 自治区's
        pairs = frame.select(pl.col("region_code").cast(pl.String()),
                             pl.col("scope").cast(pl.String())).unique().drop_nulls()
        frame = frame.join(scope_levels(pairs, regions_table=regions), on=["region_code", "scope"],
                           how="left")
    return frame


def values_frame(observations: pl.DataFrame) -> pl.DataFrame:
    """``row_id``, ``indicator_code``, ``value`` and ``non_integer_part`` for the range checks.

    ``non_integer_part`` is ``|value - round(value)| / max(1, |value|)``: 0 for whole numbers
    (up to float noise), 0.2 for a count of 1.2 (a 1.2万 left unmultiplied).
    """
    value = pl.col("value")
    columns = [c for c in ("indicator_code", "value") if c in observations.columns]
    frame = observations.select(ROW_ID, *columns)
    if "value" in columns:
        frame = frame.with_columns(((value - value.round()).abs()
                                    / pl.max_horizontal(value.abs(), 1.0))
                                   .alias("non_integer_part"))
    return frame


def keyed_panel(observations: pl.DataFrame) -> pl.DataFrame:
    """Rows fit for cross-row checks, sorted by series and year, with integer keys.

    Fit: every key column filled and a finite value. Added columns: ``_series`` (one integer
    per region, indicator and scope), ``_site`` (one per region, scope and year), ``_key``
    (per full key) and ``_duplicated`` (the key appears more than once; such rows take no part
    in cross-row checks, the keys suite reports them).
    """
    needed = [*KEY_COLUMNS, "value"]
    keys = {c: pl.UInt64() for c in ("_indicator_code", "_series", "_site", "_key")}
    empty = pl.DataFrame(schema={ROW_ID: pl.Int64(),
                                 **{c: OBSERVATION_SCHEMA[c] for c in [*needed, "qualifier"]},
                                 **keys, "_duplicated": pl.Boolean()})
    if any(c not in observations.columns for c in needed):
        return empty
    qualifier = (pl.col("qualifier") if "qualifier" in observations.columns
                 else pl.lit(None, pl.String()).alias("qualifier"))
    usable = observations.select(ROW_ID, *needed, qualifier).filter(
        pl.all_horizontal([pl.col(c).is_not_null() for c in needed])
        & pl.col("value").is_finite())
    if usable.height == 0:
        return empty
    coded = usable.with_columns([pl.col(c).cast(pl.Categorical()).to_physical()
                                 .cast(pl.UInt64()).alias(f"_{c}")
                                 for c in ("region_code", "indicator_code", "scope")])
    n_indicators = int(coded["_indicator_code"].max()) + 1  # type: ignore[arg-type]
    n_scopes = int(coded["_scope"].max()) + 1  # type: ignore[arg-type]
    first_year = int(coded["year"].min())  # type: ignore[arg-type]
    n_years = int(coded["year"].max()) - first_year + 1  # type: ignore[arg-type]
    year = (pl.col("year") - first_year).cast(pl.UInt64())
    series = (pl.col("_region_code") * n_indicators + pl.col("_indicator_code")) * n_scopes \
        + pl.col("_scope")
    site = (pl.col("_region_code") * n_scopes + pl.col("_scope")) * n_years + year
    keyed = coded.with_columns(series.alias("_series"), site.alias("_site")).with_columns(
        (pl.col("_series") * n_years + year).alias("_key")).sort("_key")
    key = pl.col("_key")
    return keyed.with_columns(
        ((key == key.shift(1)).fill_null(False) | (key == key.shift(-1)).fill_null(False))
        .alias("_duplicated")).drop("_region_code", "_scope")


_RELATIONS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "relation": pl.String(), "region_code": pl.String(), "year": pl.Int32(),
    "scope": pl.String(), "indicator_code": pl.String(),
    "numerator_code": pl.String(), "denominator_code": pl.String(), "target_code": pl.String(),
    "numerator": pl.Float64(), "denominator": pl.Float64(), "target": pl.Float64(),
    "numerator_row_id": pl.Int64(), "denominator_row_id": pl.Int64(),
    "target_row_id": pl.Int64(), "implied_rate": pl.Float64(), "rate_excess": pl.Float64(),
}


def _reported_half_unit(value: pl.Expr) -> pl.Expr:
    """Half a unit of the last decimal a rate was reported to (0.5 for 98, 0.05 for 98.6)."""
    half = pl.lit(0.5 * 10.0 ** -4)
    for decimals in range(3, -1, -1):
        scaled = value * 10.0 ** decimals
        half = pl.when((scaled - scaled.round()).abs() < 1e-6).then(
            pl.lit(0.5 * 10.0 ** -decimals)).otherwise(half)
    return half


def relations_frame(observations: pl.DataFrame, catalog: Catalog,
                    panel: pl.DataFrame | None = None) -> pl.DataFrame:
    """Catalog relations and part/whole scope pairs, one row per instance.

    Only figures whose qualifier is ``eq`` take part (a "more than 1000" cannot contradict
    anything), and only keys that appear once.

    Args:
        observations: Canonical observations (with ``row_id``).
        catalog: The catalog whose relations are checked.
        panel: ``keyed_panel`` of the observations, if already made.
    """
    panel = keyed_panel(observations) if panel is None else panel
    usable = panel.filter(~pl.col("_duplicated") & (pl.col("qualifier") == "eq"))
    relations = catalog.relations
    codes = set(relations["numerator"].to_list()) | set(relations["denominator"].to_list()) \
        | {c for c in relations["target"].to_list() if c is not None}
    site = ["_site"]
    involved = usable.filter(pl.col("indicator_code").is_in(sorted(codes)))
    by_code = {str(key[0]): part for key, part in
               involved.partition_by("indicator_code", as_dict=True).items()}
    empty_part = involved.clear()
    pieces: list[pl.DataFrame] = []

    def figure(code: str | None, role: str, *, place: bool = False) -> pl.DataFrame:
        part = by_code.get(code, empty_part) if code is not None else empty_part
        where = ["region_code", "year", "scope"] if place else []
        return part.select(*site, *where, pl.col("value").alias(role),
                           pl.col(ROW_ID).alias(f"{role}_row_id"))

    for rel in relations.iter_rows(named=True):
        label = relation_label(rel["kind"], rel["target"], rel["numerator"], rel["denominator"])
        joined = figure(rel["numerator"], "numerator", place=True).join(
            figure(rel["denominator"], "denominator"), on=site, how="inner")
        if rel["kind"] == "ratio":
            joined = joined.join(figure(rel["target"], "target"), on=site, how="inner")
        else:
            joined = joined.with_columns(pl.lit(None, pl.Float64()).alias("target"),
                                         pl.lit(None, pl.Int64()).alias("target_row_id"))
        pieces.append(joined.with_columns(
            pl.lit(label).alias("relation"), pl.lit(None, pl.String()).alias("indicator_code"),
            pl.lit(rel["numerator"]).alias("numerator_code"),
            pl.lit(rel["denominator"]).alias("denominator_code"),
            pl.lit(rel["target"], pl.String()).alias("target_code")))

    kinds = dict(catalog.indicators.select("code", "kind").iter_rows())
    additive = [c for c, k in kinds.items() if k in ("count", "amount")]
    counts = usable.filter(pl.col("scope").is_in([*SCOPE_PARTS, *SCOPE_PARTS.values()])
                           & pl.col("indicator_code").is_in(additive))
    place = ["region_code", "year", "indicator_code"]
    parts = counts.filter(pl.col("scope").is_in(list(SCOPE_PARTS))).select(
        *place, "scope",
        pl.col("scope").replace_strict(SCOPE_PARTS, return_dtype=pl.String()).alias("whole"),
        pl.col("value").alias("numerator"), pl.col(ROW_ID).alias("numerator_row_id"))
    wholes = counts.filter(pl.col("scope").is_in(list(SCOPE_PARTS.values()))).select(
        *place, pl.col("scope").alias("whole"),
        pl.col("value").alias("denominator"), pl.col(ROW_ID).alias("denominator_row_id"))
    pieces.append(parts.join(wholes, on=[*place, "whole"], how="inner").with_columns(
        pl.lit(SCOPE_RELATION).alias("relation"),
        pl.concat_str([pl.col("indicator_code"), pl.col("scope")], separator=" ")
        .alias("numerator_code"),
        pl.concat_str([pl.col("indicator_code"), pl.col("whole")], separator=" ")
        .alias("denominator_code"),
        pl.lit(None, pl.String()).alias("target_code"),
        pl.lit(None, pl.Float64()).alias("target"),
        pl.lit(None, pl.Int64()).alias("target_row_id")).drop("whole"))

    frame = pl.concat([p.select([pl.col(c).cast(t) for c, t in _RELATIONS_SCHEMA.items()
                                 if c not in ("implied_rate", "rate_excess")])
                       for p in pieces], how="vertical")
    implied = pl.when(pl.col("denominator") > 0).then(
        100.0 * pl.col("numerator") / pl.col("denominator"))
    excess = pl.max_horizontal(
        (pl.col("target") - pl.col("implied_rate")).abs() - _reported_half_unit(pl.col("target")),
        pl.lit(0.0))
    frame = frame.with_columns(implied.alias("implied_rate")).with_columns(
        pl.when(pl.col("implied_rate").is_not_null() & pl.col("target").is_not_null())
        .then(excess).alias("rate_excess"))
    return frame.with_row_index(FRAME_ROW).with_columns(pl.col(FRAME_ROW).cast(pl.Int64()))


_YOY_SCHEMA: Final[dict[str, pl.DataType]] = {
    ROW_ID: pl.Int64(), "region_code": pl.String(), "indicator_code": pl.String(),
    "scope": pl.String(), "year": pl.Int32(), "value": pl.Float64(),
    "compared_row_id": pl.Int64(), "compared_year": pl.Int32(), "compared_value": pl.Float64(),
    "change": pl.Float64(), "robust_z": pl.Float64(), "pattern": pl.String(),
}


def _year_over_year_base(observations: pl.DataFrame, catalog: Catalog, *,
                         panel: pl.DataFrame | None) -> pl.DataFrame:
    """Judgeable figures in series order, with ``x`` (points or log), neighbours and ``change``."""
    panel = keyed_panel(observations) if panel is None else panel
    kinds = {c: k for c, k in catalog.indicators.select("code", "kind").iter_rows()
             if k in YOY_KINDS}
    value = pl.col("value")
    kind = pl.col("indicator_code").replace_strict(kinds, default=None,
                                                   return_dtype=pl.String())
    base = panel.filter(~pl.col("_duplicated")).select(
        ROW_ID, "region_code", "indicator_code", "scope", "year", "value", "_series",
        "_indicator_code", kind.alias("kind"),
    ).with_columns(
        pl.when(pl.col("kind") == "rate").then(value)
        .when(pl.col("kind").is_not_null() & (value >= 0))
        .then((value + YOY_COUNT_OFFSET).log()).alias("x")
    ).filter(pl.col("x").is_not_null())
    series = pl.col("_series")
    same_prev = (series == series.shift(1)).fill_null(False)
    same_next = (series == series.shift(-1)).fill_null(False)
    same_prev2 = same_prev & (series == series.shift(2)).fill_null(False)
    index = pl.int_range(pl.len())

    def shifted(column: str, n: int, same: pl.Expr) -> pl.Expr:
        return pl.when(same).then(pl.col(column).shift(n))

    base = base.with_columns(
        same_prev.alias("_same_prev"), same_next.alias("_same_next"),
        shifted("x", 1, same_prev).alias("x_prev"),
        shifted("x", 2, same_prev2).alias("x_prev2"),
        shifted("x", -1, same_next).alias("x_next"),
        (index - pl.when(~same_prev).then(index).forward_fill()).alias("position"),
    ).with_columns(
        (pl.col("x") - pl.col("x_prev")).alias("change"),
        pl.len().over("_series").alias("length"),
    )
    return base


def _year_over_year_stats(base: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per indicator (``key``): the centre and robust scale of its changes."""
    change = pl.col("change")
    off_center = change.filter(change != change.median())
    stats = base.group_by(key).agg(
        change.median().alias("center"),
        (off_center - change.median()).abs().median().alias("mad"),
        change.count().alias("n_changes"),
        pl.col("kind").first(),
    )
    floor = pl.when(pl.col("kind") == "rate").then(pl.lit(YOY_SCALE_FLOOR["rate"])) \
        .otherwise(pl.lit(YOY_SCALE_FLOOR["log"]))
    return stats.select(
        key, "center",
        pl.when(pl.col("n_changes") >= YOY_MIN_CHANGES)
        .then(pl.max_horizontal(_MAD_TO_SD * pl.col("mad").fill_null(0.0), floor))
        .alias("scale"))


def year_over_year_changes(observations: pl.DataFrame, catalog: Catalog, *,
                           panel: pl.DataFrame | None = None) -> pl.DataFrame:
    """``indicator_code``, ``kind`` and ``change`` of every judgeable change (for the stats).

    The changes of a frame split by region, concatenated, give the same stats as the whole.
    """
    base = _year_over_year_base(observations, catalog, panel=panel)
    return base.select(pl.col("indicator_code").cast(pl.Categorical()), "kind", "change") \
        .drop_nulls("change")


def year_over_year_stats(changes: pl.DataFrame) -> pl.DataFrame:
    """``indicator_code``, ``center``, ``scale`` from ``year_over_year_changes`` output."""
    return _year_over_year_stats(changes, "indicator_code").with_columns(
        pl.col("indicator_code").cast(pl.String()))


def year_over_year_frame(observations: pl.DataFrame, catalog: Catalog, *,
                         threshold: float = YOY_THRESHOLD,
                         panel: pl.DataFrame | None = None,
                         stats: pl.DataFrame | None = None) -> pl.DataFrame:
    """Each figure against its series neighbour, with a robust z-score of the change.

    A series is (region, indicator, scope) over years; rates, counts and amounts take part.
    Changes are percentage points for rates and ``log((value + 10) / (previous + 10))`` for
    counts and amounts (the 10 damps the noise of small counts: 1 -> 4 is no jump, 3 -> 30000
    is). Each indicator's changes across all regions and years give a median and a median
    absolute deviation of the changes that differ from the median (so that figures repeated
    year after year, such as rates stuck at 100 %, do not shrink it to nothing); the scale is
    1.4826 times that, at least 5 points for rates and 0.05 for counts, and
    ``robust_z = (change - median) / scale``. Indicators with fewer than 10 changes are not
    judged.

    A figure is judged by the change that leads to it, except:

    * a spike (a jump in and a jump back out, in opposite directions) is blamed on the
      figure in the middle, and the figure after it is compared with the one before the
      spike instead (``pattern`` = ``after_spike``);
    * a jump between the first two figures of a series of three or more, with no jump after,
      is blamed on the first figure (``first``), which otherwise is not judged.

    ``threshold`` decides what counts as a jump for these two rules; the year-over-year
    suite's expectation applies the threshold to ``robust_z``.
    """
    base = _year_over_year_base(observations, catalog, panel=panel)
    if stats is None:
        judged = base.join(_year_over_year_stats(base, "_indicator_code"), on="_indicator_code",
                           how="left", maintain_order="left")
    else:
        judged = base.join(stats, on="indicator_code", how="left", maintain_order="left")

    def z(delta: pl.Expr) -> pl.Expr:
        return (delta - pl.col("center")) / pl.col("scale")

    judged = judged.with_columns(z(pl.col("change")).alias("z_in"),
                                 z(pl.col("x_next") - pl.col("x")).alias("z_out"))
    jump_in = (pl.col("z_in").abs() > threshold).fill_null(False)
    jump_out = (pl.col("z_out").abs() > threshold).fill_null(False)
    spike = jump_in & jump_out & (pl.col("z_in").sign() != pl.col("z_out").sign())
    # the first figure is the odd one out: a jump into the second figure, none after it
    odd_first_next = (pl.col("position") == 1) & (pl.col("length") >= 3) & jump_in & ~jump_out
    judged = judged.with_columns(spike.alias("spike"), odd_first_next.alias("after_odd_first"))
    judged = judged.with_columns(
        (pl.col("_same_prev") & pl.col("spike").shift(1).fill_null(False)).alias("after_spike"),
        (pl.col("_same_next") & pl.col("after_odd_first").shift(-1).fill_null(False))
        .alias("odd_first"),
    )
    pattern = (pl.when(pl.col("odd_first")).then(pl.lit("first"))
               .when(pl.col("position") == 0).then(pl.lit(None, pl.String()))
               .when(pl.col("spike")).then(pl.lit("spike"))
               .when(pl.col("after_spike")).then(pl.lit("after_spike"))
               .when(pl.col("after_odd_first")).then(pl.lit("after_odd_first"))
               .otherwise(pl.lit("change")))
    robust_z = (pl.when(pl.col("pattern") == "first").then(-pl.col("z_out"))
                .when(pl.col("pattern") == "after_spike")
                .then(z(pl.col("x") - pl.col("x_prev2")))
                .when(pl.col("pattern") == "after_odd_first").then(pl.col("z_out"))
                .otherwise(pl.col("z_in")))
    offset = (pl.when(pl.col("pattern").is_in(["first", "after_odd_first"])).then(pl.lit(-1))
              .when(pl.col("pattern") == "after_spike").then(pl.lit(2))
              .otherwise(pl.lit(1)))

    def compared(column: str) -> pl.Expr:
        return (pl.when(offset == -1).then(pl.col(column).shift(-1))
                .when(offset == 2).then(pl.col(column).shift(2))
                .otherwise(pl.col(column).shift(1)))

    judged = judged.with_columns(pattern.alias("pattern")).with_columns(
        robust_z.alias("robust_z"),
        compared(ROW_ID).alias("compared_row_id"),
        compared("year").alias("compared_year"),
        compared("value").alias("compared_value"),
    )
    frame = judged.select([pl.col(c).cast(t) for c, t in _YOY_SCHEMA.items()]).filter(
        pl.col("pattern").is_not_null() & pl.col("robust_z").is_not_null())
    return frame.with_row_index(FRAME_ROW).with_columns(pl.col(FRAME_ROW).cast(pl.Int64()))
