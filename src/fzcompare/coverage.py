"""What was and was not disclosed: disclosure states per region-year-indicator, and coverage.

Functions over polars frames (no file reading). A region-year *has a report* when the sources
table holds a row of kind ``report`` or ``synthetic`` with that ``region_code`` and ``year``;
nothing is inferred from a missing observation row alone. Each region × year × indicator cell
then takes one state (``fzcompare.schema.DISCLOSURE_STATES``):

* a stored row decides: ``reported`` (``zero`` when every reported figure is 0),
  ``no_number`` or ``withheld`` (with several scopes, the first of that order wins);
* no row, but a report: ``not_disclosed``;
* no row and no report: ``no_report``.

Examples:
    >>> import fzcompare
    >>> obs, sources = fzcompare.load("datasets/real"), fzcompare.load_sources("datasets/real")
    >>> result = fzcompare.coverage.coverage(obs, sources, rubric="hubei-demo-2024")
    >>> row = result.region_years.filter(pl.col("region_code") == "420300",
    ...                                  pl.col("year") == 2023).row(0, named=True)
    >>> row["report"], row["disclosed"], round(row["evidence_share"], 2)
    (True, 97, 0.43)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from fzcompare._display import html_table
from fzcompare.catalog import load_regions
from fzcompare.criteria import CriteriaSet, load_criteria
from fzcompare.errors import InvalidArgumentError, SchemaError
from fzcompare.schema import DISCLOSED_STATES, REPORT_KINDS, UNMAPPED_PREFIX

__all__ = ["COMMON_SET_SHARE", "CoverageResult", "common_set", "coverage", "disclosure_frame",
           "evidence_share", "report_years"]

COMMON_SET_SHARE: Final[float] = 0.5
"""Default share of a peer group's reports that must disclose an indicator for the common set."""

_NUMERIC_STATES: Final[tuple[str, ...]] = ("reported", "zero")
_UNSCORED_RULES: Final[tuple[str, ...]] = ("bonus", "veto")
_PRECEDENCE: Final[dict[str, int]] = {"reported": 0, "no_number": 1, "withheld": 2}
_CELL_SCHEMA: Final[dict[str, pl.DataType]] = {
    "region_code": pl.String(), "year": pl.Int32(), "indicator_code": pl.String(),
    "report": pl.Boolean(), "state": pl.String(), "value": pl.Float64(),
    "source_id": pl.String()}


def report_years(sources: pl.DataFrame) -> pl.DataFrame:
    """The region-years that have a report, from the sources table (``region_code``, ``year``).

    Examples:
        >>> import fzcompare
        >>> reports = report_years(fzcompare.load_sources("datasets/real"))
        >>> reports.filter(pl.col("region_code") == "420300")["year"].to_list()
        [2021, 2023]
    """
    missing = [c for c in ("region_code", "year", "kind") if c not in sources.columns]
    if missing:
        msg = f"sources table misses columns: {', '.join(missing)}"
        raise SchemaError(msg, hint="load it with fzcompare.load_sources, which adds the "
                          "region_code and year columns of older tables", column=missing[0],
                          reason="missing_column")
    return (sources.filter(pl.col("kind").is_in(list(REPORT_KINDS)),
                           pl.col("region_code").is_not_null(), pl.col("year").is_not_null())
            .select("region_code", pl.col("year").cast(pl.Int32()))
            .unique().sort("region_code", "year"))


