"""The genre lexicon of annual 法治政府建设 reports: words that are not catalog synonyms.

Measure words, qualifier words, scope cues, heading cues per domain and the fixed names
whose numerals are not quantities. Indicator synonyms live in the catalog
(``data/indicators.yaml``); nothing here names an indicator code.
"""

from __future__ import annotations

from typing import Final

MEASURE_UNITS: Final[tuple[str, ...]] = (
    # Longest first where one unit is a prefix of another (the regex tries them in order).
    "个百分点", "百分点", "个工作日", "工作日", "个月", "小时", "分钟", "平方公里", "平方米",
    "公里", "万元", "亿元", "元", "件(套)", "件/套", "件套", "人次", "件次", "场次", "户次",
    "家次", "批次", "项次", "车次", "架次", "期次", "课时", "学时", "余次",
    "件", "项", "个", "条", "场", "次", "名", "家", "户", "支", "台", "部", "期", "起", "份",
    "路", "人", "所", "处", "座", "间", "套", "批", "轮", "本", "册", "篇", "天", "年", "位",
    "宗", "类", "种", "张", "块", "辆", "艘", "亩", "吨", "栋", "只", "门", "堂", "节",
    "幅", "首", "笔", "单", "倍", "分", "卷", "家单位", "%", "‰",
)
"""Measure words (量词) and units that may follow a number, as written after normalisation."""

UNIT_ALIASES: Final[dict[str, str]] = {
    "件(套)": "件/套", "件套": "件/套", "个百分点": "百分点", "个工作日": "工作日",
    "家单位": "家", "余次": "次",
}
"""Written unit -> unit stored in the observation."""

UNIT_GROUPS: Final[dict[str, str]] = {
    **dict.fromkeys(("件", "项", "个", "条", "份", "起", "宗", "类", "种", "处", "所", "张",
                     "套", "件/套", "部", "本", "册", "篇", "块", "门", "单", "笔", "路", "台",
                     "卷", "辆", "艘", "座", "间", "栋", "只"), "thing"),
    **dict.fromkeys(("人", "名", "位", "户"), "person"),
    **dict.fromkeys(("人次", "件次", "户次", "家次", "项次", "车次", "架次"), "times_of"),
    **dict.fromkeys(("次", "场", "期", "批", "轮", "场次", "批次", "期次", "堂", "节", "课时",
                     "学时"), "event"),
    **dict.fromkeys(("家", "支"), "organisation"),
    **dict.fromkeys(("天", "工作日", "个月", "小时", "分钟", "年"), "duration"),
    **dict.fromkeys(("元", "万元", "亿元"), "money"),
    "%": "percent", "‰": "permille", "百分点": "points",
}
"""Units that may stand for one another when a report words a figure differently."""

CHINESE_NUMERAL_UNITS: Final[tuple[str, ...]] = (
    "场次", "批次", "次", "期", "场", "轮", "批", "个", "项", "件", "部", "份", "名", "家",
    "条", "支", "所", "堂", "节",
)
"""Measure words after which a Chinese numeral may state a quantity (召开三次, 举办两期)."""

CHINESE_EVENT_UNITS: Final[frozenset[str]] = frozenset(
    {"场次", "批次", "次", "期", "场", "轮", "批", "堂", "节"})
"""Verbal measures: a Chinese numeral before them counts if the clause has an action verb."""

ACTION_VERBS: Final[tuple[str, ...]] = (
    "召开", "举办", "开展", "组织", "举行", "印发", "出台", "制定", "修订", "修改", "废止",
    "审议", "研究", "听取", "学法", "学习", "督察", "督查", "检查", "培训", "发布", "完成",
    "新增", "建成", "设立", "成立", "选聘", "聘请", "组建", "办理", "受理", "审查", "接待",
    "走访", "讲授", "主持", "参加", "旁听", "评选", "表彰", "命名", "创建", "推出", "上线",
    "公布", "清理", "备案", "提请", "出庭", "调研", "部署", "约谈", "通报",
)
"""Verbs after which a Chinese numeral + noun measure is a count (出台两部, 选聘三名)."""

