"""Tests of fzcompare.charts: image baselines, fonts, synthetic mark, determinism.

Image baselines live in tests/baseline_images/charts/. They are rendered with the bundled
Noto Sans CJK SC face (FZCOMPARE_CHART_FONT=bundled), at 100 dpi, on Agg, with
``text.hinting = default`` and compared with ``matplotlib.testing.compare.compare_images``
at an RMS tolerance of ``TOLERANCE``.

Regenerate them after an intended change with::

    FZ_REGENERATE_BASELINES=1 python -m pytest tests/test_charts.py -q

then LOOK at every changed PNG before committing it. On a mismatch the actual image, a
copy of the expected one and the diff image are left in ``FZ_CHART_RESULTS_DIR``
(default ``result_images/test_charts`` under the repository root).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images
from matplotlib.testing.exceptions import ImageComparisonFailure

from fzcompare import charts, load_catalog, load_regions
from fzcompare.charts._common import MAX_GRID_REGIONS
from fzcompare.charts._fonts import FONT_ENV, chart_font, uncovered_characters
from fzcompare.charts._labels import safe_text, truncate
from fzcompare.charts._style import SYNTHETIC_MARK
from fzcompare.errors import ChartError, FzcompareError, SchemaError

ROOT = Path(__file__).resolve().parents[1]
BASELINE_DIR = Path(__file__).parent / "baseline_images" / "charts"
RESULTS_DIR = Path(os.environ.get("FZ_CHART_RESULTS_DIR",
                                  ROOT / "result_images" / "test_charts"))
REGENERATE = os.environ.get("FZ_REGENERATE_BASELINES") == "1"
TOLERANCE = 3.0
BASELINE_DPI = 100

pytestmark = pytest.mark.filterwarnings("error:Glyph .* missing from font")


@pytest.fixture(autouse=True)
def pinned_chart_style(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The bundled font and matplotlib's testing hinting, without touching global rcParams."""
    monkeypatch.setenv(FONT_ENV, "bundled")
    with matplotlib.rc_context({"text.hinting": "default", "text.kerning_factor": None}):
        yield


def check_baseline(fig: Figure, name: str) -> None:
    """Compare ``fig`` with tests/baseline_images/charts/<name>.png (or write it)."""
    expected = BASELINE_DIR / f"{name}.png"
    if REGENERATE:
        BASELINE_DIR.mkdir(parents=True, exist_ok=True)
        charts.save_png(fig, expected, dpi=BASELINE_DPI)
        return
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    actual = RESULTS_DIR / f"{name}.png"
    charts.save_png(fig, actual, dpi=BASELINE_DPI)
    if not expected.exists():
        pytest.fail(f"no baseline {expected}; the actual image is {actual}. Look at it, then "
                    "run with FZ_REGENERATE_BASELINES=1 to write the baselines")
    kept = RESULTS_DIR / f"{name}-expected.png"
    shutil.copyfile(expected, kept)
    try:
        result = compare_images(str(kept), str(actual), tol=TOLERANCE, in_decorator=True)
    except ImageComparisonFailure as exc:
        pytest.fail(f"{name}: {exc}; actual {actual}, expected {kept}")
    if result is not None:
        pytest.fail(f"{name}: RMS {result['rms']:.2f} > tolerance {TOLERANCE}; actual "
                    f"{actual}, expected {kept}, diff {result['diff']}")
    actual.unlink()
    kept.unlink()


# ---------------------------------------------------------------- hand-built frames

