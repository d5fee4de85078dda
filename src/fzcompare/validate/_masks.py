"""The failing rows of an expectation, computed with polars from the expectation's arguments.

great_expectations gives the verdict and the counts; asking it for the failing rows
(``COMPLETE`` result format) is slow when many rows fail. So the rows are computed here from
the same arguments, with great_expectations' pandas semantics (a null or NaN is "missing" and
is not checked, except by the null expectations; a row condition filters first), and the
number found is compared with great_expectations' count. Expectations this module does not
know (or whose count disagrees) fall back to great_expectations' own unexpected index list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

TABLE_LEVEL: Final[frozenset[str]] = frozenset({
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
    "expect_table_row_count_to_equal",
    "expect_table_row_count_to_be_between",
    "expect_column_to_exist",
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
    "expect_column_type_to_be",
    "expect_column_min_to_be_between",
    "expect_column_max_to_be_between",
    "expect_column_mean_to_be_between",
    "expect_column_median_to_be_between",
    "expect_column_sum_to_be_between",
    "expect_column_stdev_to_be_between",
    "expect_column_unique_value_count_to_be_between",
    "expect_column_proportion_of_unique_values_to_be_between",
    "expect_column_proportion_of_non_null_values_to_be_between",
    "expect_column_distinct_values_to_be_in_set",
    "expect_column_distinct_values_to_contain_set",
    "expect_column_distinct_values_to_equal_set",
    "expect_column_most_common_value_to_be_in_set",
    "expect_column_quantile_values_to_be_between",
})
"""Expectations about a whole table or column: they fail no particular row.

(``..._to_be_of_type`` checks the column's dtype here: fzcompare's frames never hold
``object`` columns, the one case where great_expectations checks values one by one.)
"""


@dataclass(frozen=True)
class RowCheck:
    """How to find and describe an expectation's failing rows.

    Attributes:
        domain: The rows the expectation looks at (its row condition), or None for all.
        failing: True on rows that fail (within the domain).
        detail: A short text per failing row saying what is wrong with it.
    """

    domain: pl.Expr | None
    failing: pl.Expr
    detail: pl.Expr


class NotTranslatedError(Exception):
    """This expectation's rows must come from great_expectations."""


def _missing(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    expr = pl.col(column).is_null()
    if schema[column].is_float():
        expr = expr | pl.col(column).is_nan()
    return expr


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String()).fill_null("(empty)")


def say(*parts: str | pl.Expr) -> pl.Expr:
    """Text made of fixed words and expressions, concatenated.

    (``pl.format`` with literal arguments can panic in polars 2.1 after a filter.)
    """
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p.cast(pl.String())
                          for p in parts])


def _require(kwargs: Mapping[str, Any], *names: str,
             schema: Mapping[str, pl.DataType]) -> None:
    for name in names:
        column = kwargs.get(name)
        if not isinstance(column, str) or column not in schema:
            raise NotTranslatedError(f"column {column!r} is not in the frame")


