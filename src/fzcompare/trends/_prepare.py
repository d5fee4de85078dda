"""Turn an observation frame into sorted NumPy arrays, one contiguous block per series.

Private helper of ``fzcompare.trends``. A *series* is one (region_code, indicator_code,
scope); its rows are sorted by year. Key strings are dictionary-encoded (lexically sorted
dictionaries), so sorting is one integer argsort and output columns are cheap gathers from
small dictionaries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare._names import check_filters
from fzcompare.catalog import Catalog, load_catalog, load_regions
from fzcompare.errors import ArgumentTypeError, SchemaError
from fzcompare.trends._vocab import DIRECTIONS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, ROW_REASONS

IntArray = npt.NDArray[np.signedinteger[Any]]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]



@dataclass(frozen=True)
class Panel:
    """Observations sorted by (region, indicator, scope, year), as arrays.

    Per-row arrays are in sorted order. ``*_names`` are the lexically sorted dictionaries of
    the code arrays. Series ``k`` occupies rows ``start[k] : start[k] + length[k]``.
    """

    region_names: pl.Series
    indicator_names: pl.Series
    scope_names: pl.Series
    unit_names: pl.Series
    qualifier_names: pl.Series
    source_names: pl.Series | None
    region: IntArray
    indicator: IntArray
    scope: IntArray
    unit: IntArray
    qualified: BoolArray
    qualifier: IntArray
    source: IntArray | None
    year: IntArray
    value: FloatArray
    row_reason: IntArray
    series: IntArray
    start: IntArray
    length: IntArray
    direction: IntArray
    band_low: FloatArray
    band_high: FloatArray
    kind: list[str | None]
    bound_low: FloatArray
    bound_high: FloatArray

    @property
    def n_rows(self) -> int:
        return int(self.year.shape[0])

    @property
    def n_series(self) -> int:
        return int(self.start.shape[0])

    @property
    def usable(self) -> BoolArray:
        return np.asarray(self.row_reason == 0, dtype=np.bool_)


def _schema_error(message: str, *, reason: str, column: str | None = None,
                  rows: pl.DataFrame | None = None, hint: str | None = None) -> SchemaError:
    return SchemaError(message, hint=hint, path="", column=column, reason=reason, rows=rows)


def _select_input(
    obs: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None,
    regions: Iterable[str] | None,
    years: Iterable[int] | None,
    catalog_codes: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    if not isinstance(obs, pl.DataFrame | pl.LazyFrame):
        msg = f"expected a polars DataFrame or LazyFrame, got {type(obs).__name__}"
        raise ArgumentTypeError(
            msg,
            hint="read the dataset with fzcompare.load() or pass pl.DataFrame(...)")
    lazy = obs.lazy()
    schema = lazy.collect_schema()
    missing = [c for c in REQUIRED_COLUMNS if c not in schema]
    if missing:
        raise _schema_error(
            "observations: missing columns: " + ", ".join(missing), reason="missing_column",
            hint="trends need region_code, year, indicator_code, scope and value "
                 "(unit, qualifier and source_id are used when present)")
    for column in ("region_code", "indicator_code", "scope"):
        dtype = schema[column]
        if not (dtype in (pl.String(), pl.Null()) or isinstance(dtype, pl.Enum | pl.Categorical)):
            msg = (
                f"observations: column {column!r}: expected text, found "
                                f"{dtype}"
            )
            raise _schema_error(msg, reason="wrong_type", column=column)
    keep = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in schema]
    lazy = lazy.select(keep).with_columns(
        pl.col("region_code", "indicator_code", "scope").cast(pl.String))
    indicators, regions, year_list = check_filters(
        lazy, indicators=indicators, regions=regions, years=years, catalog_codes=catalog_codes,
        regions_table=None if regions is None else load_regions())
    if indicators is not None:
        lazy = lazy.filter(pl.col("indicator_code").is_in(indicators))
    if regions is not None:
        lazy = lazy.filter(pl.col("region_code").is_in(regions))
    if year_list is not None and schema["year"].is_integer():
        lazy = lazy.filter(pl.col("year").is_in(year_list))
        year_list = None
    frame = lazy.collect()
    frame = _check_years(frame)
    if year_list is not None:
        frame = frame.filter(pl.col("year").is_in(year_list))
    return frame


def _check_years(frame: pl.DataFrame) -> pl.DataFrame:
    year = frame.get_column("year")
    if year.dtype.is_integer():
        years = year.cast(pl.Int64)
    elif year.dtype.is_float() or year.dtype == pl.String():
        years = year.cast(pl.Float64, strict=False)
    else:
        msg = (
            f"observations: column 'year': expected whole years, found "
                            f"{year.dtype}"
        )
        raise _schema_error(msg, reason="wrong_type", column="year")
    not_whole = (year.is_not_null() & (years.is_null() | (years.round(0) != years)))
    if not_whole.any():
        bad = frame.with_row_index("row").filter(not_whole)
        msg = (
            f"observations: column 'year': {bad.height} value(s) are not whole years, "
            f"first at row {bad['row'][0]}: {bad['year'][0]!r}"
        )
        raise _schema_error(
            msg, reason="bad_year",
            column="year", rows=bad)
    frame = frame.with_columns(years.cast(pl.Int32).alias("year"))
    for column in ("region_code", "indicator_code", "scope", "year"):
        nulls = frame.get_column(column).is_null()
        if nulls.any():
            bad = frame.with_row_index("row").filter(nulls)
            msg = (
                f"observations: column {column!r}: {bad.height} empty value(s), first at row "
                f"{bad['row'][0]}"
            )
            raise _schema_error(
                msg, reason="null_value", column=column, rows=bad,
                hint="every observation needs a region, year, indicator and scope")
    return frame


def _value_and_reason(frame: pl.DataFrame) -> tuple[FloatArray, IntArray]:
    raw = frame.get_column("value")
    if raw.dtype == pl.String():
        value = raw.str.strip_chars().cast(pl.Float64, strict=False)
        non_numeric = (value.is_null() & raw.is_not_null()).to_numpy()
    elif raw.dtype.is_numeric() or raw.dtype == pl.Null():
        value = raw.cast(pl.Float64)
        non_numeric = np.zeros(frame.height, dtype=np.bool_)
    else:
        msg = f"observations: column 'value': expected numbers, found {raw.dtype}"
        raise _schema_error(msg,
                            reason="wrong_type", column="value")
    values = value.to_numpy().astype(np.float64, copy=True)
    reason = np.zeros(frame.height, dtype=np.int8)
    missing = np.isnan(values) & ~non_numeric
    is_null = value.is_null().to_numpy()
    reason[missing & is_null] = ROW_REASONS.index("missing_value") + 1
    reason[non_numeric] = ROW_REASONS.index("non_numeric") + 1
    reason[(~np.isfinite(values)) & ~is_null] = ROW_REASONS.index("non_finite") + 1
    values[reason != 0] = np.nan
    return values, reason


def _catalog_arrays(indicator_names: pl.Series, catalog: Catalog) -> dict[str, object]:
    table = pl.DataFrame({"code": indicator_names}).join(
        catalog.indicators.select("code", "direction", "kind", "typical_low", "typical_high",
                                  "min_value", "max_value"),
        on="code", how="left", maintain_order="left")
    direction = np.array([0 if d is None else DIRECTIONS.index(d) + 1
                          for d in table["direction"].to_list()], dtype=np.int64)

    def floats(name: str, fill: float) -> FloatArray:
        return table.get_column(name).fill_null(fill).to_numpy().astype(np.float64)

    return {
        "direction": direction,
        "band_low": floats("typical_low", -np.inf),
        "band_high": floats("typical_high", np.inf),
        "kind": table.get_column("kind").to_list(),
        "bound_low": floats("min_value", -np.inf),
        "bound_high": floats("max_value", np.inf),
    }


def _encode_all(frame: pl.DataFrame) -> tuple[dict[str, pl.Series], dict[str, IntArray]]:
    """Lexically sorted dictionaries and int32 codes for the text columns, in parallel."""
    text = {
        "region_code": pl.col("region_code"),
        "indicator_code": pl.col("indicator_code"),
        "scope": pl.col("scope"),
        "unit": (pl.col("unit").cast(pl.String).fill_null("") if "unit" in frame.columns
                 else pl.repeat(pl.lit(""), pl.len())),
        "qualifier": (pl.col("qualifier").cast(pl.String).fill_null("eq")
                      if "qualifier" in frame.columns else pl.repeat(pl.lit("eq"), pl.len())),
    }
    if "source_id" in frame.columns:
        text["source_id"] = pl.col("source_id").cast(pl.String).fill_null("")
    uniques = frame.lazy().select(
        [expr.unique().sort().implode().alias(name) for name, expr in text.items()]
    ).collect()
    dictionaries = {name: uniques.get_column(name).explode().alias(name) for name in text}
    codes_frame = frame.lazy().select(
        [expr.cast(pl.Enum(dictionaries[name])).to_physical().cast(pl.Int32).alias(name)
         for name, expr in text.items()]
    ).collect()
    codes = {name: codes_frame.get_column(name).to_numpy() for name in text}
    return dictionaries, codes


def prepare(
    obs: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    catalog: Catalog | None = None,
) -> Panel:
    """Validate, filter, encode and sort observations into a ``Panel``.

    Raises:
        SchemaError: If a required column is missing, a key column is empty, or a year is
            not a whole number. Value problems (empty, unreadable, NaN/inf) and duplicate
            years do not raise: those rows are kept and carry a row reason.
    """
    catalog = catalog if catalog is not None else load_catalog()
    frame = _select_input(obs, indicators=indicators, regions=regions, years=years,
                          catalog_codes=catalog.codes)
    values, reason = _value_and_reason(frame)
    dictionaries, codes = _encode_all(frame)
    year = frame.get_column("year").to_numpy().astype(np.int32)
    region, indicator, scope = codes["region_code"], codes["indicator_code"], codes["scope"]
    order = _sort_order(region, indicator, scope, year,
                        (len(dictionaries["region_code"]), len(dictionaries["indicator_code"]),
                         len(dictionaries["scope"])))
    region, indicator, scope = region[order], indicator[order], scope[order]
    unit, qualifier = codes["unit"][order], codes["qualifier"][order]
    year, values, reason = year[order], values[order], reason[order]
    source = codes["source_id"][order] if "source_id" in codes else None
    del frame, codes

    n = year.shape[0]
    new_series = np.ones(n, dtype=np.bool_)
    if n > 1:
        new_series[1:] = ((region[1:] != region[:-1]) | (indicator[1:] != indicator[:-1])
                          | (scope[1:] != scope[:-1]))
    start = np.flatnonzero(new_series).astype(np.int64)
    series = (np.cumsum(new_series, dtype=np.int32) - 1).astype(np.int32)
    length = np.diff(np.append(start, n)).astype(np.int64)

    if n > 1:
        same_year = ~new_series[1:] & (year[1:] == year[:-1])
        if same_year.any():
            duplicate = np.zeros(n, dtype=np.bool_)
            duplicate[1:] |= same_year
            duplicate[:-1] |= same_year
            reason[duplicate] = ROW_REASONS.index("duplicate_year") + 1
            values[duplicate] = np.nan

    qualifier_names = dictionaries["qualifier"]
    qualified = qualifier != _code_of(qualifier_names, "eq")
    arrays = _catalog_arrays(dictionaries["indicator_code"], catalog)
    return Panel(
        region_names=dictionaries["region_code"],
        indicator_names=dictionaries["indicator_code"],
        scope_names=dictionaries["scope"], unit_names=dictionaries["unit"],
        qualifier_names=qualifier_names, source_names=dictionaries.get("source_id"),
        region=region, indicator=indicator, scope=scope, unit=unit, qualified=qualified,
        qualifier=qualifier, source=source, year=year, value=values, row_reason=reason,
        series=series, start=start, length=length,
        direction=arrays["direction"],  # type: ignore[arg-type]
        band_low=arrays["band_low"],  # type: ignore[arg-type]
        band_high=arrays["band_high"],  # type: ignore[arg-type]
        kind=arrays["kind"],  # type: ignore[arg-type]
        bound_low=arrays["bound_low"],  # type: ignore[arg-type]
        bound_high=arrays["bound_high"],  # type: ignore[arg-type]
    )


def _code_of(names: pl.Series, name: str) -> int:
    hits = np.flatnonzero((names == name).to_numpy())
    return int(hits[0]) if hits.size else -1


def _sort_order(region: IntArray, indicator: IntArray, scope: IntArray, year: IntArray,
                sizes: tuple[int, int, int]) -> IntArray:
    """Row order by (region, indicator, scope, year); rows sharing a key keep input order."""
    n = year.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    n_region, n_indicator, n_scope = sizes
    year_min = int(year.min())
    year_span = int(year.max()) - year_min + 1
    key_space = float(n_region) * n_indicator * n_scope * year_span
    if key_space >= 2.0**62:
        return np.lexsort((year, scope, indicator, region)).astype(np.int64)
    key = ((region.astype(np.int64) * n_indicator + indicator) * n_scope + scope) * year_span
    key += year - year_min
    if key_space <= 8.0 * n + 1024:
        # Dense panels: place each row in its key's slot; valid when no key repeats.
        slots = np.full(int(key_space), -1, dtype=np.int64)
        slots[key] = np.arange(n, dtype=np.int64)
        order = slots[slots >= 0]
        if order.shape[0] == n:
            return order
    return np.argsort(key, kind="stable").astype(np.int64)