PREFECTURES = {
    "420100": ("武汉市", "Wuhan"), "420200": ("黄石市", "Huangshi"),
    "420300": ("十堰市", "Shiyan"), "420500": ("宜昌市", "Yichang"),
    "420600": ("襄阳市", "Xiangyang"), "420700": ("鄂州市", "Ezhou"),
    "420800": ("荆门市", "Jingmen"), "420900": ("孝感市", "Xiaogan"),
    "421000": ("荆州市", "Jingzhou"), "421100": ("黄冈市", "Huanggang"),
    "421200": ("咸宁市", "Xianning"), "421300": ("随州市", "Suizhou"),
    "422800": ("恩施土家族苗族自治州", "Enshi Tujia and Miao Autonomous Prefecture"),
}
COUNTIES = {
    "420302": ("茅箭区", "Maojian"), "420303": ("张湾区", "Zhangwan"),
    "420304": ("郧阳区", "Yunyang"), "420322": ("郧西县", "Yunxi"),
    "420323": ("竹山县", "Zhushan"), "420324": ("竹溪县", "Zhuxi"),
    "420325": ("房县", "Fangxian"), "420381": ("丹江口市", "Danjiangkou"),
}
INDICATORS = {
    "gov_service_online_rate": ("政务服务网办率", "Government services online"),
    "reconsideration_correction_rate": ("行政复议纠错率", "Reconsideration correction rate"),
    "info_disclosure_on_time_rate": ("政府信息公开申请按时办结率",
                                     "Disclosure requests answered on time"),
    "reconsideration_applications": ("行政复议申请", "Reconsideration applications"),
}
AREAS = {
    1: ("加强党的领导与组织保障", "Organisation and leadership"),
    2: ("依法全面履行政府职能", "Government functions"),
    3: ("依法行政制度体系", "Institutional framework"),
    4: ("重大行政决策", "Decision-making"),
    5: ("行政执法", "Law enforcement"),
    6: ("突发事件应对", "Emergency response"),
    7: ("行政权力制约和监督", "Oversight of administrative power"),
    8: ("矛盾纠纷化解与基层治理", "Dispute resolution"),
}


def names(lang: str) -> dict[str, str]:
    i = 0 if lang == "zh" else 1
    out = {code: pair[i] for code, pair in {**PREFECTURES, **COUNTIES, **INDICATORS}.items()}
    out.update({str(a): pair[i] for a, pair in AREAS.items()})
    if lang == "en":
        out.update(CRITERIA_EN)
    return out


def observations() -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    base = {"420300": 0.0, "420500": 1.5, "420600": -2.0}
    for region, shift in base.items():
        for k, year in enumerate(range(2019, 2024)):
            rows.append({"region_code": region, "year": year,
                         "indicator_code": "gov_service_online_rate", "scope": "全市",
                         "value": 86.0 + shift + 2.4 * k - (1.5 if k == 3 else 0.0),
                         "unit": "%", "qualifier": "eq" if k != 4 or shift else "gt",
                         "source_id": "report-x", "quote": ""})
            rows.append({"region_code": region, "year": year,
                         "indicator_code": "reconsideration_correction_rate", "scope": "全市",
                         "value": 12.0 - shift - 0.9 * k + (2.0 if k == 2 else 0.0),
                         "unit": "%", "qualifier": "eq", "source_id": "report-x",
                         "quote": ""})
            rows.append({"region_code": region, "year": year,
                         "indicator_code": "reconsideration_applications", "scope": "全市",
                         "value": 600.0 + 150 * shift + 40 * k * (1 if shift >= 0 else -1),
                         "unit": "件", "qualifier": "approx" if k == 1 else "eq",
                         "source_id": "report-x", "quote": ""})
    return pl.DataFrame(rows)


def county_observations() -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for j, region in enumerate(COUNTIES):
        for k, year in enumerate(range(2018, 2024)):
            spread = 9.0 - 1.2 * k
            rows.append({"region_code": region, "year": year,
                         "indicator_code": "gov_service_online_rate", "scope": "全县",
                         "value": round(84.0 + 2.0 * k + spread * ((j * 37 % 8) / 7 - 0.5), 1),
                         "unit": "%", "qualifier": "eq", "source_id": "report-y",
                         "quote": ""})
    return pl.DataFrame(rows)


def trends_frame() -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    values = [(88.0, 93.5), (91.0, 90.2), (95.0, 95.0), (None, 97.1), (85.5, 92.0),
              (97.8, 96.4), (90.0, 90.0), (93.3, 98.0), (82.0, 89.5), (94.0, 91.5),
              (96.0, 96.6), (89.0, 88.0), (92.0, 97.0)]
    for (region, _), (prev, value) in zip(PREFECTURES.items(), values, strict=True):
        change = None if prev is None else value - prev
        verdict = ("not comparable" if prev is None else "improved" if change and change > 0
                   else "worsened" if change and change < 0 else "unchanged")
        if region == "420900":
            verdict = "not comparable"
        rows.append({"region_code": region, "indicator_code": "gov_service_online_rate",
                     "scope": "全市", "year": 2023, "prev_year": 2022, "value": value,
                     "prev_value": prev, "change_abs": change,
                     "change_pct": None if prev is None or change is None
                     else 100 * change / prev,
                     "verdict": verdict})
    return pl.DataFrame(rows, schema_overrides={"prev_value": pl.Float64,
                                                "change_abs": pl.Float64,
                                                "change_pct": pl.Float64})


