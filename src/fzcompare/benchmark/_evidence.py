"""Evidence of a benchmark: which criteria have a disclosed figure, and scores on evidence only.

A criterion *has evidence* for a region-year when the region disclosed a figure it reads (a
value, zero included); a criterion that does not apply to the region's level
(``applies_to``) is neither evidence nor missing: it leaves the denominator. From that:

- ``evidence_share``: the share of the rubric's possible points (applicable criteria, bonus and
  veto items excluded) whose criteria have evidence;
- ``points_on_evidence``: points earned on the criteria with evidence, rescaled by the rubric's
  hierarchy to its total (every missing criterion left out, whatever the missing policy);
- the peer group's *common set*: criteria with evidence for at least half of the peer group
  in that year (among the regions they apply to), and ``share_common_set``, the share earned
  on the common set's criteria that have evidence, rescaled the same way.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from fzcompare.benchmark._score import NOT_APPLICABLE, BoolArray, Evidence, Scored
from fzcompare.criteria import CriteriaSet

COMMON_SET_SHARE: Final[float] = 0.5
"""A criterion is in a peer group's common set when at least this share of the group's
regions (those it applies to) disclosed its figure in the year."""

COMMON_SET_COLUMNS: Final[tuple[str, ...]] = (
    "peer_group", "year", "criterion_id", "indicator_code", "regions", "regions_disclosing",
    "share_disclosing", "in_common_set",
)


def evidence_cells(scored: Scored) -> tuple[BoolArray, BoolArray]:
    """(pairs, criteria) masks: the cells with a disclosed figure, and the applicable cells."""
    applicable = np.asarray(scored.arrays["status"]) != NOT_APPLICABLE
    disclosed = ~np.isnan(scored.matrix("value")) & applicable
    return disclosed, applicable


def _common_set(scored: Scored, rubric: CriteriaSet, disclosed: BoolArray,
                applicable: BoolArray) -> tuple[BoolArray, pl.DataFrame]:
    groups = scored.pairs.select("peer_group", "year").with_row_index("_row")
    keys = groups.group_by("peer_group", "year", maintain_order=True).agg("_row")
    in_set = np.zeros(disclosed.shape, dtype=bool)
    ids = rubric.criteria["criterion_id"].to_list()
    codes = rubric.criteria["indicator_code"].to_list()
    rows: list[dict[str, object]] = []
    for group, year, members in keys.iter_rows():
        index = np.asarray(members, dtype=np.intp)
        eligible = applicable[index].sum(axis=0)
        disclosing = disclosed[index].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(eligible > 0, disclosing / np.maximum(eligible, 1), 0.0)
        common = (disclosing > 0) & (share >= COMMON_SET_SHARE - 1e-9)
        in_set[index] = common
        rows.extend({"peer_group": group, "year": year, "criterion_id": ids[j],
                     "indicator_code": codes[j], "regions": int(eligible[j]),
                     "regions_disclosing": int(disclosing[j]), "share_disclosing": float(share[j]),
                     "in_common_set": bool(common[j])} for j in range(len(ids)))
    schema = {"peer_group": pl.String(), "year": pl.Int32(), "criterion_id": pl.String(),
              "indicator_code": pl.String(), "regions": pl.Int32(),
              "regions_disclosing": pl.Int32(), "share_disclosing": pl.Float64(),
              "in_common_set": pl.Boolean()}
    return in_set, pl.DataFrame(rows, schema=schema)


def evidence_of(scored: Scored, rubric: CriteriaSet) -> Evidence:
    """Evidence shares, points on evidence and the common set of every scored pair."""
    structure = scored.structure
    disclosed, applicable = evidence_cells(scored)
    weight = structure.points * structure.base
    possible = (applicable * weight).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(possible > 0, (disclosed * weight).sum(axis=1)
                         / np.where(possible > 0, possible, 1.0), 0.0)
    earned = scored.matrix("points_earned")
    on_evidence = structure.aggregate(np.where(disclosed, earned, np.nan))
    in_set, table = _common_set(scored, rubric, disclosed, applicable)
    on_common = structure.aggregate(np.where(disclosed & in_set, earned, np.nan))
    total = rubric.total_points
    return Evidence(
        evidence_share=np.asarray(share, dtype=np.float64),
        points_on_evidence=on_evidence["total"],
        share_common_set=on_common["total"] / total if total else on_common["total"] * np.nan,
        n_not_applicable=(~applicable).sum(axis=1).astype(np.int64),
        common_set=table,
    )