def disclosure_frame(observations: pl.DataFrame, sources: pl.DataFrame, *,
                     indicators: Sequence[str] | None = None,
                     years: Sequence[int] | None = None) -> pl.DataFrame:
    """The disclosure state of every region × year × indicator.

    Args:
        observations: Rows in the data model (``fzcompare.load``).
        sources: The dataset's sources table (``fzcompare.load_sources``).
        indicators: Indicators to cover (default: every catalog code in ``observations``;
            ``unmapped_*`` codes are left out).
        years: Years to cover (default: every year of the observations or of a report).

    Returns:
        One row per cell: ``region_code``, ``year``, ``indicator_code``, ``report`` (the
        region-year has a report), ``state``, ``value`` (the first reported figure; null
        otherwise) and ``source_id`` (of that row; null without a row). Regions are those of
        the observations and of the reports.

    Examples:
        >>> import fzcompare
        >>> obs, sources = fzcompare.load("datasets/real"), fzcompare.load_sources("datasets/real")
        >>> cells = disclosure_frame(obs, sources, indicators=["reconsideration_applications"],
        ...                          years=[2021, 2022])
        >>> cells.filter(pl.col("region_code") == "420300").select("year", "state").rows()
        [(2021, 'not_disclosed'), (2022, 'no_report')]
        >>> cells.filter(pl.col("region_code") == "420100").select("year", "state").rows()
        [(2021, 'no_report'), (2022, 'not_disclosed')]
    """
    reports = report_years(sources)
    obs = observations.filter(~pl.col("indicator_code").str.starts_with(UNMAPPED_PREFIX))
    codes = (sorted(set(obs["indicator_code"])) if indicators is None
             else list(dict.fromkeys(indicators)))
    year_list = (sorted(set(obs["year"]) | set(reports["year"])) if years is None
                 else sorted({int(y) for y in years}))
    regions = sorted(set(obs["region_code"]) | set(reports["region_code"]))
    grid = (pl.DataFrame({"region_code": regions}, schema={"region_code": pl.String()})
            .join(pl.DataFrame({"year": year_list}, schema={"year": pl.Int32()}), how="cross")
            .join(pl.DataFrame({"indicator_code": codes},
                               schema={"indicator_code": pl.String()}), how="cross"))
    stored = _stored_states(obs.filter(pl.col("indicator_code").is_in(codes),
                                       pl.col("year").is_in(year_list)))
    cells = (grid.join(reports.with_columns(pl.lit(True).alias("report")),
                       on=["region_code", "year"], how="left")
             .join(stored, on=["region_code", "year", "indicator_code"], how="left")
             .with_columns(pl.col("report").fill_null(False))
             .with_columns(pl.when(pl.col("state").is_not_null()).then(pl.col("state"))
                           .when(pl.col("report")).then(pl.lit("not_disclosed"))
                           .otherwise(pl.lit("no_report")).alias("state")))
    return cells.select([pl.col(c).cast(t) for c, t in _CELL_SCHEMA.items()]).sort(
        "region_code", "year", "indicator_code")


def _stored_states(obs: pl.DataFrame) -> pl.DataFrame:
    """One state per region-year-indicator from its rows (several scopes: best one wins)."""
    ranked = obs.with_columns(
        pl.col("disclosure").replace_strict(_PRECEDENCE, return_dtype=pl.Int8()).alias("_rank"))
    return (ranked.sort("_rank", "scope")
            .group_by("region_code", "year", "indicator_code", maintain_order=True)
            .agg(pl.col("disclosure").first().alias("state"),
                 pl.col("value").drop_nulls().first().alias("value"),
                 (pl.col("value").drop_nulls() == 0).all().alias("_all_zero"),
                 pl.col("source_id").first())
            .with_columns(pl.when((pl.col("state") == "reported") & pl.col("_all_zero"))
                          .then(pl.lit("zero")).otherwise(pl.col("state")).alias("state"))
            .drop("_all_zero"))


def _levels(cells: pl.DataFrame, regions: pl.DataFrame | None) -> pl.DataFrame:
    table = load_regions() if regions is None else regions
    return cells.join(table.select("region_code", "level"), on="region_code", how="left")


