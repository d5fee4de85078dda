"""great_expectations plumbing: lazy import, process state, result order, polars masks."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fzcompare.validate import _gx, _masks, _run, bundled_suites, validate


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, check=False)


def test_import_is_lazy_and_process_state_is_restored() -> None:
    done = run_python("""
        import logging, sys, warnings
        original = warnings.showwarning
        import fzcompare.validate
        assert "great_expectations" not in sys.modules, "imported eagerly"
        assert "pandas" not in sys.modules, "pandas imported eagerly"
        from fzcompare.synthetic import demo_panel
        panel = demo_panel()
        result = fzcompare.validate.validate(panel.observations.head(400),
                                             sources=panel.sources, regions_table=panel.regions)
        assert "great_expectations" in sys.modules
        assert logging._warnings_showwarning is None, "warnings still captured"
        assert warnings.showwarning is original
        gx_levels = {name: logger.level for name, logger in logging.root.manager.loggerDict
                     .items() if isinstance(logger, logging.Logger)
                     and name.startswith("great_expectations") and logger.level}
        assert not gx_levels, gx_levels
        assert not logging.getLogger("py.warnings").handlers
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.warn("still heard")
        assert [str(w.message) for w in caught] == ["still heard"]
        from great_expectations.data_context.data_context.context_factory import (
            project_manager)
        from great_expectations.exceptions.exceptions import DataContextRequiredError
        try:
            project_manager.get_current_project()
        except DataContextRequiredError:
            pass
        else:
            raise AssertionError("fzcompare's context became great_expectations' project")
        print("verdict", result.verdict)
    """)
    assert done.returncode == 0, done.stderr
    assert "verdict" in done.stdout
    assert "%|" not in done.stderr and "it/s" not in done.stderr, "progress bars drawn"
    assert "INFO" not in done.stderr


def test_outcomes_follow_suite_order() -> None:
    from fzcompare.synthetic import demo_panel

    panel = demo_panel()
    result = validate(panel.observations.head(300), sources=panel.sources,
                      regions_table=panel.regions)
    expected = [(s.name, e["meta"]["check"]) for s in bundled_suites() for e in s.expectations]
    assert list(result.outcomes.select("suite", "check").iter_rows()) == expected


def test_one_context_is_reused() -> None:
    assert _gx.session() is _gx.session()


TEXT = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "420300", "4203", "x1"]))
NUMBER = st.one_of(st.none(), st.just(math.nan), st.just(math.inf),
                   st.floats(min_value=-50, max_value=150, allow_nan=False))

EXPECTATIONS: list[dict[str, Any]] = [
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "x", "min_value": 0.0, "max_value": 100.0}},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "x", "min_value": 0.0, "strict_min": True,
                "row_condition": {"type": "comparison", "column": {"name": "k"},
                                  "operator": "IN", "parameter": ["a", "b"]}}},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "y", "max_value": 10.0,
                "row_condition": {"type": "comparison", "column": {"name": "k"},
                                  "operator": "!=", "parameter": "a"}}},
    {"type": "expect_column_values_to_be_in_set",
     "kwargs": {"column": "k", "value_set": ["a", "b"]}},
    {"type": "expect_column_values_to_not_be_in_set",
     "kwargs": {"column": "k", "value_set": ["c"]}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "k"}},
    {"type": "expect_column_values_to_match_regex",
     "kwargs": {"column": "k", "regex": r"^\d{6}$"}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "k"}},
    {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["k", "j"]}},
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "x", "column_B": "y", "or_equal": True,
                "ignore_row_if": "either_value_is_missing"}},
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "x", "column_B": "y"}},
    {"type": "expect_column_pair_values_to_be_equal",
     "kwargs": {"column_A": "k", "column_B": "j", "ignore_row_if": "either_value_is_missing"}},
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(TEXT, TEXT, NUMBER, NUMBER), min_size=1, max_size=25))
def test_polars_masks_count_what_great_expectations_counts(
        rows: list[tuple[str | None, str | None, float | None, float | None]]) -> None:
    frame = pl.DataFrame(rows, schema={"k": pl.String(), "j": pl.String(), "x": pl.Float64(),
                                       "y": pl.Float64()}, orient="row")
    frame = frame.with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64()))
    stamped = [{**e, "meta": {"fzcompare_ref": f"t#{i}"}} for i, e in enumerate(EXPECTATIONS)]
    pdf = _run._to_pandas(frame)
    outcomes = _gx.run_suite("hypothesis", pdf, stamped, parameters={})
    for expectation in stamped:
        outcome = outcomes[expectation["meta"]["fzcompare_ref"]]
        check = _masks.row_check(expectation["type"], expectation["kwargs"], frame.schema)
        found = _masks.failing_rows(frame, check)
        assert outcome.exception is None, outcome.exception
        assert found.height == outcome.unexpected_count, (expectation, frame)
