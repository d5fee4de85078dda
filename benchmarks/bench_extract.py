"""Benchmark: fzcompare.extract end to end, from raw report text to observations.

Usage::

    python benchmarks/bench_extract.py [--size tiny|small|national] [--traditional] [--repeat N]
    python benchmarks/bench_extract.py --large [--sizes-mb 1 10 50]

The reports are GENERATED here (not real): genre sentences with random figures, eight
sections, filler prose, about 11 000 characters and 110-130 figures each, like the seed
report. ``--traditional`` converts them to the scraped form (Traditional characters with
pinyin-like brackets after some characters) first.

Everything is timed in this process on the same texts, in CPU seconds of this process
(``time.process_time``, one core): ``fzcompare.extract.extract`` (normalisation, mojibake
scan, metadata, sections, figures, mapping with scope and confidence, figures read from
wording, relation checks, the polars result) and two baselines:

* A, the naive loop: OpenCC, a regex for numbers with units and, for each number, a loop
  over every catalog name looking for the longest one in the 20 characters before it,
  collected into a pandas DataFrame. It does much less than ``extract`` (no qualifiers,
  Chinese numerals, non-figure filters, unit check, scope, sections, checks or spans), so it
  is faster; the output says so.
* B, pandas per figure: the same normalisation, a number regex with 万/亿 and qualifier
  words, and for each figure a pandas filter of the catalog's names written in its clause
  (with a matching %/non-% unit; nearest, then longest, wins) and a scope word from its
  sentence. Closer to what ``extract`` does, still less. It makes several pandas calls per
  figure, so it is timed on the first few reports only.

``extract`` and A each make ``--repeat`` passes (default 3) over the reports, in turn, and
the fastest pass counts: on a shared machine other processes only ever add time. The output
prints ms/report and reports per second per core for all three, the ratios, what each one
does, and whether ``extract`` meets the 200 reports/s/core target.

``--large`` times one LONG multi-line text instead (default 1, 10 and 50 MB of UTF-8): the
generated reports joined one after the other, every second one in the scraped form with
garbled runs put in (so both the mojibake look-ups and the numbering of repeated unmapped
labels are exercised). The baseline is the same text extracted report by report, in the
same process: the same figures, each extraction small. The output prints CPU seconds and
seconds per MB for both and two ratios: whole / per-report time (how much the length
itself costs) and seconds per MB against the smallest size (1.0 everywhere = linear).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from typing import Any

SIZES: dict[str, int] = {"tiny": 12, "small": 200, "national": 2000}
TARGET_PER_SECOND = 200.0
PANDAS_REPORTS: dict[str, int] = {"tiny": 4, "small": 20, "national": 40}
"""Baseline B is slow (pandas calls per figure): it is timed on this many reports only."""

_TEMPLATES: dict[int, tuple[str, ...]] = {
    1: ("市政府常务会议专题学法{n}次", "研究法治政府建设重要事项{n}次",
        "举办领导干部法治专题培训班{n}期", "参训干部超过{n}人次", "组织旁听庭审{n}场",
        "开展法治政府建设专项督察{n}次", "发现问题{n}个"),
    2: ("完成{n}项权力事项下放", "编制公布{n}项政务服务事项基本目录",
        "“跨省通办”事项超过{n}项", "全市政务服务网办率达{p}%", "政务服务减时率达{p}%",
        "“一业一证”改革覆盖{n}个高频行业", "开展“局长进大厅”活动{n}人次",
        "解决企业和群众诉求{n}件", "全市设置政务服务窗口{n}个", "服务窗口好评率达{p}%以上",
        "发布{n}项跨部门监管事项清单", "涉企行政检查联合抽查占比{p}%"),
    3: ("全年共审核市政府各类文件{n}件", "向省政府报备文件{n}件",
        "备案审查各地各部门行政规范性文件{n}件",
        "对市县乡三级{n}件行政规范性文件进行全面清理"),
    4: ("重大行政决策事项公开征集意见建议{n}条", "选聘{n}名律师担任市政府法律顾问",
        "参加政府法律事务会议{n}次"),
    5: ("全市排查整治隐患问题{w}万条", "累计化解物业领域问题{n}个",
        "设立{n}个行政执法监督基层联系点", "选聘{n}名社会监督员", "办理执法监督案件{n}件",
        "制发监督文书{n}份", "追责问责{n}人"),
    6: ("修订印发{n}部专项应急预案", "全市开展重点应急演练{n}场", "参演{w}万人次",
        "储备应急物资{w}万件/套", "接入视频监控{w}万路", "配备专兼职工作人员{n}名"),
    7: ("市政府办理人大代表建议{n}件", "政协委员提案{n}件", "印发《督查通报》{n}期",
        "完成市级审计项目{n}个", "移送案件线索{n}起", "累计公开各类政府信息{n}条",
        "受理政府信息公开申请{n}件，全部按时办结", "全市归集各类信用信息{w}亿条"),
    8: ("全市共预防调处矛盾纠纷{w}万件", "调解成功率达{p}%", "全市共收到行政复议申请{n}件",
        "其中市本级收到行政复议申请{n}件，受理{n}件，办结{n}件，纠错{n}件，纠错率{p}%",
        "设置巡回审判点{n}个、法官工作室{n}个", "培育农村学法示范户{n}户", "法律明白人{n}人",
        "司法所规范化达标率{p}%以上"),
}
_HEADINGS: dict[int, str] = {
    1: "坚持党的领导，统筹推进法治政府建设", 2: "依法全面履行政府职能", 3: "完善依法行政制度体系",
    4: "推进行政决策科学化、民主化、法治化", 5: "坚持严格规范公正文明执法",
    6: "健全突发事件应对体系", 7: "健全行政权力制约和监督体系",
    8: "健全社会矛盾纠纷行政预防调处化解体系",
}
_FILLER: tuple[str, ...] = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实习近平法治思想",
    "深入推进依法行政，加快建设职能科学、权责法定、执法严明、公开公正、智能高效、廉洁诚信、人民满意的法治政府",
    "严格落实重大行政决策程序规定，推行行政执法三项制度，落实“四统一”要求",
    "持续深化“放管服”改革，优化法治化营商环境，推动“十四五”规划各项任务落地见效",
    "扎实开展“八五”普法，市县两级同步推进，营造办事依法、遇事找法、解决问题用法的良好氛围",
    "完善行政复议体制机制，发挥行政复议化解行政争议主渠道作用",
    "加强对行政权力运行的制约和监督，推进政务公开标准化规范化建设",
)


def _value(rng: random.Random, kind: str) -> str:
    if kind == "p":
        return f"{rng.uniform(60, 99.9):.2f}".rstrip("0").rstrip(".")
    if kind == "w":
        return f"{rng.uniform(1, 30):.2f}".rstrip("0").rstrip(".")
    return str(rng.randint(2, 3000))


def _fill(template: str, rng: random.Random) -> str:
    return re.sub(r"\{([npw])\}", lambda m: _value(rng, m.group(1)), template)


def make_report(rng: random.Random, region: str, year: int, size: int = 11_000) -> str:
    """One generated report of about ``size`` characters (synthetic, not real)."""
    parts = [f"{region}人民政府关于{year}年法治政府建设情况的报告",
             f"{year}年，{region}深入学习贯彻习近平法治思想，法治政府建设取得新成效。现将有关情况报告如下："]
    per_section = size // 8
    chinese = "一二三四五六七八"
    for domain in range(1, 9):
        parts.append(f"{chinese[domain - 1]}、{_HEADINGS[domain]}")
        section: list[str] = []
        length = 0
        while length < per_section - 80:
            if rng.random() < 0.22:
                sentence = "，".join(_fill(t, rng) for t in rng.sample(
                    _TEMPLATES[domain], k=min(2, len(_TEMPLATES[domain]))))
                sentence = rng.choice(_FILLER)[:18] + "，" + sentence
            else:
                sentence = rng.choice(_FILLER)
            section.append(sentence + "。")
            length += len(sentence) + 1
        parts.append("".join(section))
    parts.append(f"{region}人民政府\n{year + 1}年1月{rng.randint(10, 28)}日")
    return "\n".join(parts)


def _scraped(texts: list[str]) -> list[str]:
    import opencc

    converter = opencc.OpenCC("s2t")
    out = []
    for text in texts:
        traditional = converter.convert(text)
        out.append("".join(t + ("(x)" if s != t else "") for s, t in zip(text, traditional,
                                                                         strict=True))
                   .replace("(x)", "(shè)"))
    return out


_UNITS = r"(%|人次|件次|件/套|件|项|个|条|场|次|名|家|户|支|台|部|期|起|份|路|人)"

WHAT_EXTRACT_DOES = (
    "decoding and normalisation with a raw-offset map, mojibake scan, title/region/year, "
    "sections and domains, Arabic and Chinese figures with qualifiers and non-figure filters, "
    "mapping with unit, range, domain and scope, figures read from wording (full statements, "
    "titles, listed items), unique (code, scope) keys, relation checks, a polars result "
    "with raw spans")
WHAT_NAIVE_DOES = (
    "OpenCC + pinyin strip, one number regex (no qualifiers, Chinese numerals, year or date "
    "filters), the longest catalog name in the 20 characters before each number (no unit "
    "check, no scope), one pandas DataFrame")
WHAT_PANDAS_DOES = (
    "the same normalisation plus whitespace, a number regex with 万/亿 and qualifier words, "
    "per figure a pandas filter of the catalog names written in its clause with a matching "
    "%/non-% unit (nearest, then longest, wins) and the last scope word of its sentence; "
    "no sections, wording figures, key uniqueness, checks or spans")


def make_baseline() -> Any:
    """Baseline A, the naive loop: OpenCC, one regex, a loop over catalog names, pandas."""
    import opencc
    import pandas as pd

    from fzcompare import load_catalog

    catalog = load_catalog().indicators
    names = sorted(((name, code) for code, name_zh, synonyms in catalog.select(
        "code", "name_zh", "synonyms").iter_rows() for name in [name_zh, *synonyms]),
        key=lambda item: -len(item[0]))
    converter = opencc.OpenCC("t2s")
    pinyin = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
    number = re.compile(r"(\d+(?:\.\d+)?)(万|亿)?"
                        r"(%|人次|件次|件|项|个|条|场|次|名|家|户|支|台|部|期|起|份|路|人)")

    def baseline(raw: str) -> pd.DataFrame:
        text = converter.convert(pinyin.sub("", raw))
        rows = []
        for match in number.finditer(text):
            value = float(match.group(1)) * {"万": 1e4, "亿": 1e8}.get(match.group(2) or "", 1)
            window = text[max(0, match.start() - 20):match.start()]
            code = next((c for name, c in names if name in window), None)
            rows.append({"indicator_code": code, "value": value, "unit": match.group(3),
                         "quote": window + match.group()})
        return pd.DataFrame(rows)

    return baseline


def make_pandas_baseline() -> Any:
    """Baseline B: what a pandas user would write per figure (filter the catalog's names)."""
    import opencc
    import pandas as pd

    from fzcompare import load_catalog

    catalog = load_catalog().indicators
    names = pd.DataFrame(
        [(name, code, unit) for code, name_zh, synonyms, unit in catalog.select(
            "code", "name_zh", "synonyms", "unit").iter_rows() for name in [name_zh, *synonyms]],
        columns=["name", "code", "unit"]).drop_duplicates(ignore_index=True)
    names["length"] = names["name"].str.len()
    names["percent"] = names["unit"] == "%"
    converter = opencc.OpenCC("t2s")
    pinyin = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
    spaces = re.compile(r"[ \t\u3000]+")
    number = re.compile(
        r"(?P<pre>不超过|不少于|超过|近|约)?(?P<num>\d+(?:\.\d+)?)(?P<mult>万|亿)?(?P<approx>余|多)?"
        + _UNITS.replace("(", "(?P<unit>", 1) + r"(?P<post>以上|以下|左右)?")
    clause_marks = re.compile(r"[，。；！？：,;!?:\n]")
    sentence_marks = re.compile(r"[。；！？;!?\n]")
    scope_words = re.compile(r"全市|市本级|市直")
    qualifiers = {"不超过": "le", "不少于": "ge", "超过": "gt", "近": "approx", "约": "approx",
                  "以上": "ge", "以下": "le", "左右": "approx"}

    def baseline(raw: str) -> pd.DataFrame:
        text = spaces.sub("", converter.convert(pinyin.sub("", raw)))
        rows = []
        for match in number.finditer(text):
            start = match.start("num")
            context = clause_marks.split(text[max(0, start - 40):start])[-1]
            sentence = sentence_marks.split(text[max(0, start - 200):start])[-1]
            unit = match.group("unit")
            hits = names[names["name"].map(context.__contains__)
                         & (names["percent"] == (unit == "%"))]
            code = None
            if len(hits):
                hits = hits.assign(distance=[len(context) - context.rfind(n) - len(n)
                                             for n in hits["name"]])
                code = hits.sort_values(["distance", "length"],
                                        ascending=[True, False])["code"].iloc[0]
            scope = scope_words.findall(sentence)
            value = float(match.group("num")) * {"万": 1e4, "亿": 1e8}.get(
                match.group("mult") or "", 1)
            qualifier = qualifiers.get(match.group("post") or match.group("pre") or "",
                                       "approx" if match.group("approx") else "eq")
            rows.append({"indicator_code": code, "scope": scope[-1] if scope else "全市",
                         "value": value, "unit": unit, "qualifier": qualifier,
                         "quote": context + match.group()})
        return pd.DataFrame(rows)

    return baseline


GARBLED_RUN = "?,F(xiàn)"
"""A GBK-mis-decoded run as it appears in scraped pages (flagged as mojibake)."""


def large_reports(megabytes: float, seed: int = 20240123) -> list[str]:
    """Generated reports (synthetic, not real) adding up to ``megabytes`` MB of UTF-8.

    Every second report is in the scraped form with a garbled run after some sentences.
    """
    rng = random.Random(seed)
    regions = ["十堰市", "襄阳市", "宜昌市", "郧阳区", "竹山县"]
    reports: list[str] = []
    size = 0
    while size < megabytes * 1e6:
        text = make_report(rng, regions[len(reports) % len(regions)], rng.randint(2019, 2024))
        if len(reports) % 2:
            text = _scraped([text])[0].replace("。", "。" + GARBLED_RUN, 12)
        reports.append(text)
        size += len(text.encode("utf-8")) + 1
    return reports


def main_large(sizes_mb: list[float]) -> int:
    """``--large``: one long text per size against the same text report by report."""
    from fzcompare.extract import extract

    extract(make_report(random.Random(0), "十堰市", 2023))  # warm-up: catalog, OpenCC
    print("bench_extract --large: one multi-line text per size, generated reports (synthetic "
          "text, not real) joined by newlines; CPU seconds of this process; baseline = the "
          "same reports extracted one by one")
    first_per_mb: float | None = None
    for megabytes in sizes_mb:
        reports = large_reports(megabytes)
        text = "\n".join(reports)
        actual_mb = len(text.encode("utf-8")) / 1e6
        start = time.process_time()
        whole = extract(text, region="420300", year=2023)
        whole_seconds = time.process_time() - start
        start = time.process_time()
        rows = sum(extract(r, region="420300", year=2023).observations.height for r in reports)
        parts_seconds = time.process_time() - start
        per_mb = whole_seconds / actual_mb
        first_per_mb = per_mb if first_per_mb is None else first_per_mb
        print(f"  {actual_mb:6.1f} MB ({len(text):,} characters, {len(reports):,} reports, "
              f"{whole.observations.height:,} rows; report by report {rows:,}): whole text "
              f"{whole_seconds:7.2f} s = {per_mb:.3f} s/MB; report by report "
              f"{parts_seconds:7.2f} s = {parts_seconds / actual_mb:.3f} s/MB; ratio whole / "
              f"report by report {whole_seconds / parts_seconds:.2f}x; s/MB against the first "
              f"size {per_mb / first_per_mb:.2f}x")
        del whole, text, reports
    print("  linear: s/MB stays at about 1.0x the first size's as the text grows")
    return 0


def _time(function: Any, texts: list[str]) -> tuple[float, list[Any]]:
    start = time.process_time()
    out = [function(text) for text in texts]
    return time.process_time() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--traditional", action="store_true",
                        help="time the scraped form (Traditional + pinyin brackets)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="passes over the reports for extract and baseline A, taken in "
                        "turn; the fastest pass counts (other processes only add time)")
    parser.add_argument("--large", action="store_true",
                        help="time one long multi-line text per size (see --sizes-mb) against "
                        "the same reports extracted one by one")
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[1.0, 10.0, 50.0],
                        help="text sizes in MB of UTF-8 for --large (default 1 10 50)")
    args = parser.parse_args(argv)
    if args.large:
        return main_large(args.sizes_mb)

    from fzcompare import load_regions
    from fzcompare.extract import extract

    rng = random.Random(20240122)
    regions = [n for n, level in load_regions().select("name_zh", "level").iter_rows()
               if level in ("prefecture", "county")] or ["十堰市"]
    texts = [make_report(rng, rng.choice(regions), rng.randint(2019, 2024))
             for _ in range(SIZES[args.size])]
    if args.traditional:
        texts = _scraped(texts)
    chars = sum(len(t) for t in texts) / len(texts)
    naive = make_baseline()
    per_figure = make_pandas_baseline()
    for warm_up in (extract, naive, per_figure):
        warm_up(texts[0])

    ours = theirs = float("inf")
    for _ in range(max(1, args.repeat)):
        seconds, results = _time(extract, texts)
        ours = min(ours, seconds)
        seconds, plain = _time(naive, texts)
        theirs = min(theirs, seconds)
    subset = texts[:PANDAS_REPORTS[args.size]]
    pandas_time, pandas_out = _time(per_figure, subset)

    n = len(texts)
    figures = sum(r.observations.height for r in results) / n
    mapped = sum(r.mapped.height for r in results) / n
    plain_mapped = sum(int(p["indicator_code"].notna().sum()) for p in plain) / n
    pandas_mapped = sum(int(p["indicator_code"].notna().sum()) for p in pandas_out) / len(subset)
    ours_rate = n / ours
    print(f"bench_extract --size {args.size}{' --traditional' if args.traditional else ''}: "
          f"{n} generated reports (synthetic text, not real), {chars:.0f} characters "
          f"and {figures:.0f} figures each on average; CPU seconds of this process, "
          f"fastest of {max(1, args.repeat)} passes (B: one pass)")
    print(f"  fzcompare.extract        : {ours / n * 1e3:7.2f} ms/report  "
          f"{ours_rate:7.1f} reports/s/core  ({mapped:.0f} mapped per report)")
    print(f"  A naive loop             : {theirs / n * 1e3:7.2f} ms/report  "
          f"{n / theirs:7.1f} reports/s/core  ({plain_mapped:.0f} with a code per report)")
    print(f"  B pandas per figure      : {pandas_time / len(subset) * 1e3:7.2f} ms/report  "
          f"{len(subset) / pandas_time:7.1f} reports/s/core  ({pandas_mapped:.0f} with a code "
          f"per report; first {len(subset)} reports)")
    print(f"  speed ratio (baseline time / fzcompare time): A {theirs / ours:.2f}x, "
          f"B {pandas_time / len(subset) / (ours / n):.2f}x")
    print(f"  fzcompare.extract does: {WHAT_EXTRACT_DOES}.")
    print(f"  A does: {WHAT_NAIVE_DOES}. It is faster because it does much less: ratios "
          "below 1 against A are expected.")
    print(f"  B does: {WHAT_PANDAS_DOES}.")
    print("  'with a code' counts figures given any code; A and B do not check their codes, "
          "so these counts are not accuracy (see tests/test_extract_fixtures.py for that).")
    verdict = "meets" if ours_rate >= TARGET_PER_SECOND else "BELOW"
    print(f"  target {TARGET_PER_SECOND:.0f} reports/s/core: {verdict} "
          f"({ours_rate:.0f} reports/s/core, CPU time of one process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
