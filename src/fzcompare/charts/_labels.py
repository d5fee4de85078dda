"""Labels for charts: names for codes, safe and shortened text, input checks.

Names come from data (catalog, regions table, caller mappings, frame columns) and are
untrusted: they are only ever drawn as plain text, with mathtext switched off by escaping.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, Literal

import polars as pl

from fzcompare.catalog import load_catalog, load_regions
from fzcompare.errors import ChartError, SchemaError

if TYPE_CHECKING:
    from collections.abc import Iterable

Lang = Literal["zh", "en"]

__all__ = [
    "Lang",
    "Namer",
    "check_lang",
    "display_width",
    "is_synthetic",
    "legend_text",
    "peer_group_label",
    "require_columns",
    "safe_text",
    "truncate",
]

ELLIPSIS: Final[str] = "…"

SCOPE_EN: Final[dict[str, str]] = {
    "全国": "national", "全省": "province-wide", "省本级": "provincial level",
    "省直": "provincial departments", "全市": "city-wide", "市本级": "city level",
    "市直": "city departments", "全县": "county-wide", "县本级": "county level",
    "县直": "county departments",
}

UNIT_EN: Final[dict[str, str]] = {
    "件": "cases", "件次": "cases", "起": "cases", "人次": "person-times", "人": "persons",
    "名": "persons", "位": "persons", "项": "items", "条": "items", "个": "count",
    "路": "count", "部": "documents", "份": "documents", "卷": "files", "场": "sessions",
    "期": "sessions", "次": "times", "家": "organisations", "户": "households",
    "台": "units", "支": "teams", "件/套": "sets",
}


AREA_EN: Final[dict[str, str]] = {"加分项": "Bonus items", "一票否决": "Veto items"}
"""English names of the rubric's non-domain areas (the eight domains come from the catalog)."""

LEVEL_NAMES: Final[dict[str, tuple[str, str]]] = {
    "country": ("全国", "national"), "province": ("省级", "province level"),
    "prefecture": ("地级", "prefecture level"), "county": ("县级", "county level"),
    "township": ("乡镇级", "township level"),
}
"""Region level -> (Chinese, English) for peer-group labels."""


def check_lang(lang: str) -> Lang:
    """Validate ``lang`` (``zh`` or ``en``).

    Examples:
        >>> check_lang("en")
        'en'
        >>> check_lang("fr")
        Traceback (most recent call last):
            ...
        fzcompare.errors.ChartError: unknown chart language 'fr'
        Hint: use lang='zh' or lang='en'
    """
    if lang == "zh":
        return "zh"
    if lang == "en":
        return "en"
    msg = f"unknown chart language {lang!r}"
    raise ChartError(msg, hint="use lang='zh' or lang='en'",
                     reason="bad_value", column="lang")


def display_width(text: str) -> int:
    """Width in half-width cells: CJK and full-width characters count 2.

    Examples:
        >>> display_width("十堰 ab")
        7
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def truncate(text: str, max_width: int) -> str:
    """Shorten ``text`` to at most ``max_width`` cells, ending with ``…`` when cut.

    Examples:
        >>> truncate("政府信息公开申请按时办结率", 12)
        '政府信息公…'
        >>> truncate("Wuhan", 12)
        'Wuhan'
    """
    if display_width(text) <= max_width:
        return text
    out: list[str] = []
    width = 1
    for ch in text:
        w = display_width(ch)
        if width + w > max_width:
            break
        out.append(ch)
        width += w
    return "".join(out).rstrip() + ELLIPSIS


def safe_text(text: object, max_width: int | None = None) -> str:
    """Plain text for matplotlib: control characters become spaces, ``$`` is escaped.

    Escaping every ``$`` keeps matplotlib from reading data as mathtext.

    Examples:
        >>> safe_text("cost $5 and $x^2$\\nline")
        'cost \\\\$5 and \\\\$x^2\\\\$ line'
    """
    raw = "" if text is None else str(text)
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                      for ch in raw)
    cleaned = " ".join(cleaned.split())
    if max_width is not None:
        cleaned = truncate(cleaned, max_width)
    return cleaned.replace("$", r"\$")


def legend_text(text: str) -> str:
    """A legend label matplotlib will not hide (it skips labels starting with ``_``).

    Examples:
        >>> legend_text("_internal_code"), legend_text("十堰市")
        (' _internal_code', '十堰市')
    """
    return " " + text if text.startswith("_") else text


def require_columns(frame: pl.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise ``SchemaError`` naming the missing columns of a chart input frame.

    Examples:
        >>> require_columns(pl.DataFrame({"year": [2023]}), ["region_code", "year"],
        ...                 what="totals frame")
        Traceback (most recent call last):
            ...
        fzcompare.errors.SchemaError: totals frame: missing columns: region_code
        Hint: the totals frame needs the columns region_code, year
    """
    if not isinstance(frame, pl.DataFrame):
        msg = f"{what}: expected a polars DataFrame, got {type(frame).__name__}"
        raise SchemaError(msg,
                          reason="wrong_type", hint="pass a polars DataFrame "
                          "(use .collect() on a LazyFrame, pl.from_pandas() on pandas)")
    needed = list(columns)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = f"{what}: missing columns: {', '.join(missing)}"
        raise SchemaError(msg,
                          reason="missing_column", column=missing[0],
                          hint=f"the {what} needs the columns {', '.join(needed)}")


