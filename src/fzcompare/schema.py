"""The data-model columns and dtypes, and the checks that tables follow them.

The observation table is the public contract of fzcompare (see ``docs/data-model.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, TypeVar

import polars as pl

from fzcompare.errors import SchemaError

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

__all__ = [
    "DERIVED_DISCLOSURES",
    "DISCLOSED_STATES",
    "DISCLOSURE_STATES",
    "KEY_COLUMNS",
    "OBSERVATION_DEFAULTS",
    "OBSERVATION_SCHEMA",
    "QUALIFIERS",
    "REPORT_KINDS",
    "SCOPES",
    "SCOPE_SUFFIXES",
    "SOURCE_DEFAULTS",
    "SOURCE_KINDS",
    "SOURCE_SCHEMA",
    "STORED_DISCLOSURES",
    "UNMAPPED_PREFIX",
    "added_columns",
    "check_observations",
    "conform_observations",
    "conform_sources",
    "empty_observations",
    "scope_words",
    "with_added_columns",
]

OBSERVATION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "region_code": pl.String(),
    "year": pl.Int32(),
    "indicator_code": pl.String(),
    "scope": pl.String(),
    "value": pl.Float64(),
    "unit": pl.String(),
    "qualifier": pl.String(),
    "source_id": pl.String(),
    "quote": pl.String(),
    "disclosure": pl.String(),
}
"""Column name -> dtype of the observation table, in canonical order."""

STORED_DISCLOSURES: Final[tuple[str, ...]] = ("reported", "no_number", "withheld")
"""The ``disclosure`` values an observation row may hold.

``reported`` a figure was published (``value`` holds it; a published zero is ``reported``
with value 0); ``no_number`` the report makes a statement about the indicator without a
figure (a 全覆盖-type sentence the catalog does not define as 100 %; ``value`` is null);
``withheld`` the publication says explicitly that the figure is not disclosed (cells such as
``—``, ``/``, ``未公开``; ``value`` is null).
"""

DERIVED_DISCLOSURES: Final[tuple[str, ...]] = ("zero", "not_disclosed", "no_report",
                                               "not_applicable")
"""States computed by ``fzcompare.disclosure_frame`` and ``fzcompare.coverage``, never stored.

``zero`` a ``reported`` row whose value is 0; ``not_disclosed`` the sources hold a report
for the region-year but no row for the indicator; ``no_report`` the sources hold no report
for the region-year; ``not_applicable`` a rubric criterion that does not apply to the
region's level (set by the benchmark, not by the data).
"""

DISCLOSURE_STATES: Final[tuple[str, ...]] = ("reported", "zero", "no_number", "withheld",
                                             "not_disclosed", "no_report", "not_applicable")
"""Every disclosure state, stored and derived, in display order."""

DISCLOSED_STATES: Final[frozenset[str]] = frozenset({"reported", "zero", "no_number"})
"""States in which the report says something about the indicator."""

OBSERVATION_DEFAULTS: Final[dict[str, pl.Expr]] = {
    "disclosure": pl.when(pl.col("value").is_not_null()).then(pl.lit("reported"))
    .otherwise(pl.lit(None, pl.String())),
}
"""Observation columns added after the first datasets were written, and what old rows take.