CRITERIA = [
    # criterion_id, area, name, indicator, comparator, threshold, high, points
    ("c2.1", 2, "政务服务事项网上可办率", "gov_service_online_rate", "ge", 95.0, None, 4),
    ("c2.2", 2, "行政许可事项清单动态调整", None, "eq", 1.0, None, 2),
    ("c5.1", 5, "行政执法案卷评查合格率", None, "ge", 90.0, None, 3),
    ("c7.1", 7, "政府信息公开申请按时办结率", "info_disclosure_on_time_rate", "ge", 100.0,
     None, 3),
    ("c8.1", 8, "行政复议纠错率处于合理区间", "reconsideration_correction_rate", "between",
     5.0, 20.0, 3),
    ("c8.2", 8, "行政诉讼败诉率", None, "le", 5.0, None, 3),
    ("c8.3", 8, "行政机关负责人出庭应诉率", None, "ge", 90.0, None, 3),
]


CRITERIA_EN = {
    "c2.1": "Services that can be handled online", "c2.2": "Licensing list kept up to date",
    "c5.1": "Enforcement case files passing review",
    "c7.1": "Disclosure requests answered on time",
    "c8.1": "Reconsideration correction rate in range",
    "c8.2": "Administrative lawsuits lost",
    "c8.3": "Agency heads appearing in court",
}


def criteria_frame() -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    results: dict[str, list[tuple[float | None, str]]] = {
        "420300": [(98.1, "met"), (1, "met"), (87.0, "partial"), (100.0, "met"),
                   (11.0, "met"), (6.2, "not_met"), (None, "missing")],
        "420500": [(96.0, "met"), (1, "met"), (93.0, "met"), (98.5, "not_met"),
                   (22.0, "not_met"), (3.1, "met"), (95.0, "met")],
        "420600": [(92.5, "partial"), (0, "not_met"), (91.0, "met"), (100.0, "met"),
                   (8.5, "met"), (None, "missing"), (100.0, "met")],
        "420800": [(90.0, "not_met"), (1, "met"), (None, "missing"), (None, "missing"),
                   (15.0, "met"), (4.0, "met"), (80.0, "not_met")],
    }
    for region, outcomes in results.items():
        for (cid, area, name, code, comp, low, high, pts), (value, status) in zip(
                CRITERIA, outcomes, strict=True):
            earned = {"met": pts, "partial": pts / 2, "not_met": 0, "missing": 0}[status]
            rows.append({"region_code": region, "year": 2023, "area_id": area,
                         "area_name": AREAS[area][0], "criterion_id": cid,
                         "criterion_name": name, "indicator_code": code, "scope": "全市",
                         "rule": comp, "comparator": comp, "threshold": low,
                         "threshold_high": high,
                         "value": None if value is None else float(value),
                         "status": status, "points_possible": float(pts),
                         "points_earned": float(earned),
                         "gap": None if value is None or status == "met" else 1.0})
    return pl.DataFrame(rows, schema_overrides={"threshold_high": pl.Float64,
                                                "value": pl.Float64, "gap": pl.Float64,
                                                "indicator_code": pl.String})


def areas_frame() -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    shares = {
        "420300": [0.90, 0.75, 0.60, 0.85, 0.55, 0.70, 0.95, 0.80],
        "420500": [0.80, 0.85, 0.70, 0.60, 0.75, 0.65, 0.85, 0.90],
        "420600": [0.70, 0.65, 0.80, 0.75, 0.70, 0.90, 0.70, 0.60],
        "420800": [1.00, 0.55, 0.50, 0.70, 0.60, 0.60, 0.80, 0.70],
        "420900": [0.60, 0.70, 0.75, 0.65, 0.80, 0.55, 0.75, 0.85],
    }
    for region, values in shares.items():
        for area, share in zip(AREAS, values, strict=True):
            rows.append({"region_code": region, "year": 2023, "peer_group": "地级市",
                         "area_id": area, "area_name": AREAS[area][0],
                         "points_possible": 20.0, "points_earned": 20.0 * share,
                         "share": share})
    return pl.DataFrame(rows)