def condition_expr(condition: Any, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """A great_expectations structured row condition (its JSON form) as a polars filter.

    Follows ``DataFrame.query`` on pandas: a missing value is never ``==``/``<``/``in``
    anything, and always ``!=``/``not in``.
    """
    if not isinstance(condition, Mapping):
        raise NotTranslatedError("string row conditions are evaluated by great_expectations only")
    kind = condition.get("type")
    if kind in ("and", "or"):
        parts = [condition_expr(c, schema) for c in condition.get("conditions", [])]
        if not parts:
            raise NotTranslatedError("empty condition")
        return pl.all_horizontal(parts) if kind == "and" else pl.any_horizontal(parts)
    column = str((condition.get("column") or {}).get("name"))
    if column not in schema:
        raise NotTranslatedError(f"row condition column {column!r} is not in the frame")
    missing = _missing(column, schema)
    col = pl.col(column)
    if kind == "nullity":
        return missing if condition.get("is_null") else ~missing
    if kind != "comparison":
        raise NotTranslatedError(f"row condition of type {kind!r}")
    operator = condition.get("operator")
    parameter = condition.get("parameter")
    if operator in ("IN", "NOT_IN"):
        if not isinstance(parameter, list | tuple):
            raise NotTranslatedError("IN needs a list")
        inside = col.is_in(list(parameter))
        return (~missing & inside) if operator == "IN" else (missing | ~inside)
    compare = {"==": col.__eq__, "<": col.__lt__, "<=": col.__le__, ">": col.__gt__,
               ">=": col.__ge__, "!=": col.__ne__}.get(str(operator))
    if compare is None:
        raise NotTranslatedError(f"row condition operator {operator!r}")
    result = compare(parameter)
    return (missing | result) if operator == "!=" else (~missing & result)


def _between(kwargs: Mapping[str, Any], schema: Mapping[str, pl.DataType]) -> RowCheck:
    _require(kwargs, "column", schema=schema)
    column = str(kwargs["column"])
    col = pl.col(column)
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    outside = pl.lit(False)
    if low is not None:
        outside = outside | (col <= low if kwargs.get("strict_min") else col < low)
    if high is not None:
        outside = outside | (col >= high if kwargs.get("strict_max") else col > high)
    bounds = (f"{'(' if kwargs.get('strict_min') else '['}"
              f"{'-inf' if low is None else f'{low:g}'}, "
              f"{'inf' if high is None else f'{high:g}'}"
              f"{')' if kwargs.get('strict_max') else ']'}")
    return RowCheck(None, ~_missing(column, schema) & outside,
                    say(column, " ", _text(column), " is outside ", bounds))


def _in_set(kwargs: Mapping[str, Any], schema: Mapping[str, pl.DataType], *,
            negate: bool) -> RowCheck:
    _require(kwargs, "column", schema=schema)
    column = str(kwargs["column"])
    values = kwargs.get("value_set")
    if not isinstance(values, list | tuple | set | frozenset):
        raise NotTranslatedError("value_set is not a list")
    inside = pl.col(column).is_in(list(values))
    failing = ~_missing(column, schema) & (inside if negate else ~inside)
    word = "is in the forbidden set" if negate else "is not in the allowed set"
    return RowCheck(None, failing,
                    say(column, " ", _text(column), " ", word))


def _regex(kwargs: Mapping[str, Any], schema: Mapping[str, pl.DataType], *,
           negate: bool) -> RowCheck:
    _require(kwargs, "column", schema=schema)
    column = str(kwargs["column"])
    regex = str(kwargs.get("regex"))
    found = pl.col(column).cast(pl.String()).str.contains(regex)
    failing = ~_missing(column, schema) & (found if negate else ~found)
    word = "matches" if negate else "does not match"
    return RowCheck(None, failing, say(column, " ", _text(column), f" {word} {regex}"))


def _ignored(kwargs: Mapping[str, Any], columns: list[str],
             schema: Mapping[str, pl.DataType], default: str) -> pl.Expr:
    mode = str(kwargs.get("ignore_row_if", default))
    missing = [_missing(c, schema) for c in columns]
    if mode in ("both_values_are_missing", "all_values_are_missing"):
        return pl.all_horizontal(missing)
    if mode in ("either_value_is_missing", "any_value_is_missing"):
        return pl.any_horizontal(missing)
    if mode in ("neither", "never"):
        return pl.lit(False)
    raise NotTranslatedError(f"ignore_row_if={mode!r}")


def _pair(kwargs: Mapping[str, Any], schema: Mapping[str, pl.DataType], *,
          relation: str) -> RowCheck:
    _require(kwargs, "column_A", "column_B", schema=schema)
    a, b = str(kwargs["column_A"]), str(kwargs["column_B"])
    either_missing = _missing(a, schema) | _missing(b, schema)
    if relation == "equal":
        holds = pl.col(a) == pl.col(b)
        word = "!="
    elif kwargs.get("or_equal"):
        holds = pl.col(a) >= pl.col(b)
        word = "<"
    else:
        holds = pl.col(a) > pl.col(b)
        word = "<="
    ignored = _ignored(kwargs, [a, b], schema, "both_values_are_missing")
    failing = ~ignored & (either_missing | ~holds.fill_null(False))
    return RowCheck(None, failing, say(a, " ", _text(a), f" {word} {b} ", _text(b)))


def _compound_unique(kwargs: Mapping[str, Any], schema: Mapping[str, pl.DataType]) -> RowCheck:
    columns = kwargs.get("column_list")
    if not isinstance(columns, list) or any(c not in schema for c in columns):
        raise NotTranslatedError("column_list names columns the frame lacks")
    ignored = _ignored(kwargs, columns, schema, "all_values_are_missing")
    key = pl.struct(columns)
    return RowCheck(None, ~ignored & key.is_duplicated(),
                    say("(", pl.concat_str([_text(c) for c in columns], separator=", "),
                        ") appears ", key.len().over(columns), " times"))


def _unique(kwargs: Mapping[str, Any], schema: Mapping[str, pl.DataType]) -> RowCheck:
    _require(kwargs, "column", schema=schema)
    column = str(kwargs["column"])
    return RowCheck(None, ~_missing(column, schema) & pl.col(column).is_duplicated(),
                    say(column, " ", _text(column), " appears more than once"))


def _null(kwargs: Mapping[str, Any], schema: Mapping[str, pl.DataType], *,
          expect_null: bool) -> RowCheck:
    _require(kwargs, "column", schema=schema)
    column = str(kwargs["column"])
    missing = _missing(column, schema)
    if expect_null:
        return RowCheck(None, ~missing, say(column, " ", _text(column), " is not empty"))
    return RowCheck(None, missing, say(column, " is empty or unreadable"))


def row_check(type_: str, kwargs: Mapping[str, Any],
              schema: Mapping[str, pl.DataType]) -> RowCheck:
    """The failing-row expressions of one expectation on a frame with ``schema``.

    Raises:
        NotTranslatedError: The expectation type or an argument is not handled here.
    """
    handlers = {
        "expect_column_values_to_be_between": lambda: _between(kwargs, schema),
        "expect_column_values_to_be_in_set": lambda: _in_set(kwargs, schema, negate=False),
        "expect_column_values_to_not_be_in_set": lambda: _in_set(kwargs, schema, negate=True),
        "expect_column_values_to_match_regex": lambda: _regex(kwargs, schema, negate=False),
        "expect_column_values_to_not_match_regex": lambda: _regex(kwargs, schema, negate=True),
        "expect_column_values_to_not_be_null": lambda: _null(kwargs, schema, expect_null=False),
        "expect_column_values_to_be_null": lambda: _null(kwargs, schema, expect_null=True),
        "expect_column_values_to_be_unique": lambda: _unique(kwargs, schema),
        "expect_compound_columns_to_be_unique": lambda: _compound_unique(kwargs, schema),
        "expect_column_pair_values_to_be_equal": lambda: _pair(kwargs, schema,
                                                               relation="equal"),
        "expect_column_pair_values_a_to_be_greater_than_b": lambda: _pair(kwargs, schema,
                                                                          relation="greater"),
    }
    handler = handlers.get(type_)
    if handler is None:
        raise NotTranslatedError(f"{type_} is not translated to polars")
    check = handler()
    condition = kwargs.get("row_condition")
    domain = condition_expr(condition, schema) if condition else None
    return RowCheck(domain, check.failing, check.detail)


def failing_rows(frame: pl.DataFrame, check: RowCheck) -> pl.DataFrame:
    """The rows of ``frame`` that fail, with a ``detail`` column.

    Uniqueness is judged within the domain, as great_expectations does after filtering.
    """
    within = frame.filter(check.domain) if check.domain is not None else frame
    return within.filter(check.failing).with_columns(check.detail.alias("detail"))


_COLUMN_MAP: Final[frozenset[str]] = frozenset({
    "expect_column_values_to_be_between", "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set", "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex", "expect_column_values_to_be_unique",
})
_IGNORE_DEFAULTS: Final[dict[str, str]] = {
    "expect_column_pair_values_to_be_equal": "both_values_are_missing",
    "expect_column_pair_values_a_to_be_greater_than_b": "both_values_are_missing",
    "expect_compound_columns_to_be_unique": "all_values_are_missing",
}


def checked_count(type_: str, kwargs: Mapping[str, Any],
                  schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """The rows great_expectations divides ``unexpected_count`` by for ``unexpected_percent``.

    Rows of the domain (row condition) whose value is not missing; for column pairs and
    compound keys, the rows not ignored; for the null expectations, every row of the domain.
    An expression counting them (an unsigned integer), for a ``select`` on the frame.

    Raises:
        NotTranslatedError: The expectation type or an argument is not handled here.
    """
    condition = kwargs.get("row_condition")
    domain = condition_expr(condition, schema) if condition else pl.repeat(True, pl.len())
    if type_ in ("expect_column_values_to_not_be_null", "expect_column_values_to_be_null"):
        return domain.sum()
    if type_ in _COLUMN_MAP:
        _require(kwargs, "column", schema=schema)
        return (domain & ~_missing(str(kwargs["column"]), schema)).sum()
    if type_ in _IGNORE_DEFAULTS:
        if type_ == "expect_compound_columns_to_be_unique":
            columns = kwargs.get("column_list")
            if not isinstance(columns, list) or any(c not in schema for c in columns):
                raise NotTranslatedError("column_list names columns the frame lacks")
        else:
            _require(kwargs, "column_A", "column_B", schema=schema)
            columns = [kwargs["column_A"], kwargs["column_B"]]
        ignored = _ignored(kwargs, [str(c) for c in columns], schema, _IGNORE_DEFAULTS[type_])
        return (domain & ~ignored).sum()
    raise NotTranslatedError(f"{type_} is not translated to polars")
