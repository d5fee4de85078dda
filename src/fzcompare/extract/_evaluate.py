"""Scoring extracted observations against a hand-checked gold table."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from fzcompare._display import html_table
from fzcompare.errors import ExtractionError

if TYPE_CHECKING:
    import pandas as pd

    from fzcompare.extract._result import ExtractionResult

__all__ = ["GOLD_SCHEMA", "Evaluation", "evaluate", "load_gold"]

GOLD_SCHEMA: Final[dict[str, pl.DataType]] = {
    "indicator_code": pl.String(),
    "name_zh": pl.String(),
    "domain": pl.Int8(),
    "scope": pl.String(),
    "value": pl.Float64(),
    "unit": pl.String(),
    "qualifier": pl.String(),
    "quote": pl.String(),
}
"""Columns of a gold table (as in ``shiyan-2023.gold.csv``); name_zh and domain optional."""

_REQUIRED: Final[tuple[str, ...]] = ("indicator_code", "scope", "value", "unit", "qualifier")


def load_gold(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a gold CSV (columns of ``GOLD_SCHEMA``; ``quote`` optional).

    Raises:
        ExtractionError: ``reason`` ``bad_gold`` when required columns are missing.

    Examples:
        >>> gold = load_gold("datasets/raw/shiyan-2023.gold.csv")
        >>> gold.height, gold.schema["value"]
        (94, Float64)
        >>> gold.filter(pl.col("indicator_code") == "cross_province_services").select(
        ...     "scope", "value", "unit", "qualifier", "quote").row(0)
        ('全市', 140.0, '项', 'gt', '通办事项超过140项')
    """
    frame = pl.read_csv(Path(path), infer_schema=False)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        msg = f"{path}: gold table lacks columns {', '.join(missing)}"
        raise ExtractionError(msg, reason="bad_gold", path=str(path),
                              hint="a gold CSV has the columns " + ", ".join(_REQUIRED)
                              + " (name_zh, domain and quote optional)")
    return frame.with_columns(pl.col("value").cast(pl.Float64()))


def _same_code(obs: dict[str, object], gold_code: str) -> bool:
    """Gold codes starting ``unmapped`` ask for an unmapped observation."""
    if gold_code.startswith("unmapped"):
        return not obs["mapped"]
    return bool(obs["mapped"]) and obs["indicator_code"] == gold_code


def _grams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


@dataclass(frozen=True)
class Evaluation:
    """How well observations reproduce a gold table.

    Attributes:
        n_gold: Gold rows.
        n_observations: Observations given (mapped and unmapped).
        n_mapped: Observations with a catalog code.
        value_recall: Share of gold rows found with the right value, unit and qualifier.
        code_recall: Share of gold rows found with the right value, indicator code and
            scope.
        precision: Share of mapped observations that are a gold row with the same code,
            scope and value.
        matches: One row per gold row: the gold fields, the matched observation's fields
            (``obs_*``, null when none) and ``value_ok``/``code_ok``.
        false_positives: Mapped observations that match no gold row with their code.

    Examples:
        >>> from fzcompare.extract import evaluate, extract
        >>> result = extract("十堰市人民政府关于2023年法治政府建设情况的报告\\n"
        ...                  "全年办结行政复议案件80件，纠错9件，纠错率11.25%。")
        >>> gold = pl.DataFrame({"indicator_code": ["reconsideration_corrected",
        ...     "reconsideration_correction_rate"], "scope": ["全市"] * 2, "value": [9.0, 11.25],
        ...     "unit": ["件", "%"], "qualifier": ["eq", "eq"]})
        >>> evaluation = evaluate(result, gold)
        >>> evaluation
        Evaluation(n_gold=2, n_mapped=3, value_recall=1.000, code_recall=1.000, precision=0.667)
        >>> evaluation.to_polars().select("indicator_code", "value_ok", "code_ok").rows()
        [('reconsideration_corrected', True, True), ('reconsideration_correction_rate', True, True)]
        >>> evaluation.false_positives["indicator_code"].to_list()  # not in this small gold
        ['reconsideration_concluded']
    """

    n_gold: int
    n_observations: int
    n_mapped: int
    value_recall: float
    code_recall: float
    precision: float
    matches: pl.DataFrame
    false_positives: pl.DataFrame

    def to_polars(self) -> pl.DataFrame:
        """The per-gold-row table."""
        return self.matches

    def to_pandas(self) -> pd.DataFrame:
        """The per-gold-row table as pandas."""
        return self.matches.to_pandas()

    def __repr__(self) -> str:
        return (f"Evaluation(n_gold={self.n_gold}, n_mapped={self.n_mapped}, "
                f"value_recall={self.value_recall:.3f}, code_recall={self.code_recall:.3f}, "
                f"precision={self.precision:.3f})")

    def _repr_html_(self) -> str:
        missed = self.matches.filter(~pl.col("code_ok")).select(
            pl.col("indicator_code").alias("gold code"), "scope", "value",
            pl.col("obs_indicator_code").alias("found code"),
            pl.col("obs_scope").alias("found scope"))
        return (f"<div><strong>Evaluation</strong>: {self.n_gold} gold rows, "
                f"{self.n_mapped} mapped observations; value recall "
                f"{self.value_recall:.1%}, code recall {self.code_recall:.1%}, precision "
                f"{self.precision:.1%}{html_table(missed, max_rows=10)}</div>")