def totals_frame() -> pl.DataFrame:
    ranks = {
        "420100": [1, 1, 2, 1, 1], "420300": [6, 4, 3, 3, 2], "420500": [2, 3, 1, 2, 3],
        "420600": [3, 2, 4, 4, 4], "420800": [5, 6, 6, 5, 5], "421000": [4, 5, 5, 6, 7],
        "421100": [7, 7, 8, 7, 6], "421200": [8, 9, 7, 8, 8], "422800": [9, 8, 9, 9, 9],
    }
    rows: list[dict[str, Any]] = []
    for region, seq in ranks.items():
        for k, rank in enumerate(seq):
            rows.append({"region_code": region, "year": 2019 + k, "peer_group": "地级市",
                         "points_earned": 100.0 - rank, "share": (100.0 - rank) / 100,
                         "verdict": "pass", "rank": rank,
                         "prev_rank": seq[k - 1] if k else None,
                         "rank_change": (seq[k - 1] - rank) if k else None})
    return pl.DataFrame(rows, schema_overrides={"prev_rank": pl.Int64,
                                                "rank_change": pl.Int64})


# ---------------------------------------------------------------- image baselines

CASES: dict[str, Callable[[], Figure]] = {
    "trend_panels_zh": lambda: charts.trend_panels(
        observations(), labels=names("zh"),
        indicators=["gov_service_online_rate", "reconsideration_correction_rate",
                    "reconsideration_applications"],
        thresholds={"gov_service_online_rate": 90.0,
                    "reconsideration_correction_rate": (5.0, 15.0)}),
    "trend_panels_by_region_en": lambda: charts.trend_panels(
        observations(), labels=names("en"), lang="en", panel_by="region",
        indicators=["gov_service_online_rate", "reconsideration_correction_rate"],
        thresholds={"gov_service_online_rate": 90.0}, ncols=2),
    "trend_panels_synthetic": lambda: charts.trend_panels(
        observations().with_columns(pl.lit("synthetic-demo-1").alias("source_id")),
        labels=names("zh"), regions=["420300"],
        indicators=["gov_service_online_rate", "reconsideration_applications"]),
    "yoy_dumbbell_zh": lambda: charts.yoy_dumbbell(trends_frame(), labels=names("zh")),
    "yoy_dumbbell_en": lambda: charts.yoy_dumbbell(trends_frame(), labels=names("en"),
                                                   lang="en", max_rows=8),
    "bullet_chart_zh": lambda: charts.bullet_chart(criteria_frame(), region_code="420300",
                                                   labels=names("zh")),
    "bullet_chart_en": lambda: charts.bullet_chart(criteria_frame(), region_code="420600",
                                                   labels=names("en"), lang="en"),
    "area_profile_bars_zh": lambda: charts.area_profile(areas_frame(), region_code="420300",
                                                        labels=names("zh")),
    "area_profile_radar_en": lambda: charts.area_profile(
        areas_frame(), region_code="420300", labels=names("en"), lang="en", kind="radar"),
    "criteria_heatmap_zh": lambda: charts.criteria_heatmap(criteria_frame(),
                                                           labels=names("zh")),
    "criteria_heatmap_en_synthetic": lambda: charts.criteria_heatmap(
        criteria_frame(), labels=names("en"), lang="en", synthetic=True),
    "rank_bump_zh": lambda: charts.rank_bump(totals_frame(), labels=names("zh"),
                                             highlight=["420300", "420500"]),
    "rank_bump_en": lambda: charts.rank_bump(
        totals_frame().filter(pl.col("region_code").is_in(["420100", "420300", "420500",
                                                           "420600", "421000"])),
        labels=names("en"), lang="en"),
    "dispersion_zh": lambda: charts.dispersion_chart(
        county_observations(), indicator_code="gov_service_online_rate",
        labels=names("zh")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_chart_matches_baseline(name: str) -> None:
    fig = CASES[name]()
    assert isinstance(fig, Figure)
    check_baseline(fig, name)


# ---------------------------------------------------------------- behaviour


def all_texts(fig: Figure) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text)]


