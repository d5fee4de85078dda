"""The suite files: generated from the catalog, loadable, with severities; user suites."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fzcompare.catalog import load_catalog
from fzcompare.synthetic import demo_panel
from fzcompare.validate import (
    SuiteError,
    bundled_suite_path,
    bundled_suites,
    generate_suites,
    load_suite,
    validate,
)
from fzcompare.validate._suites import suite_json


def test_committed_suites_equal_the_generator() -> None:
    for name, document in generate_suites().items():
        committed = bundled_suite_path(name).read_text(encoding="utf-8")
        assert committed == suite_json(document), (
            f"suites/{name}.json is stale: run `python -m fzcompare.validate` after changing "
            "the catalog")


def test_every_catalog_indicator_has_a_range_check() -> None:
    catalog = load_catalog()
    ranges = next(s for s in bundled_suites() if s.name == "ranges")
    covered: set[str] = set()
    for expectation in ranges.expectations:
        kwargs = expectation["kwargs"]
        if kwargs["column"] == "value":
            covered |= set(kwargs["row_condition"]["parameter"])
    assert covered == set(catalog.indicators["code"].to_list())


def test_a_new_indicator_gets_its_checks_by_regeneration() -> None:
    from fzcompare.catalog import _parse_catalog

    raw = {"indicators": [
        {"code": "new_rate", "name_zh": "新率", "name_en": "New rate", "domain": 1,
         "unit": "%", "kind": "rate", "direction": "higher"},
        {"code": "new_count", "name_zh": "新数", "name_en": "New count", "domain": 1,
         "unit": "件", "kind": "count", "direction": "neutral", "max": 50},
        {"code": "new_part", "name_zh": "新部分", "name_en": "New part", "domain": 1,
         "unit": "件", "kind": "count", "direction": "neutral"},
    ], "relations": [{"kind": "le", "numerator": "new_part", "denominator": "new_count"}]}
    catalog = _parse_catalog(raw)
    suites = generate_suites(catalog)
    checks = [e["meta"]["check"] for e in suites["ranges"]["expectations"]]
    assert {"range.rate", "range.count[0, inf]", "range.count[0, 50]", "whole_number"} <= set(
        checks)
    relation_checks = [e["meta"]["check"] for e in suites["relations"]["expectations"]]
    assert "le.new_part.new_count" in relation_checks
    frame = pl.DataFrame({
        "region_code": ["420300"] * 3, "year": [2023] * 3,
        "indicator_code": ["new_rate", "new_count", "new_part"], "scope": ["全市"] * 3,
        "value": [120.0, 60.0, 61.0], "unit": ["%", "件", "件"], "qualifier": ["eq"] * 3,
        "source_id": ["s"] * 3, "quote": [""] * 3,
    }).with_columns(pl.col("year").cast(pl.Int32()))
    result = validate(frame, catalog=catalog)
    failed = set(result.outcomes.filter(~pl.col("success").fill_null(True))["check"].to_list())
    assert {"range.rate", "range.count[0, 50]", "le.new_part.new_count"} <= failed


def test_severity_is_stated_in_each_expectation_meta() -> None:
    for suite in bundled_suites():
        for expectation, severity in zip(suite.expectations, suite.severities, strict=True):
            assert expectation["meta"]["severity"] == severity
            assert expectation["severity"] == ("critical" if severity == "error" else "warning")
    yoy = next(s for s in bundled_suites() if s.name == "year_over_year")
    assert set(yoy.severities) == {"warning"}


def test_suite_files_are_great_expectations_suites() -> None:
    import great_expectations as gx

    for suite in bundled_suites():
        document = dict(suite.document.items())
        loaded = gx.ExpectationSuite(**document)
        assert len(loaded.expectations) == len(suite.expectations)


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_user_suite_runs_after_the_bundled_ones(tmp_path: Path) -> None:
    panel = demo_panel()
    suite = write(tmp_path / "mine.json", {
        "name": "mine",
        "meta": {"fzcompare": {"frame": "observations", "default_severity": "warning"}},
        "expectations": [
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "value", "max_value": 10000},
             "meta": {"check": "not_huge"}},
            {"type": "expect_column_value_lengths_to_be_between",
             "kwargs": {"column": "indicator_code", "max_value": 30},
             "meta": {"severity": "error", "check": "short_codes"}},
        ],
    })
    result = validate(panel.observations, sources=panel.sources, regions_table=panel.regions,
                      extra_suites=[suite])
    assert result.suites[-1] == "mine"
    mine = result.outcomes.filter(pl.col("suite") == "mine")
    assert mine["severity"].to_list() == ["warning", "error"]
    huge = result.failing_rows.filter(pl.col("check") == "not_huge")
    expected = panel.observations.with_row_index("i").filter(pl.col("value") > 10000)["i"]
    assert set(huge["row_id"].to_list()) == set(expected.to_list())
    # an expectation polars does not translate: the rows come from great_expectations
    short = mine.filter(pl.col("check") == "short_codes").row(0, named=True)
    long_codes = panel.observations.with_row_index("i").filter(
        pl.col("indicator_code").str.len_chars() > 30)["i"]
    assert short["unexpected_count"] == long_codes.len()
    assert "great_expectations" in str(short["note"])
    rows = result.failing_rows.filter(pl.col("check") == "short_codes")
    assert set(rows["row_id"].to_list()) == set(long_codes.to_list())
    assert result.verdict == "fail"


def test_only_user_suites(tmp_path: Path) -> None:
    suite = write(tmp_path / "only.json", {
        "name": "only", "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "value"}}]})
    panel = demo_panel()
    result = validate(panel.observations, suites=[suite])
    assert result.suites == ("only",)
    assert result.outcomes["severity"].to_list() == ["error"]  # GX default: critical


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ('{"name": "x", "expectations": []}', "no 'expectations'"),
    ('{"expectations": [{"type": "t"}]}', "no 'name'"),
    ('{"name": "x", "meta": {"fzcompare": {"frame": "nowhere"}}, '
     '"expectations": [{"type": "t"}]}', "unknown frame"),
    ('{"name": "x", "expectations": [{"type": "t", "meta": {"severity": "fatal"}}]}',
     "severity 'fatal'"),
])
def test_malformed_suite_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SuiteError, match=message):
        load_suite(path)


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="cannot read"):
        load_suite(tmp_path / "absent.json")


def test_duplicate_suite_names(tmp_path: Path) -> None:
    copy = write(tmp_path / "schema.json", json.loads(
        bundled_suite_path("schema").read_text(encoding="utf-8")))
    with pytest.raises(SuiteError, match="two suites are named 'schema'"):
        validate(demo_panel().observations, extra_suites=[copy])


def test_validate_refuses_an_unbuildable_suite_and_a_docs_file(tmp_path: Path) -> None:
    from fzcompare.errors import InvalidArgumentError
    from fzcompare.store import load
    from fzcompare.validate import SuiteError, validate
    from fzcompare.validate._suites import suite_from_document

    rows = load("datasets/demo", check=False).head(5)
    mine = suite_from_document({"name": "mine", "expectations": [
        {"type": "expect_column_values_to_be_sparkly", "kwargs": {"column": "value"}}]},
        source="mine.json")
    with pytest.raises(SuiteError, match=r"mine.json: suite 'mine' expectations\[0\]: "
                       "unknown expectation type") as caught:
        validate(rows, extra_suites=[mine])
    assert caught.value.details == {"path": "mine.json", "expectation": 0,
                                    "type": "expect_column_values_to_be_sparkly"}
    file = tmp_path / "docs.html"
    file.write_text("", encoding="utf-8")
    for docs in (file, file / "under"):
        with pytest.raises(InvalidArgumentError, match="--docs needs a folder") as refused:
            validate(rows, docs=docs)
        assert isinstance(refused.value, ValueError)
