"""Result objects display well in terminals and notebooks and convert to data frames.

The team contract: every result object has a compact plain-text ``repr()``, an HTML
``_repr_html_()`` fragment (a summary plus the head of its main table, with every piece of
data-derived text escaped) and ``to_polars()`` / ``to_pandas()`` returning its main table.
Where the data can carry text, the instance is built with a ``<script>`` name to prove it is
escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

EVIL = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;"
MAX_REPR_CHARS = 400
BALANCED_TAGS = ("div", "table", "thead", "tbody", "tr", "ul", "ol", "p", "details")


class _TagBalance(HTMLParser):
    """Counts opening and closing block tags; a fragment must close what it opens."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth: dict[str, int] = dict.fromkeys(BALANCED_TAGS, 0)
        self.headers: list[str] = []
        self._in_th = False
        self.negative: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.depth:
            self.depth[tag] += 1
        self._in_th = tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag in self.depth:
            self.depth[tag] -= 1
            if self.depth[tag] < 0:
                self.negative.append(tag)
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        if self._in_th:
            self.headers.append(data.strip())


def _observations(**columns: list[Any]) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    base: dict[str, list[Any]] = {
        "region_code": ["420300"] * n, "year": [2023] * n,
        "indicator_code": ["gov_service_online_rate"] * n, "scope": ["全市"] * n,
        "value": [90.0] * n, "unit": ["%"] * n, "qualifier": ["eq"] * n,
        "source_id": ["s"] * n, "quote": [""] * n,
    }
    base.update(columns)
    return pl.DataFrame(base, schema_overrides={"year": pl.Int32()})


# ------------------------------------------------------------------ instances under test


def _synthetic_panel() -> Any:
    from fzcompare.synthetic import SyntheticPanel

    panel = _observations(indicator_code=[EVIL, "gov_service_online_rate"],
                          source_id=[EVIL, EVIL], year=[2022, 2023])
    regions = pl.DataFrame({"region_code": ["420300"], "name_zh": [EVIL], "name_en": [EVIL],
                            "level": ["prefecture"], "parent_code": ["420000"]})
    sources = pl.DataFrame({"source_id": [EVIL], "title": [EVIL], "kind": ["synthetic"]})
    return SyntheticPanel(observations=panel, regions=regions, sources=sources)


def _demo_panel() -> Any:
    from fzcompare.synthetic import demo_panel

    return demo_panel()


def _write_report(tmp_path: Path) -> Any:
    from fzcompare import store

    rows = _observations(year=[2022, 2023], value=[88.0, 91.0], source_id=["src", "src"],
                         quote=[EVIL, EVIL])
    sources = pl.DataFrame([{"source_id": "src", "title": EVIL, "publisher": EVIL,
                             "published": None, "url": "", "kind": "report", "note": ""}])
    store.write_observations(rows.head(1), tmp_path / "ds", sources=sources)
    return store.write_observations(rows.with_columns(value=pl.lit(95.0)), tmp_path / "ds")


def _trends_result() -> Any:
    from fzcompare import trends

    obs = _observations(region_code=[EVIL] * 3, year=[2021, 2022, 2023],
                        value=[90.0, 92.0, 91.0])
    return trends.analyze(obs)


def _series_model() -> Any:
    from fzcompare import trends

    obs = _observations(region_code=[EVIL] * 4, year=[2020, 2021, 2022, 2023],
                        value=[80.0, 84.0, 90.0, 92.0])
    return trends.series_model(obs, region=EVIL, indicator="gov_service_online_rate",
                               scope="全市")


def _rubric() -> Any:
    from fzcompare.criteria import parse_criteria, rubric_raw_example

    raw = rubric_raw_example()
    raw["name"] = EVIL
    raw["areas"][0]["name"] = EVIL
    raw["areas"][0]["criteria"][0]["name"] = EVIL
    return parse_criteria(raw)


_TWO_CITIES: dict[str, list[Any]] = {"region_code": ["420300", "420100"], "value": [99.0, 80.0],
                                     "quote": [EVIL] * 2}
_EVIL_PEERS = {"420300": EVIL, "420100": EVIL}


def _benchmark_result() -> Any:
    from fzcompare.benchmark import benchmark

    return benchmark(_observations(**_TWO_CITIES), _rubric(), peers=_EVIL_PEERS)


def _composite_result() -> Any:
    from fzcompare.benchmark import composite

    return composite(_observations(**_TWO_CITIES), _rubric(), peers=_EVIL_PEERS)


def _robustness_result() -> Any:
    from fzcompare.benchmark import rank_robustness

    return rank_robustness(_observations(**_TWO_CITIES), _rubric(), draws=20, peers=_EVIL_PEERS)


_REPORT_TEXT = (f"{EVIL}十堰市人民政府关于2023年法治政府建设情况的报告\n"
                f"全市{EVIL}共收到行政复议申请429件，办结80件，纠错9件，纠错率11.25%。")


def _extraction_result() -> Any:
    from fzcompare.extract import extract

    return extract(_REPORT_TEXT)


def _evaluation() -> Any:
    from fzcompare.extract import evaluate, extract

    result = extract(_REPORT_TEXT)
    gold = result.data_model().with_columns(quote=pl.lit(EVIL)).head(2)
    gold = pl.concat([gold, gold.head(1).with_columns(indicator_code=pl.lit(EVIL),
                                                      value=pl.lit(123.0))])
    return evaluate(result, gold)


_BAD_ROWS: dict[str, list[Any]] = {
    "indicator_code": ["gov_service_online_rate", "gov_service_online_rate"],
    "region_code": ["420300", "420100"], "value": [9997.0, 95.0],
    "source_id": ["src", "src"], "quote": [EVIL, EVIL]}