def test_every_chart_leaves_global_rcparams_alone() -> None:
    before = dict(matplotlib.rcParams)
    for build in CASES.values():
        build()
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_synthetic_mark_drawn_when_frame_says_synthetic_or_forced() -> None:
    def marked(fig: Figure) -> bool:
        return SYNTHETIC_MARK in all_texts(fig)

    obs = observations().filter(pl.col("region_code") == "420300")
    assert not marked(charts.trend_panels(obs))
    assert marked(charts.trend_panels(obs.with_columns(
        pl.lit("synthetic").alias("source_kind"))))
    assert marked(charts.trend_panels(obs.with_columns(pl.lit(True).alias("synthetic"))))
    assert marked(charts.trend_panels(obs.with_columns(
        pl.lit("synthetic-demo-7").alias("source_id"))))
    assert marked(charts.yoy_dumbbell(trends_frame(), synthetic=True))
    assert not marked(charts.yoy_dumbbell(trends_frame()))


def test_bundled_font_is_the_simplified_chinese_face() -> None:
    font = chart_font()
    assert font.source == "bundled"
    assert font.name == "Noto Sans CJK SC"
    assert font.path.endswith("NotoSansCJK-Regular.ttc")
    assert font.face_index == 2
    from matplotlib import font_manager

    found = font_manager.findfont(font_manager.FontProperties(family=font.family),
                                  fallback_to_default=False)
    assert (found.path, found.face_index) == (font.path, 2)


