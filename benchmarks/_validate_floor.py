"""The floor of validation: fzcompare's five bundled suites as plain polars expressions.

``benchmarks/pipeline.py`` times ``fzcompare.validate.validate`` (great_expectations judges
every expectation) against this: the same frames (the observations with their looked-up
helper columns, the relation instances, the year-over-year changes; built by the same
polars code in ``fzcompare.validate._frames``) and the same expectations, each evaluated as a
polars expression (``fzcompare.validate._masks`` translates every row-level expectation of
the bundled suites; the two table-level ones are read off the frame's schema). All counts of
one frame come from one ``select``: one pass, the way a polars user would write it.

The ratio between the two is what great_expectations costs over its floor. The outcome of
every expectation (unexpected rows, checked rows, success) is returned so that
``tests/test_benchmarks_agree.py`` can check both sides judge the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from fzcompare.catalog import load_catalog
from fzcompare.validate import _frames, _masks
from fzcompare.validate import _run as run
from fzcompare.validate._suites import Suite, resolve_suites

# expect_column_values_to_be_of_type's type names, as polars dtypes
_DTYPES: dict[str, pl.DataType] = {"str": pl.String(), "int32": pl.Int32(),
                                   "float64": pl.Float64()}


@dataclass(frozen=True)
class FloorOutcome:
    """One expectation judged with polars."""

    ref: str
    success: bool
    unexpected_count: int | None
    checked: int | None


def _table_level(type_: str, kwargs: Mapping[str, Any], frame: pl.DataFrame) -> bool:
    if type_ == "expect_table_columns_to_match_set":
        wanted = set(kwargs["column_set"])
        present = set(frame.columns)
        return wanted <= present if kwargs.get("exact_match") is False else wanted == present
    if type_ == "expect_column_values_to_be_of_type":
        column = str(kwargs["column"])
        return column in frame.columns and frame.schema[column] == _DTYPES[str(kwargs["type_"])]
    raise ValueError(f"{type_}: no polars translation in the floor baseline")


def _judge_frame(frame: pl.DataFrame, planned: list[tuple[str, dict[str, Any]]],
                 parameters: Mapping[str, Any]) -> list[FloorOutcome]:
    outcomes: list[FloorOutcome] = []
    exprs: list[pl.Expr] = []
    row_level: list[tuple[str, Mapping[str, Any]]] = []
    for ref, expectation in planned:
        type_ = str(expectation["type"])
        kwargs = run._resolve_parameters(expectation.get("kwargs") or {}, parameters)
        if type_ in _masks.TABLE_LEVEL:
            outcomes.append(FloorOutcome(ref, _table_level(type_, kwargs, frame), None, None))
            continue
        check = _masks.row_check(type_, kwargs, frame.schema)
        failing = check.failing if check.domain is None else check.domain & check.failing
        exprs += [failing.sum().alias(f"{ref}:bad"),
                  _masks.checked_count(type_, kwargs, frame.schema).alias(f"{ref}:n")]
        row_level.append((ref, kwargs))
    counts = frame.select(exprs).row(0, named=True) if exprs else {}
    for ref, kwargs in row_level:
        bad, checked = int(counts[f"{ref}:bad"] or 0), int(counts[f"{ref}:n"] or 0)
        mostly = kwargs.get("mostly")
        ok = bad == 0 if mostly is None else checked == 0 or 1 - bad / checked >= mostly
        outcomes.append(FloorOutcome(ref, ok, bad, checked))
    return outcomes


def validate_polars_floor(observations: pl.DataFrame, *, regions: pl.DataFrame,
                          sources: pl.DataFrame) -> dict[str, FloorOutcome]:
    """The bundled suites on ``observations``, judged with polars only (ref -> outcome)."""
    catalog = load_catalog()
    suites: tuple[Suite, ...] = resolve_suites(None, (), None)
    canonical, _ = _frames.canonical_observations(observations)
    known = run._known_regions(regions)
    parameters = run._parameters(known, sources)
    plan = run._plan(suites, parameters)
    frames = run._derive_frames(
        set(plan.frame_order), canonical, _frames.add_helper_columns(
            canonical, catalog=catalog, regions=known, wanted=plan.helpers), catalog, suites)
    found: dict[str, FloorOutcome] = {}
    for frame_name in plan.frame_order:
        planned = [(f"{s.name}#{i}", e) for s, i, e in plan.to_run(frame_name)]
        for outcome in _judge_frame(frames.pop(frame_name), planned, parameters):
            found[outcome.ref] = outcome
    return found