FIXED_NUMERAL_NAMES: Final[tuple[str, ...]] = (
    "三项制度", "两个确立", "两个维护", "四个意识", "四个自信", "四统一", "三个一",
    "两法衔接", "一网通办", "一件事", "两个责任", "三重一大", "两项制度", "五项制度",
    "两个清单", "三张清单", "两个全覆盖", "三级联动", "三级联创", "四级联动", "两级", "三级",
    "四级", "五级", "一把手", "两会", "三农", "五水共治", "六稳", "六保", "八五普法",
    "七五普法", "十四五", "十三五", "十五五", "两委", "三调联动", "五个一",
)
"""Names with numerals in them; a numeral starting one of these is never a quantity."""

QUALIFIER_PREFIXES: Final[tuple[tuple[str, str], ...]] = (
    # Longest first: 不超过 must win over 超过.
    ("不超过", "le"), ("不高于", "le"), ("不多于", "le"), ("不少于", "ge"), ("不低于", "ge"),
    ("超过", "gt"), ("突破", "gt"), ("高于", "gt"), ("大于", "gt"), ("多于", "gt"),
    ("至少", "ge"), ("最少", "ge"), ("最多", "le"), ("至多", "le"), ("不足", "lt"),
    ("少于", "lt"), ("低于", "lt"), ("小于", "lt"), ("未满", "lt"), ("将近", "approx"),
    ("接近", "approx"), ("大约", "approx"), ("约为", "approx"), ("约", "approx"),
    ("近", "approx"), ("逾", "gt"), ("超", "gt"),
)
"""Words right before a number that qualify it."""

QUALIFIER_PREFIX_BLOCKERS: Final[tuple[str, ...]] = ("最近", "附近", "就近", "超期", "接近于")
"""Words that end in a qualifier word but do not qualify the number after them."""

QUALIFIER_SUFFIXES: Final[dict[str, str]] = {
    "以上": "ge", "以下": "le", "以内": "le", "左右": "approx", "之多": "approx",
}
"""Words right after a number (and its unit) that qualify it."""

APPROX_INFIXES: Final[frozenset[str]] = frozenset({"余", "多"})
"""余/多 between a number and its unit (350余人, 2万余人次): an approximate figure."""

CHANGE_CUES: Final[tuple[str, ...]] = (
    "同比", "环比", "较上年", "比上年", "较去年", "比去年", "增长", "增加", "下降", "减少",
    "提高了", "提升了", "降低了", "增幅", "降幅",
)
"""Words before a percentage that make it a change rather than a level."""

RANK_CUES: Final[tuple[str, ...]] = ("排名", "位列", "位居", "居", "列", "名列", "排")
"""Words before 第N名/第N位 that make the ordinal a rank figure."""

SCOPE_ALL_CUES: Final[tuple[str, ...]] = (
    "各县市区", "各县(市、区)", "各县(市区)", "各地各部门", "各区各部门", "各县各部门",
    "各级各部门", "各级行政机关", "县乡村三级", "市县乡三级", "市县乡村四级", "市县两级",
    "市区两级", "县乡两级", "区街两级", "全域",
)
"""Words that make a figure the whole region's, whatever its level."""

SCOPE_CUE_TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    # {s} is the suffix of the report's own region (市, 县, 区, 州, 省).
    "all": ("全{s}",),
    "own": ("{s}本级", "本级"),
    "direct": ("{s}直", "{s}直单位", "{s}直部门", "{s}直机关", "{s}直各部门"),
}
"""Scope cues that hold for the rest of their sentence: all (全市), own level (市本级),
departments (市直)."""

WEAK_SCOPE_CUE_TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    "own": ("{s}级", "{s}政府", "{s}人民政府", "{s}委", "{s}委{s}政府", "{s}政府常务会议"),
}
"""Scope cues that only hold within their clause (完成市级审计项目114个, 市政府办理…)."""