A dataset written before ``disclosure`` existed could only hold published figures (its
``value`` was required), so a row with a value reads as ``reported``; a row without one gets
no state and fails the schema check (nothing is guessed for it).
"""

KEY_COLUMNS: Final[tuple[str, ...]] = ("region_code", "year", "indicator_code", "scope")
"""The columns that identify one observation; a dataset holds each key at most once."""

QUALIFIERS: Final[frozenset[str]] = frozenset({"eq", "gt", "ge", "lt", "le", "approx"})
"""``eq`` exact; ``gt`` 超过; ``ge`` 以上/不少于; ``lt``/``le`` below; ``approx`` 约/近/余/多."""

SCOPE_SUFFIXES: Final[tuple[str, ...]] = ("省", "市", "区", "县", "州", "盟", "旗", "地区", "镇")
"""The words a government uses for itself in scope words (全区, 区本级, 区直): 省, 市 (直辖市,
地级市, 县级市), 区 (自治区, 市辖区, 林区, 特区), 县 (县, 自治县), 州, 盟, 旗, 地区, and 镇
for townships a dataset registers."""


def scope_words(suffix: str, level: str | None = None) -> dict[str, str]:
    """Scope kind (``all``, ``own``, ``direct``) -> data-model scope for a region's suffix.

    Examples:
        >>> scope_words("区")
        {'all': '全区', 'own': '区本级', 'direct': '区直'}
        >>> scope_words("地区")["direct"], scope_words("国", "country")["own"]
        ('地直', '全国')
    """
    if level == "country" or suffix == "国":
        return {"all": "全国", "own": "全国", "direct": "全国"}
    direct = "地直" if suffix == "地区" else f"{suffix}直"
    return {"all": f"全{suffix}", "own": f"{suffix}本级", "direct": direct}


SCOPES: Final[frozenset[str]] = frozenset(
    {"全国"} | {scope for suffix in SCOPE_SUFFIXES for scope in scope_words(suffix).values()}
)
"""Whose figure it is: the whole area (全省, 全市, 全区, 全县, 全州, 全盟, 全旗 ...), the
government's own level (省本级, 市本级, 区本级 ...) or its departments (省直, 市直 ...).
Datasets written before the national table used ``全县`` for every county-level division;
those values stay valid. ``fzcompare.regions.scope_names`` gives a region's own three."""

SOURCE_KINDS: Final[frozenset[str]] = frozenset({"report", "news", "statistics", "synthetic"})

SOURCE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "source_id": pl.String(),
    "title": pl.String(),
    "publisher": pl.String(),
    "published": pl.Date(),
    "url": pl.String(),
    "kind": pl.String(),
    "region_code": pl.String(),
    "year": pl.Int32(),
    "note": pl.String(),
}
"""Column name -> dtype of the sources table.

``region_code`` and ``year`` name the government whose report the source is and the year it
reports on (both null for sources that are not one government's report of one year, such as
a compilation). Whether a region-year has a report is read from these columns only.
"""

SOURCE_DEFAULTS: Final[dict[str, pl.Expr]] = {"region_code": pl.lit(None, pl.String()),
                                               "year": pl.lit(None, pl.Int32())}
"""Source columns added after the first datasets were written, and what old rows take (null:
an old source is not known to be one government's report of one year)."""

REPORT_KINDS: Final[frozenset[str]] = frozenset({"report", "synthetic"})
"""Source kinds that stand for a government's own annual report (synthetic: its stand-in)."""

UNMAPPED_PREFIX: Final[str] = "unmapped_"
"""Indicator codes starting with this prefix hold figures that fit no catalog code.

They are kept (never dropped), pass the loader's code check, and are left out of scoring.
"""

_REGION_CODE_PATTERN: Final[str] = r"^\d{6}$"


