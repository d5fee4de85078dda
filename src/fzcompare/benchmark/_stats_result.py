"""Result types of the uncertainty, audit and change-attribution functions.

A leaf module like ``_result``: it imports no other ``fzcompare.benchmark`` module.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from fzcompare._display import html_table
from fzcompare._provenance import Provenance

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AttributionResult",
    "AuditResult",
    "RankUncertaintyResult",
    "UncertaintySettings",
]


def _block(title: str, lines: Sequence[str], table: pl.DataFrame, rows: int = 10) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f"<div><strong>{html.escape(title)}</strong><ul>{items}</ul>"
            f"{html_table(table, max_rows=rows)}</div>")


@dataclass(frozen=True)
class UncertaintySettings:
    """What a ``rank_uncertainty`` run drew.

    Attributes:
        criteria_id: The rubric's id.
        criteria_version: The rubric's version.
        draws: Monte Carlo draws.
        seed: Seed of the random generator.
        weight_spread: Each criterion's points times ``Uniform(1 - s, 1 + s)``, rescaled so
            every area keeps its points.
        noise: Whether counts (Poisson) and rates with a known denominator (binomial) were
            redrawn.
        impute: Whether non-disclosed figures were drawn from the peer group's figures.
        noisy_cells: Cells redrawn as counts or rates.
        imputed_cells: Non-disclosed cells imputed in every draw.
        bands: Band names and minimum shares, best first.
        bands_source: Where the cut-offs come from.
        tie_rule: How tied groups are formed.
        combinations: The composite choices (``normalisation+aggregation``) a draw picked
            from, uniformly; ``rubric+arithmetic`` is the rubric's own scoring.
    """

    criteria_id: str
    criteria_version: str
    draws: int
    seed: int
    weight_spread: float
    noise: bool
    impute: bool
    noisy_cells: int
    imputed_cells: int
    bands: tuple[tuple[str, float], ...]
    bands_source: str
    tie_rule: str
    combinations: tuple[str, ...] = ("rubric+arithmetic",)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (JSON-ready)."""
        data = asdict(self)
        data["bands"] = [list(b) for b in self.bands]
        return data


@dataclass(frozen=True)
class RankUncertaintyResult:
    """Rank intervals, tied groups, band probabilities and rank-change probabilities.

    Attributes:
        ranks: One row per ranked or unranked region-year: ``region_code, year, peer_group,
            rank, rank_p05, rank_median, rank_p95, tied_group, tied_group_size, band,
            band_probability, prev_rank, rank_change, p_rank_improved, p_rank_worsened``.
            ``rank_p05 <= rank <= rank_p95`` always holds (the observed rank is part of the
            interval); unranked regions have nulls.
        bands: ``region_code, year, band, band_order, probability`` (probabilities of one
            region-year sum to 1).
        settings: ``UncertaintySettings``.
        choices: One row per composite choice: ``combination, normalisation, aggregation,
            draws, mean_abs_rank_shift`` (mean ``|rank in the draw - observed rank|``).
        sensitivity: One row per choice declared with more than one option:
            ``factor, options, first_order_share`` (share of the rank variance explained by
            that choice alone; the largest moves ranks most). Empty without alternatives.
    """

    ranks: pl.DataFrame
    bands: pl.DataFrame
    settings: UncertaintySettings
    choices: pl.DataFrame = field(default_factory=pl.DataFrame)
    sensitivity: pl.DataFrame = field(default_factory=pl.DataFrame)

    def most_influential_choice(self) -> str | None:
        """The declared choice with the largest first-order share, or None without any."""
        known = self.sensitivity.filter(pl.col("first_order_share").is_not_null()) \
            if self.sensitivity.height else self.sensitivity
        if not known.height:
            return None
        return str(known.sort("first_order_share", descending=True)["factor"][0])

    def __repr__(self) -> str:
        s = self.settings
        groups = self.ranks.filter(pl.col("tied_group_size") > 1).height
        return (f"RankUncertaintyResult({s.criteria_id}: {s.draws} draws, "
                f"{self.ranks.height} region-years, {groups} in tied groups)")

    def _repr_html_(self) -> str:
        s = self.settings
        lines = [f"rubric {s.criteria_id} v{s.criteria_version}; {s.draws} draws, seed "
                 f"{s.seed}, weight spread {s.weight_spread:g}",
                 f"noise {'on' if s.noise else 'off'} ({s.noisy_cells} cells), imputation "
                 f"{'on' if s.impute else 'off'} ({s.imputed_cells} cells)",
                 f"bands: {', '.join(n for n, _ in s.bands)} ({s.bands_source})",
                 f"tied groups: {s.tie_rule}",
                 f"composite choices drawn: {', '.join(s.combinations)}"]
        lines += [f"{f}: first-order share {share:.0%} of the rank variance" for f, share in
                  self.sensitivity.select("factor", "first_order_share").iter_rows()
                  if share is not None] if self.sensitivity.height else []
        return _block("RankUncertaintyResult", lines, self.ranks)

    def to_polars(self) -> pl.DataFrame:
        """The ranks table."""
        return self.ranks

    def to_pandas(self) -> pd.DataFrame:
        """The ranks table as pandas."""
        return self.ranks.to_pandas()