SCOPE_NAMES: Final[dict[str, dict[str, str]]] = {
    "country": {"all": "全国", "own": "全国", "direct": "全国"},
    "province": {"all": "全省", "own": "省本级", "direct": "省直"},
    "prefecture": {"all": "全市", "own": "市本级", "direct": "市直"},
    "county": {"all": "全县", "own": "县本级", "direct": "县直"},
}
"""Scope kind -> data-model scope for a report of each region level."""

OWN_LEVEL_WORDS: Final[tuple[str, ...]] = (
    "政府规章", "规章", "地方性法规", "市政府", "县政府", "区政府", "法律顾问", "人大代表建议",
    "政协委员提案", "政协提案", "重大行政决策", "督查通报", "审计", "政府信息", "合法性审核",
    "报备", "常务会议", "专项应急预案", "专项预案", "政务数据",
)
"""Words in an indicator's name that make it the government's own (本级) figure by default."""

DOMAIN_CUES: Final[dict[int, tuple[str, ...]]] = {
    1: ("党的领导", "党对", "组织领导", "组织保障", "统筹推进", "第一责任人", "法治思想",
        "学法", "领导干部", "法治素养", "法治建设第一", "述法", "考核", "督察", "法治能力",
        "党政主要负责人"),
    2: ("政府职能", "放管服", "营商环境", "政务服务", "简政放权", "职能转变", "数字政府",
        "市场监管", "审批制度", "优化服务"),
    3: ("制度体系", "依法行政制度", "立法", "规章", "规范性文件", "制度建设", "法规"),
    4: ("重大行政决策", "行政决策", "决策"),
    5: ("行政执法", "执法", "公正文明"),
    6: ("突发事件", "应急", "安全生产", "防灾", "减灾"),
    7: ("制约和监督", "制约监督", "监督", "权力运行", "政务公开", "信息公开", "政务诚信",
        "审计"),
    8: ("矛盾纠纷", "社会矛盾", "基层治理", "行政复议", "复议", "调解", "诉源治理",
        "多元化解", "信访", "行政争议", "行政应诉"),
}
"""Words in a section heading that say which of the eight domains it reports on."""

NON_DOMAIN_HEADING_CUES: Final[tuple[str, ...]] = (
    "存在的问题", "存在问题", "存在的不足", "不足", "下一步", "下步", "工作安排", "工作计划",
    "工作打算", "工作思路", "工作举措", "主要举措", "主要成效", "举措和成效", "工作成效",
    "主要工作",
)
"""Heading words of sections that are not one of the eight domains."""

PLAN_HEADING_CUES: Final[tuple[str, ...]] = (
    "存在的问题", "存在问题", "存在的不足", "不足", "下一步", "下步", "工作安排", "工作计划",
    "工作打算", "工作思路",
)
"""Heading words of sections whose figures are plans or problems, not the year's results."""

TITLE_KIND_CUES: Final[dict[str, str]] = {
    "条例": "地方性法规",
    "规则": "地方性法规",
}
"""A 《title》 ending in the key counts as an occurrence of the value word (for title counts)."""

LISTING_VERBS: Final[tuple[str, ...]] = ("列入", "纳入")
"""Verbs of putting named items on a list (A、B被列入……目录)."""

LISTING_NOUNS: Final[tuple[str, ...]] = ("目录", "名录")
"""Lists whose named items count as an indicator's value when one of the indicator's names
says so: it names the listing itself (列入重大行政决策事项目录) or the list's items
(重大行政决策事项目录事项, ending in one of ``LISTED_ITEM_WORDS``). A name that only
names the list (政务服务事项基本目录) does not: items added to a standing list are not
its size."""

LISTED_ITEM_WORDS: Final[tuple[str, ...]] = ("事项", "项目")
"""Words after a list noun that make a name mean the items on that list."""

ITEM_NOUNS: Final[tuple[str, ...]] = ("重大行政决策事项", "决策事项", "事项", "项目", "决策")
"""Nouns that may close a list of named items (A、B等决策事项被列入……)."""

REGION_SUFFIXES: Final[tuple[str, ...]] = (
    "土家族苗族自治州", "土家族自治县", "自治州", "自治县", "林区", "市", "县", "区", "州",
    "省",
)
"""Endings stripped from region names to build their short forms (十堰市 -> 十堰)."""