def is_synthetic(frame: pl.DataFrame, forced: bool) -> bool:
    """Whether a chart of ``frame`` must carry the synthetic-data mark.

    True when forced, when a ``source_kind`` column holds ``synthetic``, when a boolean
    ``synthetic`` column holds a true value, or when a ``source_id`` starts with
    ``synthetic``. The mark cannot be switched off for frames that say they are synthetic.

    Examples:
        >>> is_synthetic(pl.DataFrame({"source_kind": ["report", "synthetic"]}), False)
        True
        >>> is_synthetic(pl.DataFrame({"source_id": ["shiyan-2023"]}), False)
        False
    """
    if forced:
        return True
    cols = frame.columns
    if "source_kind" in cols and frame["source_kind"].cast(pl.String).str.to_lowercase().eq(
            "synthetic").any():
        return True
    if "synthetic" in cols and frame["synthetic"].dtype == pl.Boolean and bool(
            frame["synthetic"].any()):
        return True
    return bool("source_id" in cols and frame["source_id"].dtype == pl.String
                and frame["source_id"].str.to_lowercase().str.starts_with("synthetic").any())


def peer_group_label(group: object, lang: Lang = "zh") -> str:
    """A peer group id (``level/parent_code``) as words: the parent's name and the level.

    Ids of another shape (user-given peer groups) are returned unchanged.

    Examples:
        >>> peer_group_label("prefecture/420000"), peer_group_label("prefecture/420000", "en")
        ('湖北省 · 地级', 'Hubei · prefecture level')
        >>> peer_group_label("地级市")
        '地级市'
    """
    key = str(group)
    level, _, parent = key.partition("/")
    if level not in LEVEL_NAMES or not parent:
        return key
    regions = load_regions()
    names = dict(zip(regions["region_code"], regions[f"name_{lang}"], strict=True))
    words = LEVEL_NAMES[level][0 if lang == "zh" else 1]
    return f"{names.get(parent, parent)} · {words}"