def empty_observations() -> pl.DataFrame:
    """An observation table with no rows and the canonical schema.

    Examples:
        >>> empty_observations().columns[:4]
        ['region_code', 'year', 'indicator_code', 'scope']
    """
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def conform_observations(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the columns an older dataset lacks, filled with their defaults.

    Examples:
        >>> import polars as pl
        >>> old = empty_observations().drop("disclosure").vstack(pl.DataFrame(
        ...     [("420300", 2023, "x", "全市", 1.0, "%", "eq", "s", "q")],
        ...     schema={c: t for c, t in OBSERVATION_SCHEMA.items() if c != "disclosure"},
        ...     orient="row"))
        >>> conform_observations(old)["disclosure"].to_list()
        ['reported']
    """
    return with_added_columns(frame, OBSERVATION_SCHEMA)


def conform_sources(frame: pl.DataFrame) -> pl.DataFrame:
    """A sources table with every ``SOURCE_SCHEMA`` column (older tables: defaults added).

    Examples:
        >>> import polars as pl
        >>> old = pl.DataFrame({"source_id": ["s"], "title": ["t"], "publisher": ["p"],
        ...                     "published": [None], "url": [""], "kind": ["report"],
        ...                     "note": [""]})
        >>> conform_sources(old).columns == list(SOURCE_SCHEMA)
        True
    """
    missing = [c for c in SOURCE_SCHEMA if c not in frame.columns and c not in SOURCE_DEFAULTS]
    if missing:
        raise SchemaError("sources table misses columns: " + ", ".join(missing),
                          column=missing[0], reason="missing_column",
                          hint="the sources table needs the columns " + ", ".join(SOURCE_SCHEMA))
    filled = with_added_columns(frame, SOURCE_SCHEMA)
    return filled.select([pl.col(c).cast(t) for c, t in SOURCE_SCHEMA.items()])


def added_columns(schema: Mapping[str, pl.DataType]) -> Mapping[str, pl.Expr]:
    """The later-added columns of the table ``schema`` describes, with their read defaults.

    Tables with a ``value`` column hold observations (``OBSERVATION_DEFAULTS``), tables with a
    ``kind`` column hold sources (``SOURCE_DEFAULTS``); other tables have none.

    Examples:
        >>> sorted(added_columns(OBSERVATION_SCHEMA)), sorted(added_columns(SOURCE_SCHEMA))
        (['disclosure'], ['region_code', 'year'])
    """
    if "value" in schema:
        return OBSERVATION_DEFAULTS
    if "kind" in schema:
        return SOURCE_DEFAULTS
    return {}


def with_added_columns(frame: FrameT, schema: Mapping[str, pl.DataType]) -> FrameT:
    """``frame`` with the later-added columns of ``schema`` filled by their read defaults.

    A column the frame lacks is added; where it is present, its nulls are filled (a Delta
    table that gained the column reads its older files' rows as null). Works on eager and
    lazy frames (a lazy frame's schema is read from metadata only). A default that needs a
    column the frame lacks is not applied (the schema check names the missing column).

    Examples:
        >>> import polars as pl
        >>> lazy = pl.LazyFrame({"value": [1.0, None]})
        >>> with_added_columns(lazy, OBSERVATION_SCHEMA).collect()["disclosure"].to_list()
        ['reported', None]
        >>> eager = pl.DataFrame({"value": [1.0, None], "disclosure": [None, "withheld"]})
        >>> with_added_columns(eager, OBSERVATION_SCHEMA)["disclosure"].to_list()
        ['reported', 'withheld']
    """
    present = set(frame.collect_schema().names())
    fill = [(pl.coalesce(pl.col(c), expr) if c in present else expr).cast(schema[c]).alias(c)
            for c, expr in added_columns(schema).items()
            if c in schema and set(expr.meta.root_names()) <= present]
    return frame.with_columns(fill) if fill else frame


def _fail(path: str, reason: str, message: str, *, column: str | None = None,
          rows: pl.DataFrame | None = None, hint: str | None = None) -> SchemaError:
    where = f"{path}: " if path else ""
    col = f" column {column!r}:" if column else ""
    return SchemaError(f"{where}{col} {message}".replace(":  ", ": ").strip(), hint=hint,
                       path=path, column=column, reason=reason, rows=rows)


def check_observations(
    frame: pl.DataFrame,
    *,
    path: str = "",
    region_codes: frozenset[str] | None = None,
    indicator_codes: frozenset[str] | None = None,
) -> pl.DataFrame:
    """Check a frame against the data model and return it cast to the canonical schema.

    Args:
        frame: Candidate observations.
        path: The file or dataset the frame came from, named in errors.
        region_codes: Known region codes; unknown ones are an error when given.
        indicator_codes: Known indicator codes; unknown ones (other than the
            ``unmapped_`` family) are an error when given.

    Returns:
        The frame with exactly the data-model columns, in order, with their dtypes.

    Raises:
        SchemaError: On the first problem found, naming the column, the reason code
            and (in ``details["rows"]``) the offending rows with their row numbers.

    Examples:
        >>> import polars as pl
        >>> bad = pl.DataFrame({"region_code": ["420300"], "year": [2023]})
        >>> try:
        ...     check_observations(bad, path="x.csv")
        ... except SchemaError as error:
        ...     print(error.details["reason"], error.details["column"])
        missing_column indicator_code
    """
    frame = conform_observations(frame)
    missing = [c for c in OBSERVATION_SCHEMA if c not in frame.columns]
    if missing:
        raise _fail(path, "missing_column", "missing columns: " + ", ".join(missing),
                    column=missing[0],
                    hint="the observation table needs the columns " + ", ".join(OBSERVATION_SCHEMA))
    # A frame read from many files holds many chunks, which a parallel select or a row index
    # would copy into one (3.4 GB at 30 M rows): select_seq keeps them, and row numbers (for
    # the error) are attached only once a check has failed.
    checked = frame.select_seq(list(OBSERVATION_SCHEMA))
    for column, dtype in OBSERVATION_SCHEMA.items():
        src = checked[column]
        if src.dtype == dtype:
            continue
        if dtype == pl.String() and src.dtype != pl.String():
            raise _fail(path, "wrong_type", f"expected text, found {src.dtype}", column=column)
        cast = src.cast(dtype, strict=False)
        failed = cast.is_null() & src.is_not_null()
        if failed.any():
            bad = _numbered(checked).filter(failed)
            kind = "non_numeric" if dtype in (pl.Float64(), pl.Int32()) else "wrong_type"
            raise _fail(path, kind, f"{bad.height} value(s) cannot be read as {dtype}, "
                        f"first at row {bad['row'][0]}: {bad[column][0]!r}",
                        column=column, rows=bad)
        checked = checked.with_columns(cast.alias(column))
    null_counts = checked.null_count().row(0, named=True)
    for column in ("region_code", "year", "indicator_code", "scope", "unit",
                   "qualifier", "source_id", "disclosure"):
        if null_counts[column]:
            bad = _numbered(checked).filter(pl.col(column).is_null())
            # No state and no value (a frame without the disclosure column): the value is
            # what is missing, as before the column existed.
            named = ("value" if column == "disclosure" and bad["value"][0] is None
                     else column)
            raise _fail(path, "null_value", f"{bad.height} empty value(s), first at row "
                        f"{bad['row'][0]}", column=named, rows=bad,
                        hint=_DISCLOSURE_HINT if column == "disclosure" else None)
    # Code and qualifier checks run on the distinct values; rows are only gathered on failure.
    bad = _rows_with_bad_values(checked, "region_code",
                                ~pl.col("region_code").str.contains(_REGION_CODE_PATTERN))
    if bad.height:
        raise _fail(path, "bad_region_code", f"{bad.height} code(s) are not 6 digits, first at "
                    f"row {bad['row'][0]}: {bad['region_code'][0]!r}", column="region_code",
                    rows=bad)
    if region_codes is not None:
        bad = _rows_with_bad_values(checked, "region_code",
                                    ~pl.col("region_code").is_in(list(region_codes)))
        if bad.height:
            raise _fail(path, "unknown_region", f"{bad.height} row(s) name a region missing from "
                        f"the regions table, first at row {bad['row'][0]}: "
                        f"{bad['region_code'][0]!r}", column="region_code", rows=bad,
                        hint="add the region to the regions table or fix the code")
    if indicator_codes is not None:
        bad = _rows_with_bad_values(
            checked, "indicator_code",
            ~pl.col("indicator_code").is_in(list(indicator_codes))
            & ~pl.col("indicator_code").str.starts_with(UNMAPPED_PREFIX))
        if bad.height:
            raise _fail(path, "unknown_indicator", f"{bad.height} row(s) name an indicator "
                        f"missing from the catalog, first at row {bad['row'][0]}: "
                        f"{bad['indicator_code'][0]!r}", column="indicator_code", rows=bad,
                        hint=f"use a catalog code, or the {UNMAPPED_PREFIX}* family for "
                        "figures that fit none")
    bad = _rows_with_bad_values(checked, "qualifier", ~pl.col("qualifier").is_in(list(QUALIFIERS)))
    if bad.height:
        raise _fail(path, "bad_qualifier", f"{bad.height} qualifier(s) outside "
                    f"{sorted(QUALIFIERS)}, first at row {bad['row'][0]}: "
                    f"{bad['qualifier'][0]!r}", column="qualifier", rows=bad)
    _check_disclosure(checked, path)
    non_finite = pl.col("value").is_nan() | pl.col("value").is_infinite()
    if checked.select(non_finite.any()).item():
        bad = _numbered(checked).filter(non_finite)
        raise _fail(path, "non_finite", f"{bad.height} value(s) are NaN or infinite, first at "
                    f"row {bad['row'][0]}", column="value", rows=bad)
    if not _keys_unique(checked):
        dup = _numbered(checked).filter(pl.struct(KEY_COLUMNS).is_duplicated())
        first = dup.row(0, named=True)
        key = ", ".join(f"{k}={first[k]}" for k in KEY_COLUMNS)
        raise _fail(path, "duplicate_key", f"{dup.height} rows share a key "
                    f"(region_code, year, indicator_code, scope), first: {key}",
                    rows=dup, hint="each key may appear once; keep one figure per key")
    return checked


_DISCLOSURE_HINT: Final[str] = (
    "a row without a value needs its disclosure state: no_number (a statement without a "
    "figure) or withheld (the report says the figure is not disclosed); a figure that is "
    "simply absent from a report is no row at all")


def _check_disclosure(checked: pl.DataFrame, path: str) -> None:
    """Known states only; a ``reported`` row has a value, the others have none."""
    bad = _rows_with_bad_values(checked, "disclosure",
                                ~pl.col("disclosure").is_in(list(STORED_DISCLOSURES)))
    if bad.height:
        raise _fail(path, "bad_disclosure", f"{bad.height} disclosure state(s) outside "
                    f"{list(STORED_DISCLOSURES)}, first at row {bad['row'][0]}: "
                    f"{bad['disclosure'][0]!r}", column="disclosure", rows=bad,
                    hint="derived states (zero, not_disclosed, no_report) are not stored")
    reported = pl.col("disclosure") == "reported"
    wrong = (reported & pl.col("value").is_null()) | (~reported & pl.col("value").is_not_null())
    if checked.select(wrong.any()).item():
        bad = _numbered(checked).filter(wrong)
        first = bad.row(0, named=True)
        raise _fail(path, "value_disclosure_mismatch" if first["value"] is not None
                    else "null_value", f"{bad.height} row(s) whose value does not fit their "
                    f"disclosure state, first at row {first['row']}: disclosure "
                    f"{first['disclosure']!r} with value {first['value']!r}", column="value",
                    rows=bad, hint="a reported row needs a value; no_number and withheld rows "
                    "have none")


_KEY_ORDERS: Final[tuple[tuple[str, ...], ...]] = (
    ("year", "region_code", "indicator_code", "scope"),  # a stored dataset, read back
    KEY_COLUMNS,
)


def _strictly_increasing(order: Sequence[str]) -> pl.Expr:
    """Whether every row's key comes after the previous row's, comparing ``order`` in turn."""
    *leading, last = order
    later = pl.col(last) > pl.col(last).shift(1)
    for column in reversed(leading):
        now, before = pl.col(column), pl.col(column).shift(1)
        later = (now > before) | ((now == before) & later)
    return later.fill_null(True).all()


def _numbered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("row")


def _keys_unique(frame: pl.DataFrame) -> bool:
    """Whether no two rows share a key (the key columns hold no nulls here).

    Keys in strictly increasing order cannot repeat, and a dataset comes back from disk in
    key order within each year, so that linear check runs first; hashing every key (several
    times slower, and several GB at 30 M rows) is the fallback.
    """
    for order in _KEY_ORDERS:
        if frame.head(1000).select(_strictly_increasing(order)).item() \
                and frame.select(_strictly_increasing(order)).item():
            return True
    return frame.select(KEY_COLUMNS).n_unique() == frame.height


def _rows_with_bad_values(frame: pl.DataFrame, column: str, bad: pl.Expr) -> pl.DataFrame:
    """Rows (numbered) whose ``column`` value fails, testing each distinct value once."""
    values = frame.select(pl.col(column).unique()).filter(bad)[column]
    if values.len() == 0:
        return frame.clear()
    return _numbered(frame).filter(pl.col(column).is_in(values.implode()))