def test_font_env_path_override(monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = chart_font()
    monkeypatch.setenv(FONT_ENV, f"{bundled.path}#3")
    font = chart_font()
    assert (font.source, font.name, font.face_index) == ("env", "Noto Sans CJK TC", 3)
    monkeypatch.setenv(FONT_ENV, "/no/such/font.ttf")
    with pytest.raises(FzcompareError, match="no such font file"):
        chart_font()


def test_system_noto_sans_cjk_sc_is_preferred(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    from matplotlib import font_manager

    bundled = chart_font()
    system_copy = tmp_path / "NotoSansCJK-Regular.ttc"
    shutil.copyfile(bundled.path, system_copy)
    entry = font_manager.FontEntry(fname=str(system_copy), index=2, name="Noto Sans CJK SC",
                                   style="normal", variant="normal", weight=400,
                                   stretch="normal", size="scalable")
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [*font_manager.fontManager.ttflist, entry])
    monkeypatch.setenv(FONT_ENV, "auto")
    font = chart_font()
    assert (font.source, font.path, font.face_index) == ("system", str(system_copy), 2)
    monkeypatch.setenv(FONT_ENV, "bundled")
    assert chart_font().path == bundled.path


def test_font_covers_every_catalog_and_region_name() -> None:
    catalog = load_catalog()
    regions = load_regions()
    texts = [*catalog.indicators["name_zh"], *catalog.domains["name_zh"],
             *regions["name_zh"], *(n for n, _ in {**PREFECTURES, **COUNTIES}.values()),
             *(c[2] for c in CRITERIA), "合成数据 / SYNTHETIC ✓ ◐ × ? … ≥ ≤ – → ▲ ▼ （）：% \u2212"]
    assert uncovered_characters(texts) == set()


def test_missing_glyph_fails_the_test_suite() -> None:
    obs = observations().filter(pl.col("region_code") == "420300")
    with pytest.raises(UserWarning, match="missing from font"):
        charts.trend_panels(obs, labels={"420300": "十堰 \U0001f600"},
                            indicators=["gov_service_online_rate"], regions=["420300",
                                                                             "420500"])


def test_english_labels_come_from_the_catalog_and_regions_table() -> None:
    catalog = load_catalog()
    row = catalog.indicator("gov_service_online_rate")
    fig = charts.yoy_dumbbell(trends_frame().filter(pl.col("region_code") == "420300"),
                              lang="en")
    texts = all_texts(fig)
    assert any(row["name_en"][:10] in t for t in texts)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Shiyan"]


def test_unknown_codes_fall_back_to_the_code_and_long_names_are_cut() -> None:
    long_name = "一个非常非常非常非常非常非常非常非常长的地区名称用于测试截断"
    frame = trends_frame().filter(pl.col("region_code").is_in(["420100", "420200"]))
    frame = frame.with_columns(pl.when(pl.col("region_code") == "420200").then(
        pl.lit("999999")).otherwise(pl.col("region_code")).alias("region_code"))
    fig = charts.yoy_dumbbell(frame, labels={"420100": long_name})
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "999999" in labels
    cut = next(s for s in labels if s != "999999")
    assert cut.endswith("…") and long_name.startswith(cut[:-1])


def test_data_text_is_never_mathtext() -> None:
    from matplotlib import cbook

    frame = trends_frame().filter(pl.col("region_code") == "420100")
    fig = charts.yoy_dumbbell(frame, labels={"420100": r"$\frac{a}{b}$ city"})
    label = fig.axes[0].get_yticklabels()[0].get_text()
    assert label == r"\$\frac{a}{b}\$ city"
    assert not cbook.is_math_text(label)
    assert safe_text("a\nb\tc$") == r"a b c\$"


def test_save_png_is_deterministic_and_has_no_metadata(tmp_path: Path) -> None:
    first, second = io.BytesIO(), io.BytesIO()
    charts.save_png(CASES["bullet_chart_zh"](), first)
    charts.save_png(CASES["bullet_chart_zh"](), second)
    assert first.getvalue() == second.getvalue()
    assert b"tEXt" not in first.getvalue() and b"Matplotlib" not in first.getvalue()
    target = tmp_path / "chart.png"
    charts.save_png(CASES["bullet_chart_zh"](), target, dpi=72)
    assert target.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_data_uri_is_deterministic_png_and_svg() -> None:
    build = CASES["area_profile_bars_zh"]
    png = charts.figure_to_data_uri(build())
    assert png.startswith("data:image/png;base64,") and png == charts.figure_to_data_uri(build())
    svg = charts.figure_to_data_uri(build(), fmt="svg")
    assert svg.startswith("data:image/svg+xml;base64,")
    assert svg == charts.figure_to_data_uri(build(), fmt="svg")


def test_bad_input_raises_clear_errors() -> None:
    with pytest.raises(SchemaError, match="missing columns: verdict") as err:
        charts.yoy_dumbbell(trends_frame().drop("verdict"))
    assert err.value.details["reason"] == "missing_column"
    two = pl.concat([trends_frame(), trends_frame().with_columns(
        pl.lit("info_disclosure_on_time_rate").alias("indicator_code"))])
    with pytest.raises(ChartError, match="several indicator_code") as amb:
        charts.yoy_dumbbell(two)
    assert amb.value.details["reason"] == "ambiguous"
    with pytest.raises(ChartError, match="no rows"):
        charts.trend_panels(observations(), regions=["000000"])
    with pytest.raises(ChartError, match="several region_code"):
        charts.bullet_chart(criteria_frame())
    with pytest.raises(ChartError, match="unknown chart language"):
        charts.rank_bump(totals_frame(), lang="fr")
    with pytest.raises(SchemaError, match="polars DataFrame"):
        charts.rank_bump(totals_frame().lazy())  # type: ignore[arg-type]


def test_too_many_lines_is_an_error_not_a_mess() -> None:
    rows = [{"region_code": f"42{i:04d}", "year": y, "indicator_code": "x", "scope": "全市",
             "value": float(i + y)} for i in range(25) for y in (2022, 2023)]
    with pytest.raises(ChartError, match="too many") as err:
        charts.trend_panels(pl.DataFrame(rows))
    assert err.value.details["reason"] == "too_many_series"


def test_dumbbell_keeps_largest_changes_and_says_so() -> None:
    fig = charts.yoy_dumbbell(trends_frame(), max_rows=5, labels=names("zh"))
    assert len(fig.axes[0].get_yticklabels()) == 5
    assert any("共 13 个" in t for t in all_texts(fig))


def test_truncate_counts_wide_characters() -> None:
    assert truncate("恩施土家族苗族自治州", 10) == "恩施土家…"
    assert truncate("Enshi", 10) == "Enshi"


def test_import_is_cheap() -> None:
    code = ("import sys, fzcompare.charts; "
            "print(sorted(m for m in ('matplotlib', 'pandas', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert "matplotlib" not in out and "pandas" not in out


def test_no_pyplot_state_and_agg_canvas() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = CASES["rank_bump_zh"]()
    assert "matplotlib.pyplot" not in sys.modules or not __import__(
        "matplotlib.pyplot").pyplot.get_fignums()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    assert isinstance(fig.canvas, FigureCanvasAgg)


def test_rank_ties_share_one_label() -> None:
    tied = totals_frame().filter(pl.col("year") == 2023).with_columns(
        pl.when(pl.col("region_code") == "420500").then(2).otherwise(pl.col("rank"))
        .alias("rank"))
    fig = charts.rank_bump(tied, labels=names("zh"))
    assert "十堰市 / 宜昌市" in all_texts(fig)


def test_edge_cases_still_draw() -> None:
    one = county_observations().filter((pl.col("region_code") == "420302")
                                       & (pl.col("year") == 2023))
    fig = charts.dispersion_chart(one, indicator_code="gov_service_online_rate")
    assert any("无法计算" in t for t in all_texts(fig))
    odd = criteria_frame().filter(pl.col("region_code") == "420300").with_columns(
        pl.lit("unknown").alias("comparator"), pl.lit(None, pl.Float64).alias("threshold"))
    assert isinstance(charts.bullet_chart(odd), Figure)
    gappy = observations().filter(pl.col("year") != 2021)
    fig = charts.trend_panels(gappy, indicators=["gov_service_online_rate"])
    ys = np.asarray(fig.axes[0].get_lines()[0].get_ydata(), dtype=float)
    assert np.isnan(ys).any()  # NaN: the line breaks at the missing year
    with pytest.raises(ChartError, match="no rows"):
        charts.area_profile(areas_frame(), region_code="999999")


def test_heatmap_refuses_unreadable_sizes() -> None:
    many = pl.concat([criteria_frame().filter(pl.col("region_code") == "420300")
                      .with_columns(pl.lit(f"42{i:04d}").alias("region_code"))
                      for i in range(MAX_GRID_REGIONS + 1)])
    with pytest.raises(ChartError, match="too many") as err:
        charts.criteria_heatmap(many)
    assert err.value.details["reason"] == "too_many_regions"


def test_synthetic_demo_panel_is_marked_without_asking() -> None:
    from fzcompare.synthetic import demo_panel

    panel = demo_panel()
    fig = charts.trend_panels(panel.observations, regions=["420300"], scope="全市",
                              indicators=["gov_service_online_rate"])
    assert SYNTHETIC_MARK in all_texts(fig)


@pytest.mark.slow
def test_charts_accept_the_real_trends_and_benchmark_frames() -> None:
    """The frames of fzcompare.trends and fzcompare.benchmark, as they come, on demo data."""
    from fzcompare import benchmark, trends
    from fzcompare.criteria import load_criteria
    from fzcompare.synthetic import demo_panel

    panel = demo_panel()
    result = benchmark.benchmark(panel.observations, load_criteria("hubei-demo-2024"),
                                 regions_table=panel.regions)
    yoy = trends.year_over_year(panel.observations)
    figures = {
        "dumbbell": charts.yoy_dumbbell(yoy, indicator_code="reconsideration_applications",
                                        scope="全市"),
        "bullet": charts.bullet_chart(result.criteria, region_code="420300", year=2024),
        "heatmap": charts.criteria_heatmap(result.criteria, year=2024),
        "profile": charts.area_profile(result.areas, region_code="420300", year=2024),
        "bump": charts.rank_bump(result.totals, highlight=["420300"]),
    }
    texts = {name: all_texts(fig) for name, fig in figures.items()}
    # trends frames carry source_id, so the mark comes without asking; benchmark frames don't.
    assert SYNTHETIC_MARK in texts["dumbbell"]
    assert any("增加" in t or "减少" in t for t in texts["dumbbell"])  # neutral indicator
    assert "部分得分区间" in texts["bullet"]  # linear rules draw a partial-credit zone
    assert any(t.startswith("未画出") for t in texts["profile"])  # bonus and veto areas
