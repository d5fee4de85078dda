"""Precision and recall on the constructed fixture reports (see tests/fixtures/extract/README.md).

Two catalogs: the bundled one, and ``catalog.yaml`` (indicator names only, no synonyms) to
check that mapping works from names alone. The thresholds are the ones the seed is judged by
(>= 95 % value recall, >= 90 % code+scope recall, >= 95 % precision) where the catalog allows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import yaml

from fzcompare.catalog import Catalog, _parse_catalog, load_catalog
from fzcompare.extract import evaluate, extract, load_gold

FIXTURES = Path("tests/fixtures/extract")
REPORTS = ("city-simplified", "county-gb18030", "city-scraped")


def _names_only_catalog() -> Catalog:
    raw = yaml.safe_load((FIXTURES / "catalog.yaml").read_text(encoding="utf-8"))
    return _parse_catalog(raw, source="catalog.yaml")


CATALOGS: dict[str, Callable[[], Catalog]] = {"bundled": load_catalog,
                                              "names-only": _names_only_catalog}
# code+scope recall floors per (report, catalog); the names-only catalog has no synonyms.
CODE_RECALL_FLOOR = {
    ("city-simplified", "bundled"): 0.95, ("county-gb18030", "bundled"): 0.9,
    ("city-scraped", "bundled"): 0.95, ("city-simplified", "names-only"): 0.95,
    ("county-gb18030", "names-only"): 0.75, ("city-scraped", "names-only"): 0.95,
}


@pytest.mark.parametrize("catalog_name", sorted(CATALOGS))
@pytest.mark.parametrize("report", REPORTS)
def test_fixture_precision_and_recall(report: str, catalog_name: str) -> None:
    catalog = CATALOGS[catalog_name]()
    gold = load_gold(FIXTURES / f"{report}.gold.csv")
    unknown = set(gold["indicator_code"]) - catalog.codes - {"unmapped"}
    assert not unknown, f"gold codes missing from the {catalog_name} catalog: {unknown}"
    result = extract(FIXTURES / f"{report}.txt", catalog=catalog)
    scores = evaluate(result, gold)
    print(f"{report} / {catalog_name}: {scores!r}")
    assert scores.value_recall >= 0.95
    assert scores.precision >= 0.95
    assert scores.code_recall >= CODE_RECALL_FLOOR[(report, catalog_name)]


def test_scraped_fixture_warnings_and_metadata() -> None:
    result = extract(FIXTURES / "city-scraped.txt")
    mojibake = [w for w in result.warnings if w.code == "mojibake"]
    assert len(mojibake) == 2
    raw = (FIXTURES / "city-scraped.txt").read_text(encoding="utf-8")
    assert raw[mojibake[0].start:mojibake[0].end] == "?,X(xiàn)"
    assert any(w.code == "figure_in_mojibake" for w in result.warnings)
    assert 26.0 not in result.observations["value"].to_list()
    assert (result.document.region_code, result.document.year) == ("420600", 2023)
    assert str(result.document.published) == "2024-02-01"
    assert result.observations["domain"].null_count() == 0


def test_gb18030_fixture_is_read_as_gb18030() -> None:
    result = extract(FIXTURES / "county-gb18030.txt")
    assert result.document.encoding == "gb18030"
    assert result.document.region_level == "county"
    assert set(result.observations["scope"]) <= {"全县", "县本级", "县直"}
    plan = result.observations.filter(pl.col("section") == "四、")
    assert plan.height == 2 and not plan["mapped"].any()


def test_quotes_and_spans_point_into_the_raw_text() -> None:
    for report in REPORTS:
        path = FIXTURES / f"{report}.txt"
        result = extract(path)
        raw = result.document.encoding and path.read_bytes().decode(result.document.encoding)
        assert isinstance(raw, str)
        from fzcompare.extract import normalize

        for quote, start, end in result.observations.select(
                "quote", "span_start", "span_end").iter_rows():
            assert normalize(raw[start:end]).text == quote


def test_ratio_checks() -> None:
    result = extract(FIXTURES / "city-simplified.txt")
    ratio = result.checks.filter(pl.col("kind") == "ratio")
    assert ratio.height == 1 and ratio["ok"].all()
    text = (FIXTURES / "city-simplified.txt").read_text(encoding="utf-8").replace(
        "纠错率12.5%", "纠错率15.5%")
    broken = extract(text)
    assert any(w.code == "ratio_mismatch" for w in broken.warnings)
    assert not broken.checks.filter(pl.col("kind") == "ratio")["ok"].all()


def test_unmapped_codes_are_deterministic_and_unique() -> None:
    first = extract(FIXTURES / "county-gb18030.txt").observations
    second = extract(FIXTURES / "county-gb18030.txt").observations
    assert first.equals(second)
    unmapped = first.filter(~pl.col("mapped"))
    assert unmapped.height > 0
    assert unmapped["indicator_code"].str.starts_with("unmapped_").all()
    assert not first.select("indicator_code", "scope").is_duplicated().any()