class Namer:
    """Display names for region, indicator, area and criterion codes in one language.

    Lookup order: the caller's ``labels`` mapping, then the bundled regions table or
    indicator catalog (``name_zh``/``name_en``), then the code itself.

    Examples:
        >>> names = Namer("en", labels={"420300": "Shiyan City"})
        >>> names.region("420300"), names.region("420500"), names.region("999999")
        ('Shiyan City', 'Yichang', '999999')
        >>> names.scope("县本级"), names.unit_text("件")
        ('county level', 'cases')
        >>> Namer("zh").region("420500")
        '宜昌市'
    """

    def __init__(self, lang: Lang, labels: Mapping[str, str] | None = None) -> None:
        self.lang = lang
        self.labels: Mapping[str, str] = labels or {}
        self._regions: dict[str, str] | None = None
        self._indicators: dict[str, str] | None = None
        self._units: dict[str, str] | None = None
        self._domains: dict[str, str] | None = None
        self._domains_by_zh: dict[str, str] | None = None

    def _load(self) -> None:
        column = f"name_{self.lang}"
        regions = load_regions()
        self._regions = dict(zip(regions["region_code"], regions[column], strict=True))
        catalog = load_catalog()
        ind = catalog.indicators
        self._indicators = dict(zip(ind["code"], ind[column], strict=True))
        self._units = dict(zip(ind["code"], ind["unit"], strict=True))
        dom = catalog.domains
        self._domains = {str(d): n for d, n in zip(dom["domain"], dom[column], strict=True)}
        self._domains_by_zh = dict(zip(dom["name_zh"], dom[column], strict=True))
        if self.lang == "en":
            self._domains_by_zh |= AREA_EN

    def _table(self, which: str) -> dict[str, str]:
        if self._regions is None:
            self._load()
        table = {"region": self._regions, "indicator": self._indicators,
                 "unit": self._units, "domain": self._domains,
                 "domain_zh": self._domains_by_zh}[which]
        assert table is not None
        return table

    def region(self, code: object) -> str:
        """Name of a region code."""
        key = str(code)
        if key in self.labels:
            return str(self.labels[key])
        return self._table("region").get(key) or key

    def indicator(self, code: object) -> str:
        """Name of an indicator code."""
        key = str(code)
        if key in self.labels:
            return str(self.labels[key])
        return self._table("indicator").get(key) or key

    def unit(self, code: object) -> str:
        """The catalog unit of an indicator code, or empty."""
        return self._table("unit").get(str(code)) or ""

    def unit_text(self, unit: str) -> str:
        """A unit for display: Chinese counting words get an English word in English charts."""
        return UNIT_EN.get(unit, unit) if self.lang == "en" else unit

    def scope(self, scope: object) -> str:
        """A scope (全市, 县本级 ...) in the chart language."""
        key = str(scope)
        if key in self.labels:
            return str(self.labels[key])
        return SCOPE_EN.get(key, key) if self.lang == "en" else key

    def area(self, area_id: object, area_name: object) -> str:
        """Name of an area: labels, then (English) the catalog's domain, then the frame.

        In English an area is translated by its domain number or by its Chinese name (a
        rubric's ``A3 依法行政制度体系`` is the catalog's domain 3); bonus and veto areas
        have fixed English names.
        """
        key = str(area_id)
        if key in self.labels:
            return str(self.labels[key])
        if self.lang == "en" and key in self._table("domain"):
            return self._table("domain")[key]
        if self.lang == "en" and str(area_name) in self._table("domain_zh"):
            return self._table("domain_zh")[str(area_name)]
        if area_name is not None and str(area_name):
            return str(area_name)
        return self._table("domain").get(key) or key

    def peer_group(self, group: object) -> str:
        """A peer group id as words (see ``peer_group_label``); labels override."""
        key = str(group)
        if key in self.labels:
            return str(self.labels[key])
        return peer_group_label(key, self.lang)

    def criteria(self, rows: Iterable[Mapping[str, object]]) -> list[str]:
        """Names of criteria rows, unique: repeated names get the criterion id appended.

        In English several criteria take their name from one indicator (a scored rate and a
        bonus on the same rate); the id tells them apart.

        Examples:
            >>> rows = [{"criterion_id": "A2.1", "criterion_name": "网办率（90%起计分）",
            ...          "indicator_code": "gov_service_online_rate"},
            ...         {"criterion_id": "B.1", "criterion_name": "网办率达97%以上，加1分",
            ...          "indicator_code": "gov_service_online_rate"}]
            >>> Namer("en").criteria(rows)  # doctest: +NORMALIZE_WHITESPACE
            ['Share of government services available online (A2.1)',
             'Share of government services available online (B.1)']
            >>> Namer("zh").criteria(rows)
            ['网办率（90%起计分）', '网办率达97%以上，加1分']
        """
        rows = list(rows)
        names = [self.criterion(r["criterion_id"], r["criterion_name"], r["indicator_code"])
                 for r in rows]
        seen: dict[str, int] = {}
        for name in names:
            seen[name] = seen.get(name, 0) + 1
        return [f"{name} ({r['criterion_id']})" if seen[name] > 1 else name
                for name, r in zip(names, rows, strict=True)]

    def criterion(self, criterion_id: object, criterion_name: object,
                  indicator_code: object) -> str:
        """Name of a criterion: labels, then (English) the indicator's name, then the frame."""
        key = str(criterion_id)
        if key in self.labels:
            return str(self.labels[key])
        if self.lang == "en" and indicator_code is not None and str(
                indicator_code) in self._table("indicator"):
            return self._table("indicator")[str(indicator_code)]
        if criterion_name is not None and str(criterion_name):
            return str(criterion_name)
        return key