@dataclass(frozen=True)
class AuditResult:
    """A rubric audit over one year's scored regions.

    Attributes:
        criteria: One row per scored criterion: ``criterion_id, area_id, nominal_weight,
            effective_weight, share_full, share_zero, saturated, r_area, r_total, n``.
        areas: One row per area: ``area_id, n_criteria, cronbach_alpha, n``.
        redundant: Pairs of criteria with ``|r| > 0.9``: ``criterion_a, criterion_b, r``.
        findings: Short sentences on what to look at.
        year: The year audited.
        criteria_id: The rubric's id.
    """

    criteria: pl.DataFrame
    areas: pl.DataFrame
    redundant: pl.DataFrame
    findings: tuple[str, ...]
    year: int
    criteria_id: str

    def __repr__(self) -> str:
        return (f"AuditResult({self.criteria_id} {self.year}: {self.criteria.height} criteria,"
                f" {len(self.findings)} findings)")

    def _repr_html_(self) -> str:
        return _block(f"AuditResult {self.criteria_id} {self.year}", self.findings,
                      self.criteria, rows=20)

    def to_polars(self) -> pl.DataFrame:
        """The criteria table."""
        return self.criteria

    def to_pandas(self) -> pd.DataFrame:
        """The criteria table as pandas."""
        return self.criteria.to_pandas()


@dataclass(frozen=True)
class AttributionResult:
    """Each region's change of score between two years, split into its parts.

    Attributes:
        parts: One row per region and part: ``region_code, year_from, year_to, kind``
            (``criterion``, ``adjustment``: rescaling and bonus caps of an area, ``rubric``:
            the rubric effect when the editions differ), ``area_id, area_name, criterion_id,
            criterion_name, indicator_code, points_from, points_to, contribution,
            synthetic``. The contributions of a region sum to
            its ``total_change``.
        totals: One row per region: ``region_code, year_from, year_to, total_from,
            total_to, total_change, rubric_effect, performance_effect, synthetic``.
        unit: ``points`` (same rubric) or ``share points`` (percentage points of the total,
            when the editions differ and their totals may differ).
        editions: The rubric ids and versions compared.
        provenance: The source kinds of the observations of both results; the rows of
            ``parts`` and ``totals`` carry a ``synthetic`` flag per region.
    """

    parts: pl.DataFrame
    totals: pl.DataFrame
    unit: str
    editions: tuple[str, str]
    provenance: Provenance = field(default=Provenance(), compare=False)

    def __repr__(self) -> str:
        return (f"AttributionResult({self.editions[0]} -> {self.editions[1]}: "
                f"{self.totals.height} regions, {self.unit})")

    def _repr_html_(self) -> str:
        lines = [f"{self.editions[0]} -> {self.editions[1]}; contributions in {self.unit}",
                 f"inputs: {self.provenance.label}"]
        return _block("AttributionResult", lines, self.totals)

    def to_polars(self) -> pl.DataFrame:
        """The parts table."""
        return self.parts

    def to_pandas(self) -> pd.DataFrame:
        """The parts table as pandas."""
        return self.parts.to_pandas()