def evaluate(observations: pl.DataFrame | ExtractionResult, gold: pl.DataFrame, *,
             tolerance: float = 1e-6) -> Evaluation:
    """Match observations to gold rows one to one and compute recall and precision.

    A gold row and an observation can match when their values agree (relative
    ``tolerance``) and either the codes agree or the quotes share at least 30 % of the
    gold quote's character bigrams. Pairs are taken best first: same code, same scope,
    same unit, same qualifier, then quote overlap.

    Args:
        observations: Extracted observations (or an ``ExtractionResult``).
        gold: The gold table (see ``load_gold``).
        tolerance: Relative tolerance for values.

    Examples:
        >>> obs = pl.DataFrame({"indicator_code": ["a", "unmapped_x"], "scope": ["全市"] * 2,
        ...     "value": [9.0, 5.0], "unit": ["件", "个"], "qualifier": ["eq", "eq"],
        ...     "quote": ["纠错9件", "设立5个站点"], "mapped": [True, False]})
        >>> gold = pl.DataFrame({"indicator_code": ["a", "b"], "scope": ["全市"] * 2,
        ...     "value": [9.0, 5.0], "unit": ["件", "个"], "qualifier": ["eq", "eq"],
        ...     "quote": ["纠错9件", "设立5个站点"]})
        >>> result = evaluate(obs, gold)
        >>> result.value_recall, result.code_recall, result.precision
        (1.0, 0.5, 1.0)
    """
    frame = observations if isinstance(observations, pl.DataFrame) else observations.observations
    if "mapped" not in frame.columns:
        frame = frame.with_columns(
            (~pl.col("indicator_code").str.starts_with("unmapped_")).alias("mapped"))
    if "quote" not in frame.columns:
        frame = frame.with_columns(pl.lit("").alias("quote"))
    gold = gold.with_columns(pl.col("value").cast(pl.Float64()))
    if "quote" not in gold.columns:
        gold = gold.with_columns(pl.lit("").alias("quote"))
    obs_rows = frame.to_dicts()
    gold_rows = gold.to_dicts()
    pairs: list[tuple[tuple[int, int, int, int, float], int, int]] = []
    for g, row in enumerate(gold_rows):
        gold_value = float(row["value"])
        gold_grams = _grams(row["quote"] or "")
        for o, candidate in enumerate(obs_rows):
            value = candidate["value"]
            if value is None or abs(value - gold_value) > tolerance * max(1.0, abs(gold_value)):
                continue
            same_code = _same_code(candidate, row["indicator_code"])
            overlap = (len(gold_grams & _grams(candidate["quote"] or "")) / len(gold_grams)
                       if gold_grams else 0.0)
            if not same_code and overlap < 0.3:
                continue
            score = (int(same_code), int(candidate["scope"] == row["scope"]),
                     int(candidate["unit"] == row["unit"]),
                     int(candidate["qualifier"] == row["qualifier"]), overlap)
            pairs.append((score, g, o))
    pairs.sort(key=lambda p: p[0], reverse=True)
    gold_match: dict[int, int] = {}
    used: set[int] = set()
    for _, g, o in pairs:
        if g in gold_match or o in used:
            continue
        gold_match[g] = o
        used.add(o)
    records = []
    for g, row in enumerate(gold_rows):
        matched = gold_match.get(g)
        obs = obs_rows[matched] if matched is not None else None
        value_ok = obs is not None and obs["unit"] == row["unit"] and (
            obs["qualifier"] == row["qualifier"])
        code_ok = obs is not None and _same_code(obs, row["indicator_code"]) and (
            obs["scope"] == row["scope"])
        records.append({
            "indicator_code": row["indicator_code"], "scope": row["scope"],
            "value": float(row["value"]), "unit": row["unit"], "qualifier": row["qualifier"],
            "quote": row["quote"],
            "obs_indicator_code": obs["indicator_code"] if obs else None,
            "obs_scope": obs["scope"] if obs else None,
            "obs_unit": obs["unit"] if obs else None,
            "obs_qualifier": obs["qualifier"] if obs else None,
            "obs_quote": obs["quote"] if obs else None,
            "value_ok": value_ok, "code_ok": code_ok,
        })
    matches = pl.DataFrame(records, schema={
        "indicator_code": pl.String(), "scope": pl.String(), "value": pl.Float64(),
        "unit": pl.String(), "qualifier": pl.String(), "quote": pl.String(),
        "obs_indicator_code": pl.String(), "obs_scope": pl.String(), "obs_unit": pl.String(),
        "obs_qualifier": pl.String(), "obs_quote": pl.String(), "value_ok": pl.Boolean(),
        "code_ok": pl.Boolean()})
    true_positive = {o for g, o in gold_match.items() if records[g]["code_ok"]}
    mapped = [o for o, row in enumerate(obs_rows) if row["mapped"]]
    false_positive = [o for o in mapped if o not in true_positive]
    n_gold = len(gold_rows)
    return Evaluation(
        n_gold=n_gold,
        n_observations=len(obs_rows),
        n_mapped=len(mapped),
        value_recall=sum(r["value_ok"] for r in records) / n_gold if n_gold else 0.0,
        code_recall=sum(r["code_ok"] for r in records) / n_gold if n_gold else 0.0,
        precision=(len(mapped) - len(false_positive)) / len(mapped) if mapped else 0.0,
        matches=matches,
        false_positives=frame[false_positive] if false_positive else frame.clear(),
    )