def evidence_share(cells: pl.DataFrame, rubric: CriteriaSet, *,
                   regions: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per region-year, the share of the rubric's possible points whose criteria have evidence.

    A criterion has evidence when its indicator is ``reported`` or ``zero`` in the cell (a
    statement without a number is no figure to score). Bonus and veto items are left out;
    a criterion whose ``applies_to`` (when the rubric has that column) excludes the region's
    level, or a region whose level the rubric does not score (``levels``), leaves the
    denominator. The benchmark's ``evidence_share`` follows the same rule.

    Args:
        cells: A ``disclosure_frame`` covering the rubric's indicators.
        rubric: The criteria set.
        regions: Regions table with ``level`` (default: the bundled one).

    Returns:
        ``region_code``, ``year``, ``points_possible``, ``points_with_evidence``,
        ``criteria_with_evidence``, ``evidence_share`` (null when no point is possible: the rubric
        does not apply).

    Examples:
        >>> import fzcompare
        >>> obs, sources = fzcompare.load("datasets/real"), fzcompare.load_sources("datasets/real")
        >>> rubric = fzcompare.load_criteria("hubei-demo-2024")
        >>> cells = disclosure_frame(obs, sources, indicators=rubric.criteria["indicator_code"])
        >>> shares = evidence_share(cells, rubric)
        >>> shares.filter(pl.col("region_code") == "420100", pl.col("year") == 2023).row(0)
        ('420100', 2023, 100.0, 4.0, 2, 0.04)
    """
    return _criterion_cells(cells, rubric, regions).group_by(
        "region_code", "year", maintain_order=True).agg(
        pl.col("points").filter(pl.col("applies")).sum().alias("points_possible"),
        pl.col("points").filter(pl.col("applies") & pl.col("evidence")).sum()
        .alias("points_with_evidence"),
        (pl.col("applies") & pl.col("evidence")).sum().cast(pl.Int32())
        .alias("criteria_with_evidence"),
    ).with_columns(pl.when(pl.col("points_possible") > 0)
                   .then(pl.col("points_with_evidence") / pl.col("points_possible"))
                   .otherwise(None).alias("evidence_share")).sort("region_code", "year")


def _criterion_cells(cells: pl.DataFrame, rubric: CriteriaSet,
                     regions: pl.DataFrame | None) -> pl.DataFrame:
    """One row per scored criterion × region-year: points, applies, evidence."""
    columns = ["criterion_id", "indicator_code", "points"]
    has_applies = "applies_to" in rubric.criteria.columns
    criteria = rubric.criteria.filter(~pl.col("rule").is_in(list(_UNSCORED_RULES))).select(
        *columns, *(["applies_to"] if has_applies else []))
    region_years = _levels(cells.select("region_code", "year").unique(), regions)
    joined = region_years.join(criteria, how="cross").join(
        cells.select("region_code", "year", "indicator_code", "state"),
        on=["region_code", "year", "indicator_code"], how="left")
    applies = (pl.col("applies_to").is_null() | pl.col("applies_to").list.contains(pl.col("level"))
               if has_applies else pl.lit(True))
    if rubric.levels is not None:
        applies = applies & pl.col("level").is_in(list(rubric.levels))
    return joined.with_columns(applies.fill_null(True).alias("applies"),
                               pl.col("state").is_in(_NUMERIC_STATES).fill_null(False)
                               .alias("evidence"),
                               pl.col("points").fill_null(0.0)).sort("region_code", "year")


def common_set(cells: pl.DataFrame, *, share: float = COMMON_SET_SHARE,
               peers: pl.DataFrame | None = None) -> pl.DataFrame:
    """Indicators disclosed (with a figure) by at least ``share`` of a peer group's reports.

    Args:
        cells: A ``disclosure_frame``.
        share: The share of the group's region-years with a report that must disclose it.
        peers: ``region_code`` → ``peer_group`` (default: the region's level).

    Returns:
        ``peer_group``, ``year``, ``indicator_code``, ``reports``, ``disclosing``,
        ``share_disclosing``, ``in_common_set``; one row per group × year × indicator.

    Examples:
        >>> import fzcompare
        >>> from fzcompare.synthetic import demo_panel
        >>> panel = demo_panel(disclosure="sparse")
        >>> table = common_set(disclosure_frame(panel.observations, panel.sources))
        >>> table.filter(pl.col("in_common_set"))["indicator_code"].unique().len() > 0
        True
    """
    if not 0.0 < share <= 1.0:
        msg = f"common-set share {share} is outside (0, 1]"
        raise InvalidArgumentError(msg, hint="give a share such as 0.5 (half of the peer "
                                   "group)")
    groups = (_levels(cells, None).rename({"level": "peer_group"}) if peers is None
              else cells.join(peers.select("region_code", "peer_group"), on="region_code",
                              how="left"))
    return (groups.filter(pl.col("report"))
            .group_by("peer_group", "year", "indicator_code")
            .agg(pl.len().cast(pl.Int32()).alias("reports"),
                 pl.col("state").is_in(_NUMERIC_STATES).sum().cast(pl.Int32())
                 .alias("disclosing"))
            .with_columns((pl.col("disclosing") / pl.col("reports")).alias("share_disclosing"))
            .with_columns((pl.col("share_disclosing") >= share - 1e-9).alias("in_common_set"))
            .sort("peer_group", "year", "indicator_code"))


@dataclass(frozen=True)
class CoverageResult:
    """What a dataset discloses, per region-year, indicator and rubric criterion.

    Attributes:
        cells: The ``disclosure_frame`` (one row per region × year × indicator).
        region_years: ``region_code``, ``year``, ``report``, ``disclosed`` (indicators with a
            reported/zero/no-number state), ``with_figure`` (reported or zero), one count
            column per state, and (with a rubric) the ``evidence_share`` columns.
        indicators: ``indicator_code``, ``reports`` (region-years with a report),
            ``disclosing``, ``share_disclosing`` (with a figure, of the reports).
        criteria: Per rubric criterion: ``criterion_id``, ``indicator_code``, ``points``,
            ``region_years`` (where it applies), ``with_evidence``, ``share_with_evidence``;
            empty without a rubric.
        common_set: ``common_set(cells, share=common_share)``.
        rubric_id: The rubric used, or None.
        common_share: The common-set threshold.
    """

    cells: pl.DataFrame
    region_years: pl.DataFrame
    indicators: pl.DataFrame
    criteria: pl.DataFrame
    common_set: pl.DataFrame
    rubric_id: str | None
    common_share: float

    def __repr__(self) -> str:
        ry = self.region_years
        reports = int(ry["report"].sum()) if ry.height else 0
        return (f"CoverageResult(region_years={ry.height}, with_report={reports}, "
                f"indicators={self.indicators.height}, rubric={self.rubric_id})")

    def _repr_html_(self) -> str:
        reports = int(self.region_years["report"].sum()) if self.region_years.height else 0
        return (f"<p>Coverage: {self.region_years.height} region-years, {reports} with a "
                "report</p>" + html_table(self.region_years, max_rows=20))


def _region_year_table(cells: pl.DataFrame) -> pl.DataFrame:
    counts = cells.group_by("region_code", "year", "report").agg(
        pl.col("state").is_in(list(DISCLOSED_STATES)).sum().cast(pl.Int32()).alias("disclosed"),
        pl.col("state").is_in(_NUMERIC_STATES).sum().cast(pl.Int32()).alias("with_figure"),
        *[(pl.col("state") == s).sum().cast(pl.Int32()).alias(s)
          for s in ("reported", "zero", "no_number", "withheld", "not_disclosed", "no_report")])
    return counts.sort("region_code", "year")


def _indicator_table(cells: pl.DataFrame) -> pl.DataFrame:
    return (cells.filter(pl.col("report")).group_by("indicator_code")
            .agg(pl.len().cast(pl.Int32()).alias("reports"),
                 pl.col("state").is_in(_NUMERIC_STATES).sum().cast(pl.Int32())
                 .alias("disclosing"))
            .with_columns((pl.col("disclosing") / pl.col("reports")).alias("share_disclosing"))
            .sort("share_disclosing", "indicator_code", descending=[True, False]))


def _criteria_table(cells: pl.DataFrame, rubric: CriteriaSet,
                    regions: pl.DataFrame | None) -> pl.DataFrame:
    per = _criterion_cells(cells, rubric, regions).filter(pl.col("applies"))
    return (per.group_by("criterion_id", "indicator_code", "points", maintain_order=True)
            .agg(pl.len().cast(pl.Int32()).alias("region_years"),
                 pl.col("evidence").sum().cast(pl.Int32()).alias("with_evidence"))
            .with_columns((pl.col("with_evidence") / pl.col("region_years"))
                          .alias("share_with_evidence")))


def coverage(observations: pl.DataFrame, sources: pl.DataFrame, *,
             rubric: CriteriaSet | str | None = None, years: Sequence[int] | None = None,
             common_share: float = COMMON_SET_SHARE,
             regions: pl.DataFrame | None = None) -> CoverageResult:
    """Coverage of a dataset: per region-year, indicator, rubric criterion; the common set.

    Args:
        observations: Rows in the data model.
        sources: The dataset's sources table (says which region-years have a report).
        rubric: A criteria set or bundled rubric id; adds ``evidence_share`` and per-criterion
            evidence, and covers the rubric's indicators.
        years: Restrict to these years.
        common_share: Share of a peer group's reports that must disclose an indicator for
            it to be in the common set.
        regions: Regions table with ``level`` (default: the bundled one).

    Returns:
        A ``CoverageResult``.

    Examples:
        >>> import fzcompare
        >>> from fzcompare.synthetic import demo_panel
        >>> dense, sparse = demo_panel(), demo_panel(disclosure="sparse")
        >>> full = coverage(dense.observations, dense.sources, rubric="hubei-demo-2024")
        >>> thin = coverage(sparse.observations, sparse.sources, rubric="hubei-demo-2024")
        >>> full.region_years["evidence_share"].mean() > thin.region_years["evidence_share"].mean()
        True
    """
    criteria_set = load_criteria(rubric) if isinstance(rubric, str) else rubric
    codes: list[str] | None = None
    if criteria_set is not None:
        used = set(observations["indicator_code"]) | set(criteria_set.criteria["indicator_code"])
        codes = sorted(c for c in used if not c.startswith(UNMAPPED_PREFIX))
    cells = disclosure_frame(observations, sources, indicators=codes, years=years)
    table = _region_year_table(cells)
    criteria = pl.DataFrame()
    if criteria_set is not None:
        shares = evidence_share(cells, criteria_set, regions=regions)
        table = table.join(shares, on=["region_code", "year"], how="left")
        criteria = _criteria_table(cells, criteria_set, regions)
    return CoverageResult(cells=cells, region_years=table, indicators=_indicator_table(cells),
                          criteria=criteria, common_set=common_set(cells, share=common_share),
                          rubric_id=None if criteria_set is None else criteria_set.id,
                          common_share=common_share)
