"""Provenance that travels: the source kinds behind a result, and a per-row synthetic mark.

Every observation carries a ``source_id``. Its kind (``report``, ``news``, ``synthetic`` ...)
comes from, in this order: a ``source_kind`` column on the observations, a boolean
``synthetic`` column, the ``kind`` column of a sources table joined on ``source_id``, or the
``synthetic`` prefix that ``fzcompare.synthetic`` gives its source ids (other ids are then of
kind ``unknown``). Results keep a ``Provenance`` of their inputs, and their tables a boolean
``synthetic`` column per region and year, which the charts read to mark themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["SYNTHETIC", "UNKNOWN_KIND", "Provenance", "mark_rows", "provenance_of"]

SYNTHETIC = "synthetic"
"""The source kind of generated (not published) data."""
UNKNOWN_KIND = "unknown"
"""The source kind of an observation whose source does not say its kind."""


@dataclass(frozen=True)
class Provenance:
    """Where a result's inputs came from.

    Attributes:
        source_kinds: The kinds of the sources of the observations used (``report``,
            ``news``, ``synthetic``, ``unknown`` ...); empty when there were none.
        dataset_version: The dataset's version, when the caller or the data said it.

    Examples:
        >>> both = Provenance(frozenset({"report", "synthetic"}))
        >>> both.synthetic, both.mixed, both.label
        (True, True, 'mixed: report + synthetic')
        >>> Provenance(frozenset({"report"})).synthetic
        False
    """

    source_kinds: frozenset[str] = frozenset()
    dataset_version: str | None = None

    @property
    def synthetic(self) -> bool:
        """Whether any input is synthetic."""
        return SYNTHETIC in self.source_kinds

    @property
    def mixed(self) -> bool:
        """Whether synthetic and non-synthetic inputs are mixed."""
        return self.synthetic and len(self.source_kinds) > 1

    @property
    def label(self) -> str:
        """A short text for people: the kinds, and ``mixed:`` when synthetic is mixed in."""
        kinds = " + ".join(sorted(self.source_kinds)) or "no inputs"
        return f"mixed: {kinds}" if self.mixed else kinds


def _kind_expr(names: list[str], has_sources: bool) -> pl.Expr:
    from_id = (pl.when(pl.col("source_id").cast(pl.String).str.to_lowercase()
                       .str.starts_with(SYNTHETIC))
               .then(pl.lit(SYNTHETIC)).otherwise(pl.lit(UNKNOWN_KIND))
               if "source_id" in names else pl.lit(UNKNOWN_KIND))
    kind = from_id
    if has_sources:
        kind = pl.coalesce(pl.col("_source_kind").cast(pl.String), kind)
    if "synthetic" in names:
        kind = pl.when(pl.col("synthetic").cast(pl.Boolean)).then(pl.lit(SYNTHETIC)).otherwise(kind)
    if "source_kind" in names:
        kind = pl.coalesce(pl.col("source_kind").cast(pl.String), kind)
    return kind.str.to_lowercase().alias("source_kind")


def _kinds(observations: pl.DataFrame | pl.LazyFrame,
           sources: pl.DataFrame | None) -> pl.LazyFrame:
    lazy = observations.lazy()
    names = lazy.collect_schema().names()
    has_sources = (sources is not None and "source_id" in names
                   and {"source_id", "kind"} <= set(sources.columns))
    if has_sources:
        assert sources is not None  # narrowed by has_sources, for the type checker
        lazy = lazy.join(sources.lazy().select(
            pl.col("source_id").cast(pl.String), pl.col("kind").alias("_source_kind"))
            .unique("source_id"), left_on=pl.col("source_id").cast(pl.String),
            right_on="source_id", how="left")
    keys = [c for c in ("region_code", "year") if c in names]
    return lazy.select(*keys, _kind_expr(names, has_sources))


def provenance_of(observations: pl.DataFrame | pl.LazyFrame, *,
                  sources: pl.DataFrame | None = None,
                  dataset_version: str | None = None) -> tuple[Provenance, pl.DataFrame]:
    """The provenance of some observations, and a synthetic mark per region and year.

    Args:
        observations: Observations with ``region_code``, ``year`` and ``source_id``.
        sources: A sources table (``source_id, kind``), e.g. ``fzcompare.load_sources``.
        dataset_version: The dataset version, when known.

    Returns:
        ``(provenance, marks)``; ``marks`` has ``region_code, year, synthetic`` with one
        row per region and year (``synthetic`` true when any of its observations is).

    Examples:
        >>> obs = pl.DataFrame({"region_code": ["420300", "420100"], "year": [2023, 2023],
        ...                     "source_id": ["synthetic-demo-1", "shiyan-2023"]})
        >>> provenance, marks = provenance_of(obs)
        >>> provenance.label, marks.sort("region_code")["synthetic"].to_list()
        ('mixed: synthetic + unknown', [False, True])
    """
    kinds = _kinds(observations, sources).collect()
    provenance = Provenance(frozenset(kinds["source_kind"].drop_nulls().unique().to_list()),
                            dataset_version)
    if not {"region_code", "year"} <= set(kinds.columns):
        return provenance, pl.DataFrame(schema={"region_code": pl.String, "year": pl.Int32,
                                                "synthetic": pl.Boolean})
    marks = (kinds.group_by(pl.col("region_code").cast(pl.String), pl.col("year").cast(pl.Int32))
             .agg(synthetic=(pl.col("source_kind") == SYNTHETIC).any()))
    return provenance, marks


def mark_rows(frame: pl.DataFrame, marks: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with a boolean ``synthetic`` column from ``marks`` (false where unmarked).

    Examples:
        >>> marks = pl.DataFrame({"region_code": ["420300"], "year": [2023],
        ...                       "synthetic": [True]}, schema_overrides={"year": pl.Int32})
        >>> table = pl.DataFrame({"region_code": ["420300", "420100"], "year": [2023, 2023]},
        ...                      schema_overrides={"year": pl.Int32})
        >>> mark_rows(table, marks)["synthetic"].to_list()
        [True, False]
    """
    if "synthetic" in frame.columns:
        frame = frame.drop("synthetic")
    if frame.is_empty() and marks.is_empty():
        return frame.with_columns(synthetic=pl.lit(False))
    keyed = marks.with_columns(pl.col("year").cast(frame.schema["year"]))
    return (frame.join(keyed, on=["region_code", "year"], how="left", maintain_order="left")
            .with_columns(pl.col("synthetic").fill_null(False)))
