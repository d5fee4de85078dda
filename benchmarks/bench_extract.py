"""Benchmark: fzcompare.extract end to end, from raw report text to observations.

Usage::

    python benchmarks/bench_extract.py [--size tiny|small|national] [--traditional]

The reports are GENERATED here (not real): genre sentences with random figures, eight
sections, filler prose, about 11 000 characters and 110-130 figures each, like the seed
report. ``--traditional`` converts them to the scraped form (Traditional characters with
pinyin-like brackets after some characters) first.

Both paths are timed in this process on the same texts, in CPU seconds of this process
(``time.process_time``, one core): ``fzcompare.extract.extract`` (normalisation, mojibake
scan, metadata, sections, figures, mapping with scope and confidence, relation checks, the
polars result) and the baseline a competent user would write: OpenCC, a regex for numbers
with units, and for each number a loop over every catalog name looking for the longest one
in the 20 characters before it, collected into a pandas DataFrame. The output prints reports
per second per core for both, and the ratio.
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


def make_baseline() -> Any:
    """The plain version: OpenCC, one regex, a loop over catalog names, pandas."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--traditional", action="store_true",
                        help="time the scraped form (Traditional + pinyin brackets)")
    args = parser.parse_args(argv)

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
    baseline = make_baseline()
    extract(texts[0])
    baseline(texts[0])

    start = time.process_time()
    results = [extract(text) for text in texts]
    ours = time.process_time() - start
    start = time.process_time()
    plain = [baseline(text) for text in texts]
    theirs = time.process_time() - start

    figures = sum(r.observations.height for r in results) / len(results)
    mapped = sum(r.mapped.height for r in results) / len(results)
    plain_mapped = sum(int(p["indicator_code"].notna().sum()) for p in plain) / len(plain)
    ours_rate = len(texts) / ours
    theirs_rate = len(texts) / theirs
    print(f"bench_extract --size {args.size}{' --traditional' if args.traditional else ''}: "
          f"{len(texts)} generated reports (synthetic text, not real), {chars:.0f} characters "
          f"and {figures:.0f} figures each on average")
    print(f"  fzcompare.extract : {ours / len(texts) * 1e3:7.2f} ms/report  "
          f"{ours_rate:7.1f} reports/s/core  ({mapped:.0f} mapped per report)")
    print(f"  naive baseline    : {theirs / len(texts) * 1e3:7.2f} ms/report  "
          f"{theirs_rate:7.1f} reports/s/core  ({plain_mapped:.0f} with a code per report)")
    print(f"  speed ratio (baseline time / fzcompare time): {theirs / ours:.2f}x")
    verdict = "meets" if ours_rate >= TARGET_PER_SECOND else "BELOW"
    print(f"  target {TARGET_PER_SECOND:.0f} reports/s/core: {verdict} "
          f"({ours_rate:.0f} reports/s/core, CPU time of one process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