_SOURCES = {"source_id": "src", "title": EVIL, "publisher": EVIL, "published": None,
            "url": "", "kind": "report", "note": ""}


def _validation_result() -> Any:
    from fzcompare.validate import validate

    return validate(_observations(**_BAD_ROWS), sources=pl.DataFrame([_SOURCES]))


def _quarantine_report(tmp_path: Path) -> Any:
    from fzcompare import store
    from fzcompare.validate import quarantine

    store.write_observations(_observations(**_BAD_ROWS), tmp_path / "ds",
                             sources=pl.DataFrame([_SOURCES]))
    return quarantine(tmp_path / "ds")


def _report() -> Any:
    import datetime as dt

    from fzcompare.criteria import parse_criteria, rubric_raw_example
    from fzcompare.report import build_report
    from fzcompare.store import dataset_regions

    raw = rubric_raw_example()
    raw.update(name=EVIL, levels=["prefecture"])
    sources = pl.DataFrame([{"source_id": "s", "title": EVIL, "publisher": EVIL,
                             "published": None, "url": "", "kind": "report", "note": ""}])
    return build_report(_observations(**_TWO_CITIES), parse_criteria(raw), sources=sources,
                        regions_table=dataset_regions("datasets/real"), as_of=dt.date(2025, 1, 31),
                        charts=False, dataset_label=EVIL)


# (name, builder, whether the builder put EVIL into text the HTML shows)
CASES: list[tuple[str, Callable[..., Any], bool]] = [
    ("SyntheticPanel", _synthetic_panel, True),
    ("SyntheticPanel-demo", _demo_panel, False),
    ("WriteReport", _write_report, False),
    ("TrendsResult", _trends_result, True),
    ("SeriesModel", _series_model, True),
    ("BenchmarkResult", _benchmark_result, True),
    ("CompositeResult", _composite_result, True),
    ("RobustnessResult", _robustness_result, True),
    ("ExtractionResult", _extraction_result, True),
    ("Evaluation", _evaluation, True),
    ("Report", _report, False),
    ("ValidationResult", _validation_result, False),
    ("QuarantineReport", _quarantine_report, False),
]

_NEEDS_TMP_PATH = (_write_report, _quarantine_report)


def _build(builder: Callable[..., Any], tmp_path: Path) -> Any:
    return builder(tmp_path) if builder in _NEEDS_TMP_PATH else builder()


@pytest.fixture(params=CASES, ids=[case[0] for case in CASES])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, bool]:
    _, builder, evil_shown = request.param
    return _build(builder, tmp_path), evil_shown


# ------------------------------------------------------------------------------ checks


def test_repr_is_one_short_line_of_plain_text(case: tuple[Any, bool]) -> None:
    obj, _ = case
    text = repr(obj)
    assert text.startswith(f"{type(obj).__name__}("), text
    assert "\n" not in text, text
    assert len(text) <= MAX_REPR_CHARS, f"{len(text)} characters: {text}"
    assert not re.search(r"</?(div|table|tr|td|th|p|ul|li|b|strong)\b", text), text
    assert "shape:" not in text and "┌" not in text, "repr must not print a whole table"


def test_repr_html_is_an_escaped_fragment_with_the_table_head(case: tuple[Any, bool]) -> None:
    obj, evil_shown = case
    assert callable(getattr(obj, "_repr_html_", None)), \
        f"{type(obj).__name__} has no _repr_html_"
    html = obj._repr_html_()
    assert isinstance(html, str) and html.lstrip().startswith("<"), html[:80]
    lowered = html.lower()
    for document_tag in ("<html", "<body", "<head", "<!doctype"):
        assert document_tag not in lowered, f"a fragment, not a document: {document_tag}"
    assert "<script" not in lowered, "data-derived text must be escaped, and no scripts"
    if evil_shown:
        assert ESCAPED in html, "the <script> name should be shown, escaped"
    parser = _TagBalance()
    parser.feed(html)
    parser.close()
    assert not parser.negative, f"closing tags without opening ones: {parser.negative}"
    assert all(count == 0 for count in parser.depth.values()), parser.depth
    assert "<table" in lowered, "the head of the main table is shown"
    main_columns = set(obj.to_polars().columns)
    assert main_columns & set(parser.headers), (
        f"table headers {parser.headers[:8]} share no column with to_polars()")


def test_to_polars_and_to_pandas_give_the_main_table(case: tuple[Any, bool]) -> None:
    obj, _ = case
    frame = obj.to_polars()
    assert isinstance(frame, pl.DataFrame)
    assert callable(getattr(obj, "to_pandas", None)), f"{type(obj).__name__} has no to_pandas"
    converted = obj.to_pandas()
    assert isinstance(converted, pd.DataFrame)
    assert list(converted.columns) == frame.columns
    assert len(converted) == frame.height


def test_every_case_builds_the_class_it_names(tmp_path: Path) -> None:
    for name, builder, _ in CASES:
        assert type(_build(builder, tmp_path)).__name__ == name.split("-")[0]


def test_criteria_set_repr_is_compact() -> None:
    text = repr(_rubric())
    assert text.startswith("CriteriaSet(") and "\n" not in text and len(text) <= MAX_REPR_CHARS


def test_repr_html_isolates_right_to_left_text() -> None:
    from fzcompare._display import html_table

    name = "宜昌\u202e市"
    html = html_table(pl.DataFrame({"region": [name, None], "value": [1.5, 2.0]}))
    assert f"<td><bdi>{name}</bdi></td>" in html
    assert html.count(name) == html.count(f"<bdi>{name}</bdi>") == 1
    assert "<td>1.5</td>" in html and "<td></td>" in html
