"""fzcompare.ingest: indicator tables (XLSX wide/long, CSV, Parquet) -> observations."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from fzcompare.ingest import import_tables, parse_cell
from fzcompare.store import load

DOCS = Path(__file__).resolve().parent / "fixtures" / "documents"
WIDE = DOCS / "hubei-wide.synthetic.xlsx"


def _expected() -> pl.DataFrame:
    return pl.read_csv(DOCS / "hubei-wide.expected.csv",
                       schema_overrides={"region_code": pl.String, "value": pl.Float64})


@pytest.mark.parametrize("name", ["hubei-wide.synthetic.xlsx", "hubei-wide.wps.synthetic.xlsx"])
def test_wide_workbook_imports_every_value_in_its_cell(name: str) -> None:
    result = import_tables([DOCS / name])
    assert result.errors == ()
    expected = _expected()
    assert expected.height == 17 * 20 * 3
    disclosed = expected.filter(pl.col("value").is_not_null())
    got = result.observations.with_columns(
        cell=pl.col("quote").str.extract(r" (\d{4}![A-Z]+\d+):"))
    reported = got.filter(pl.col("disclosure") == "reported")
    joined = disclosed.join(reported, on=["region_code", "year", "indicator_code"],
                            how="full", coalesce=True)
    assert joined.height == disclosed.height == reported.height
    assert (joined["cell"] == joined["cell_right"]).all()
    assert ((joined["value"] - joined["value_right"]).abs() < 1e-9).all()
    assert set(result.observations["scope"]) == {"全市"}
    # every cell of the table is in the data model: the hidden ones as withheld, never zero
    assert result.observations.height == expected.height
    hidden = expected.filter(pl.col("value").is_null())
    withheld = got.filter(pl.col("disclosure") == "withheld")
    assert withheld["value"].null_count() == withheld.height == hidden.height > 0
    assert withheld.select("cell").sort("cell").equals(hidden.select("cell").sort("cell"))
    assert result.issues.filter(pl.col("issue") == "not_disclosed").height == 0


def test_importing_twice_changes_nothing(tmp_path: Path) -> None:
    first = import_tables([WIDE], into=tmp_path / "ds")
    assert first.written is not None and first.written.added == first.observations.height
    before = load(tmp_path / "ds").sort("region_code", "year", "indicator_code")
    second = import_tables([WIDE], into=tmp_path / "ds")
    assert second.written is not None
    assert (second.written.added, second.written.replaced) == (0, 0)
    assert second.written.unchanged == first.observations.height
    assert load(tmp_path / "ds").sort("region_code", "year", "indicator_code").equals(before)


def test_long_table_with_year_column_units_and_unmapped_rows() -> None:
    result = import_tables([DOCS / "long.xlsx"])
    rows = {(r, y, c): v for r, y, c, v in result.observations.select(
        "region_code", "year", "indicator_code", "value").iter_rows()}
    assert rows[("420300", 2022, "reconsideration_applications")] == 12000.0
    assert rows[("420300", 2023, "gov_service_online_rate")] == 99.97
    assert rows[("420304", 2023, "reconsideration_applications")] == 312.0
    issues = {(h, i) for h, i in result.issues.select("header", "issue").iter_rows()}
    assert ("食堂就餐人数", "unmapped_header") in issues
    withheld = result.observations.filter(pl.col("disclosure") == "withheld")
    assert withheld.select("indicator_code", "value").rows() == [
        ("admin_litigation_loss_rate", None)]  # a 未公开-type cell, kept as a state, not 0


def test_bad_files_get_one_error_each_and_the_others_go_through(tmp_path: Path) -> None:
    bad = [DOCS / "broken.xlsx", DOCS / "no-header.xlsx", DOCS / "unknown-regions.csv"]
    result = import_tables([*bad, DOCS / "long.xlsx"], into=tmp_path / "ds")
    reasons = {Path(e.details["path"]).name: e.details["reason"] for e in result.errors}
    assert reasons == {"broken.xlsx": "corrupt", "no-header.xlsx": "no_header",
                       "unknown-regions.csv": "no_regions"}
    assert set(result.sources["title"]) == {"long.xlsx"}
    assert load(tmp_path / "ds").height == result.observations.height == 5  # one withheld


def test_nothing_is_written_when_every_file_fails(tmp_path: Path) -> None:
    result = import_tables([DOCS / "broken.xlsx"], into=tmp_path / "ds")
    assert result.written is None and not (tmp_path / "ds").exists()


def test_encrypted_workbook_is_named_as_such(tmp_path: Path) -> None:
    # The start of an OLE container holding an EncryptedPackage stream, as Excel writes.
    fake = tmp_path / "secret.xlsx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
                     + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100)
    result = import_tables([fake])
    assert result.errors[0].details["reason"] == "encrypted"


def test_plan_and_mapping_round_trip(tmp_path: Path) -> None:
    result = import_tables([DOCS / "long.xlsx"])
    plan = result.plan()
    for entry in plan["headers"]:
        if entry["header"] == "食堂就餐人数":
            entry["code"] = "law_training_participants"
    mapping = tmp_path / "plan.yaml"
    mapping.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    again = import_tables([DOCS / "long.xlsx"], mapping=mapping)
    assert "law_training_participants" in set(again.observations["indicator_code"])
    assert again.observations.height == result.observations.height + 1


def test_transposed_csv_and_parquet(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("指标,武汉市,黄石市\n行政复议申请(件),120,/\n政务服务网办率(%),99.5%,98\n",
                   encoding="utf-8")
    frame = pl.DataFrame({"地区": ["武汉市"], "年份": ["2023"], "行政复议申请(件)": ["1.5万"]})
    parquet = tmp_path / "t.bin"  # the kind is read from the bytes
    frame.write_parquet(parquet)
    result = import_tables([csv, parquet])
    # regions across, indicators down, no year anywhere: kept out as no_year, not guessed
    assert sorted(result.issues.select("region", "issue").rows()) == [
        ("武汉市", "no_year"), ("武汉市", "no_year"), ("黄石市", "no_year"),
        ("黄石市", "not_disclosed")]
    assert result.observations.filter(pl.col("source_id").str.starts_with("tbl-")).select(
        "region_code", "year", "value").rows() == [("420100", 2023, 15000.0)]


@pytest.mark.parametrize(("text", "value", "disclosed"), [
    ("99.97%", 99.97, True), ("1.76万", 17600.0, True), ("—", None, False),
    ("/", None, False), ("未公开", None, False), ("", None, False), ("2亿", 2e8, True)])
def test_cells(text: str, value: float | None, disclosed: bool) -> None:
    cell = parse_cell(text)
    assert (cell.value, cell.disclosed) == (value, disclosed)


def test_a_notes_sheet_beside_the_data_is_listed_not_fatal(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    data = book.active
    data.title = "2023"
    data.append(["地区", "行政复议申请(件)", "政务服务网办率(%)"])
    data.append(["十堰市", 120, "99.1%"])
    notes = book.create_sheet("说明")
    notes.append(["本表由各市州司法局报送。"])
    path = tmp_path / "with-notes.xlsx"
    book.save(path)
    result = import_tables([path])
    assert result.errors == ()
    assert result.observations.select("year", "value").rows() == [(2023, 99.1), (2023, 120.0)]
    assert result.issues.select("cell", "issue").rows() == [("说明", "sheet_skipped: no_header")]


def test_region_cells_resolve_by_every_name_form_and_by_the_table_s_other_regions(
        tmp_path: Path) -> None:
    table = tmp_path / "names.csv"
    table.write_text("地区,年份,行政复议申请(件)\n"
                     "武汉市,2023,100\n青山区,2023,7\n北京市海淀区,2023,9\n"
                     "恩施州,2023,5\n郧县,2013,3\n十堰市人民政府,2023,11\n",
                     encoding="utf-8")
    result = import_tables([table])
    assert result.errors == ()
    codes = dict(result.observations.select("region_code", "value").iter_rows())
    # 青山区 is also in 包头; beside 武汉市 it is 武汉's. 郧县 keeps its 2013 code.
    assert codes == {"420100": 100.0, "420107": 7.0, "110108": 9.0, "422800": 5.0,
                     "420321": 3.0, "420300": 11.0}


def test_a_region_cell_that_names_none_or_several_is_kept_out_with_its_cell(
        tmp_path: Path) -> None:
    table = tmp_path / "bad-names.csv"
    table.write_text("地区,年份,行政复议申请(件)\n十堰市,2023,1\n朝阳区,2023,2\n十堰县,2023,3\n",
                     encoding="utf-8")
    result = import_tables([table])
    issues = dict(result.issues.select("text", "issue").iter_rows())
    assert issues["2"] == ("unresolved_region: '朝阳区' fits 2 regions: 110105 朝阳区 (北京市), "
                           "220104 朝阳区 (长春市) (region cell A3)")
    assert issues["3"] == ("unresolved_region: unknown region '十堰县'; closest: 十堰市 "
                           "(420300) (region cell A4)")
    assert result.observations["region_code"].to_list() == ["420300"]


def test_a_table_where_no_region_resolves_names_the_first_region_cell(tmp_path: Path) -> None:
    table = tmp_path / "mars.csv"
    table.write_text("地区,年份,行政复议申请(件)\n朝阳区,2023,1\n", encoding="utf-8")
    (error,) = import_tables([table]).errors
    assert error.details["reason"] == "no_regions"
    assert "cell A2 '朝阳区': '朝阳区' fits 2 regions" in error.message
    assert error.hint


def test_not_disclosed_cells_are_stored_as_withheld_never_zero(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("地区,年份,行政复议申请(件),政务服务网办率(%),行政诉讼败诉率(%)\n"
                   "武汉市,2023,120,,/\n黄石市,2023,未公开,98.5%,0\n", encoding="utf-8")
    result = import_tables([csv], into=tmp_path / "ds")
    stored = load(tmp_path / "ds").sort("region_code", "indicator_code")
    rows = {(r, c): (v, d, q.split(": ", 1)[1]) for r, c, v, d, q in stored.select(
        "region_code", "indicator_code", "value", "disclosure", "quote").iter_rows()}
    assert rows[("420100", "gov_service_online_rate")] == (None, "withheld",
                                                          "政务服务网办率(%) = (blank)")
    assert rows[("420100", "admin_litigation_loss_rate")] == (None, "withheld",
                                                             "行政诉讼败诉率(%) = /")
    assert rows[("420200", "reconsideration_applications")][:2] == (None, "withheld")
    assert rows[("420200", "admin_litigation_loss_rate")][:2] == (0.0, "reported")  # a real 0
    assert stored.height == 6 and result.issues.height == 0
    again = import_tables([csv], into=tmp_path / "ds")
    assert again.written is not None and again.written.unchanged == 6
    assert (again.written.added, again.written.replaced) == (0, 0)
