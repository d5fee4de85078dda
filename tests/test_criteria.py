"""Rubric files: loading, validation errors (file, key path, problem), points resolution."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from fzcompare import load_catalog
from fzcompare.criteria import (
    list_bundled_criteria,
    load_criteria,
    parse_criteria,
    rubric_raw_example,
)
from fzcompare.errors import CriteriaError, UnknownNameError

BUNDLED = Path("datasets/criteria")


def rubric(criteria: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    raw = rubric_raw_example()
    raw["areas"] = [{"id": "A1", "name": "Area", "criteria": criteria}]
    raw.update(top)
    return raw


def crit(cid: str = "c1", **keys: Any) -> dict[str, Any]:
    base = {"id": cid, "name": cid, "indicator": "gov_service_online_rate", "comparator": ">=",
            "threshold": 90, "points": 2}
    base.update(keys)
    return {k: v for k, v in base.items() if v is not None}


def error_of(raw: dict[str, Any], path: str = "r.yaml") -> CriteriaError:
    with pytest.raises(CriteriaError) as info:
        parse_criteria(raw, path=path)
    return info.value


# ------------------------------------------------------------------------ bundled rubrics


def test_bundled_rubrics_are_listed_and_load() -> None:
    listed = list_bundled_criteria()
    assert {"hubei-demo-2024", "county-demo-2024"} <= set(listed["id"])
    assert listed["name"].null_count() == 0
    for rid in ("hubei-demo-2024", "county-demo-2024"):
        rubric_set = load_criteria(rid)
        assert rubric_set.id == rid
        assert rubric_set.user_set
        assert rubric_set.criteria["threshold_source"].null_count() == 0


def test_load_by_path_and_sha256_of_file_bytes() -> None:
    path = BUNDLED / "county-demo-2024.yaml"
    by_path = load_criteria(path)
    assert by_path.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_criteria("county-demo-2024").sha256 == by_path.sha256


def test_hubei_demo_covers_eight_areas_on_main_indicators() -> None:
    hubei = load_criteria("hubei-demo-2024")
    catalog = load_catalog().indicators
    main = set(catalog.filter(pl.col("main"))["code"])
    assert set(hubei.criteria["indicator_code"]) <= main
    scored = hubei.areas.filter(pl.col("points") > 0)
    assert scored.height == 8
    assert hubei.total_points == pytest.approx(100)
    assert set(hubei.criteria["rule"]) >= {"linear", "deduction", "bonus", "veto",
                                            "all_or_nothing"}
    sources = hubei.criteria["threshold_source"]
    cited = sources.filter(sources != "illustrative")
    assert cited.len() >= 3
    assert all("条例" in s or "法" in s or "意见" in s for s in cited)


def test_county_demo_exercises_every_rule_and_policy() -> None:
    county = load_criteria("county-demo-2024")
    crit_table = county.criteria
    assert set(crit_table["rule"]) == {"deduction", "all_or_nothing", "linear", "exists",
                                       "bonus", "veto"}
    assert set(crit_table["comparator"]) == {">=", "<=", "==", "between", "exists"}
    assert set(crit_table["missing_policy"]) == {"zero", "rescale", "flag"}
    capped = crit_table.filter(pl.col("criterion_id") == "C1.2").row(0, named=True)
    assert (capped["deduct"], capped["cap"], capped["points"]) == (0.3, 1.2, 2.0)
    assert county.areas.filter(pl.col("level") == 2).height == 2


def test_demo_panel_has_data_for_almost_every_hubei_criterion() -> None:
    from fzcompare.synthetic import demo_panel

    codes = set(demo_panel().observations["indicator_code"])
    hubei = load_criteria("hubei-demo-2024").criteria
    covered = hubei["indicator_code"].is_in(list(codes)).sum() / hubei.height
    assert covered >= 0.9


# ------------------------------------------------------------------------ points & weights


def test_weights_share_out_parent_points() -> None:
    raw = rubric([])
    raw["total_points"] = 50
    raw["areas"] = [
        {"id": "A1", "name": "a", "weight": 3, "criteria": [
            crit("c1", points=None, weight=1), crit("c2", points=None, weight=3)]},
        {"id": "A2", "name": "b", "weight": 2, "criteria": [crit("c3", points=None, weight=1)]},
    ]
    parsed = parse_criteria(raw)
    points = dict(zip(parsed.criteria["criterion_id"], parsed.criteria["points"], strict=True))
    assert points == pytest.approx({"c1": 7.5, "c2": 22.5, "c3": 20.0})
    assert parsed.total_points == 50


def test_area_points_must_match_criteria() -> None:
    raw = rubric([crit("c1", points=3), crit("c2", points=3)])
    raw["areas"][0]["points"] = 10
    err = error_of(raw)
    assert "areas[0]: has 10 points but its parts add up to 6" in str(err)
    assert err.details["reason"] == "points_mismatch"


def test_pass_line_points_become_a_share() -> None:
    parsed = parse_criteria(rubric([crit(points=10)], pass_line={"points": 7}))
    assert parsed.pass_share == pytest.approx(0.7)
    assert parsed.pass_points == pytest.approx(7)


def test_bonus_only_area_takes_no_points() -> None:
    raw = rubric([crit("c1", points=10)])
    raw["areas"].append({"id": "B", "name": "bonus", "bonus_cap": 1, "criteria": [
        crit("b1", rule="bonus", points=2)]})
    parsed = parse_criteria(raw)
    assert parsed.total_points == 10
    assert parsed.areas.filter(pl.col("area_id") == "B")["points"].item() == 0


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(("mutate", "key", "text"), [
    (lambda r: r["areas"][0]["criteria"][0].update(threshold="high"),
     "areas[0].criteria[0].threshold", "expected a number"),
    (lambda r: r["areas"][0]["criteria"][0].update(threshold=950),
     "areas[0].criteria[0].threshold", "outside the range [0, 100]"),
    (lambda r: r["areas"][0]["criteria"][0].update(indicator="no_such_code"),
     "areas[0].criteria[0].indicator", "not a catalog code"),
    (lambda r: r["areas"][0]["criteria"][0].update(indicator="unmapped_x"),
     "areas[0].criteria[0].indicator", "unmapped"),
    (lambda r: r["areas"][0]["criteria"][0].update(comparator=">"),
     "areas[0].criteria[0].comparator", "is not one of"),
    (lambda r: r["areas"][0]["criteria"][0].update(treshold=90),
     "areas[0].criteria[0].treshold", "unknown key"),
    (lambda r: r["areas"][0]["criteria"][0].update(rule="linear"),
     "areas[0].criteria[0].threshold_high", "needs an upper goalpost"),
    (lambda r: r["areas"][0]["criteria"][0].update(rule="veto"),
     "areas[0].criteria[0].points", "veto items score no points"),
    (lambda r: r["areas"][0]["criteria"][0].update(rule="deduction"),
     "areas[0].criteria[0].deduct", "needs the points deducted"),
    (lambda r: r["areas"][0]["criteria"][0].update(comparator="exists"),
     "areas[0].criteria[0].threshold", "takes no threshold"),
    (lambda r: r["areas"][0]["criteria"][0].update(scope="city"),
     "areas[0].criteria[0].scope", "neither 'whole'"),
    (lambda r: r["areas"][0]["criteria"][0].update(missing_policy="ignore"),
     "areas[0].criteria[0].missing_policy", "is not one of zero, rescale, flag"),
    (lambda r: r["areas"][0]["criteria"][0].update(points=None, weight=None),
     "areas[0].criteria[0]", "needs points or weight"),
    (lambda r: r["areas"][0]["criteria"].append(crit("A1.1")),
     "areas[0].criteria[1].id", "already used at areas[0].criteria[0]"),
    (lambda r: r.pop("pass_line"), "pass_line", "missing required key"),
    (lambda r: r.update(pass_line={"share": 0.5, "points": 3}), "pass_line", "exactly one"),
    (lambda r: r.update(source={"document": "某文件"}), "source.url", "missing required key"),
    (lambda r: r.update(peer_group={"by": ["city"]}), "peer_group.by[0]", "is not one of"),
    (lambda r: r.update(levels=["town"]), "levels[0]", "is not one of"),
    (lambda r: r["areas"][0].update(areas=[]), "areas[0].criteria", "exactly one of them"),
])
def test_malformed_rubric_names_file_key_path_and_problem(mutate: Any, key: str,
                                                          text: str) -> None:
    raw = rubric_raw_example()
    mutate(raw)
    err = error_of(raw, path="bad.yaml")
    assert str(err).startswith(f"bad.yaml: {key}: ")
    assert text in str(err)
    assert err.details["path"] == "bad.yaml"
    assert err.details["key"] == key


def test_nested_key_path_in_a_file(tmp_path: Path) -> None:
    raw = yaml.safe_load((BUNDLED / "county-demo-2024.yaml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    broken["areas"][1]["areas"][1]["criteria"][1]["threshold_high"] = 2
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CriteriaError) as info:
        load_criteria(path)
    message = str(info.value)
    assert message.startswith(f"{path}: areas[1].areas[1].criteria[1].threshold_high: ")
    assert "must be greater than the threshold 5" in message


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("id: x\nareas: [\n  {id: a\n", encoding="utf-8")
    with pytest.raises(CriteriaError) as info:
        load_criteria(path)
    assert str(info.value).startswith(f"{path}: line ")
    assert info.value.details["reason"] == "bad_yaml"


def test_unknown_id_lists_bundled_ids() -> None:
    with pytest.raises(UnknownNameError) as info:
        load_criteria("no-such-rubric")
    assert "hubei-demo-2024" in str(info.value)


def test_environment_path_is_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = rubric_raw_example()
    raw["id"] = "my-rubric"
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    monkeypatch.setenv("FZCOMPARE_CRITERIA_PATH", str(tmp_path))
    assert load_criteria("my-rubric").id == "my-rubric"
    assert "my-rubric" in list_bundled_criteria()["id"].to_list()


COUNTY = Path("datasets/criteria/county-demo-2024.yaml")


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = COUNTY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "line", "said"), [
    ("edition: 2024\n", "edition: 2024\nedition: 2023\n", 11,
     "duplicate key 'edition' (first given on line 10)"),
    ("  share: 0.6\n", "  share: 0.6\n  share: 0.5\n", None,
     "duplicate key 'share'"),
    ("levels: [county]", "levels: &l [county, *l]", 18, "recursive alias"),
    ("edition: 2024", "edition: " + "2" * 5000, 10, "an integer of 5000 digits is too long"),
])
def test_yaml_mistakes_are_criteria_errors_with_file_and_line(
        tmp_path: Path, old: str, new: str, line: int | None, said: str) -> None:
    path = _edited(tmp_path, old, new)
    with pytest.raises(CriteriaError) as caught:
        load_criteria(path)
    message = caught.value.message
    assert message.startswith(f"{path}: line ")
    assert said in message
    if line is not None:
        assert message.startswith(f"{path}: line {line}, column ")
    assert caught.value.details["reason"] == "bad_yaml"


def test_a_list_inside_levels_is_a_criteria_error(tmp_path: Path) -> None:
    path = _edited(tmp_path, "levels: [county]", "levels: [[county]]")
    with pytest.raises(CriteriaError, match=r"levels\[0\]: \['county'\] is not one of"):
        load_criteria(path)


def test_merge_keys_may_override_and_shared_anchors_still_load() -> None:
    from fzcompare._strict_yaml import load_strict

    assert load_strict("base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  y: 3") == {
        "base": {"x": 1, "y": 2}, "mine": {"x": 1, "y": 3}}
    # aliases shared many times over (a DAG, not a cycle) are checked once per node
    layers = ["a: &a [1, 2]"] + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]"
                                 for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    loaded = load_strict("\n".join(layers))
    assert loaded["b"][0] is loaded["a"]
