"""ExtractionResult and Evaluation: display, conversion, data model and sources rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl

from fzcompare.extract import RESULT_SCHEMA, evaluate, extract, load_gold
from fzcompare.schema import OBSERVATION_SCHEMA, SOURCE_SCHEMA

FIXTURES = Path("tests/fixtures/extract")
EVIL = '<script>alert("x")</script>'


def test_result_columns_and_conversions() -> None:
    result = extract(FIXTURES / "city-simplified.txt")
    assert result.observations.schema == pl.Schema(RESULT_SCHEMA)
    assert result.to_polars() is result.observations
    assert isinstance(result.to_pandas(), pd.DataFrame)
    model = result.data_model()
    assert model.columns == list(OBSERVATION_SCHEMA)
    assert result.data_model(mapped_only=True).height == result.mapped.height
    assert result.mapped.height + result.unmapped.height == result.observations.height


def test_sources_row() -> None:
    result = extract(FIXTURES / "city-simplified.txt")
    sources = result.sources
    assert sources.schema == pl.Schema(SOURCE_SCHEMA)
    assert sources.row(0, named=True)["kind"] == "report"
    assert sources["source_id"][0] == result.document.source_id
    assert set(result.observations["source_id"]) == {result.document.source_id}


def test_repr_and_html_escape_data() -> None:
    text = f"十堰市人民政府关于2023年法治政府建设情况的报告\n{EVIL}全市办理{EVIL}案件12件。"
    result = extract(text)
    assert len(repr(result)) < 400 and "ExtractionResult(" in repr(result)
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_evaluate_unmapped_gold_rows() -> None:
    obs = pl.DataFrame({"indicator_code": ["unmapped_abc", "x"], "scope": ["全市", "全市"],
                        "value": [3.0, 4.0], "unit": ["个", "件"], "qualifier": ["eq", "eq"],
                        "quote": ["全市仍有3个乡镇", "办理4件"], "mapped": [False, True]})
    gold = pl.DataFrame({"indicator_code": ["unmapped", "y"], "scope": ["全市", "全市"],
                         "value": [3.0, 4.0], "unit": ["个", "件"], "qualifier": ["eq", "eq"],
                         "quote": ["全市仍有3个乡镇", "办理4件"]})
    scores = evaluate(obs, gold)
    assert (scores.value_recall, scores.code_recall, scores.precision) == (1.0, 0.5, 0.0)
    assert scores.false_positives["indicator_code"].to_list() == ["x"]
    assert "<script>" not in scores._repr_html_()
    assert scores.to_polars().height == 2


def test_load_gold_reads_the_seed_gold_format(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    path.write_text("indicator_code,name_zh,domain,scope,value,unit,qualifier,quote\n"
                    "hazards_rectified,排查整治隐患问题,5,全市,17600,条,eq,排查整治隐患问题1.76万条\n",
                    encoding="utf-8")
    gold = load_gold(path)
    result = extract("十堰市人民政府关于2023年法治政府建设情况的报告\n五、严格执法\n"
                     "全市排查整治隐患问题1.76万条。")
    scores = evaluate(result, gold)
    assert scores.value_recall == 1.0 and scores.code_recall == 1.0 and scores.precision == 1.0
