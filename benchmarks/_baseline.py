"""The competent-user baselines timed by ``benchmarks/pipeline.py``: fzcompare's work, done
the obvious way without fzcompare.

Where a stage helper's own benchmark (``benchmarks/bench_<stage>.py``) already holds a
baseline, it is imported from there rather than written twice:

- trends: ``bench_trends.per_series_loop`` (pandas ``groupby`` + statsmodels OLS per series +
  a Mann-Kendall function with Sen's slope);
- benchmark: ``bench_benchmark``'s Python scoring loop and its 100-criterion rubric;
- validate: ``bench_validate.gx_suite_on_pandas`` (great_expectations on the observation
  table as a pandas frame).

Written here: the load baseline (``pandas.read_parquet`` + the data-model checks in pandas)
and the report-tables baseline (pandas pivots of the benchmark and year-over-year tables).
Every function raises ``ValueError`` on the first failed check, like fzcompare's own code
raises ``SchemaError``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

KEY_COLUMNS = ["region_code", "year", "indicator_code", "scope"]
COLUMNS = ["region_code", "year", "indicator_code", "scope", "value", "unit", "qualifier",
           "source_id", "quote"]
REQUIRED = ["region_code", "year", "indicator_code", "scope", "value", "unit", "qualifier",
            "source_id"]
QUALIFIERS = ["eq", "gt", "ge", "lt", "le", "approx"]


def read_observations_pandas(dataset: str | os.PathLike[str]) -> Any:
    """A dataset's active observations as pandas, ``year`` as int32.

    A Delta table is read with ``deltalake.DeltaTable(...).to_pandas`` (active rows: a
    partition filter); a plain hive-partitioned folder with ``pandas.read_parquet`` (pyarrow
    turns the ``year=YYYY`` folder names into a categorical column; a user casts it).
    """
    import pandas as pd

    folder = Path(dataset) / "observations"
    if (folder / "_delta_log").is_dir():
        from deltalake import DeltaTable

        frame = DeltaTable(str(folder)).to_pandas(filters=[("status", "=", "active")])
    else:
        frame = pd.read_parquet(folder)
    frame["year"] = frame["year"].astype("int32")
    return frame


def _extra_region_codes(dataset: str | os.PathLike[str]) -> set[str]:
    """The dataset's own regions (a Delta table, or the older ``regions.csv``)."""
    import pandas as pd

    table = Path(dataset) / "regions"
    if (table / "_delta_log").is_dir():
        from deltalake import DeltaTable

        return set(DeltaTable(str(table)).to_pandas(columns=["region_code"])["region_code"])
    extra = Path(dataset) / "regions.csv"
    return set(pd.read_csv(extra, dtype=str)["region_code"]) if extra.is_file() else set()


def load_pandas(dataset: str | os.PathLike[str]) -> Any:
    """The load baseline: read with pandas, then the data-model checks fzcompare's load does.

    Checks, in fzcompare's order: columns present, no empty required values, 6-digit region
    codes known to the regions table (bundled + the dataset's ``regions.csv``), indicator codes
    in the catalog (or ``unmapped_*``), qualifiers in the allowed set, finite values and a
    unique key.
    """
    import numpy as np

    from fzcompare.catalog import load_catalog, load_regions

    frame = read_observations_pandas(dataset)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{dataset}: missing columns {missing}")
    frame = frame[COLUMNS]
    for column in REQUIRED:
        if frame[column].isna().any():
            raise ValueError(f"{dataset}: empty values in {column}")
    if not frame["region_code"].str.fullmatch(r"\d{6}").all():
        raise ValueError(f"{dataset}: region codes that are not 6 digits")
    known_regions = set(load_regions()["region_code"].to_list())
    known_regions |= _extra_region_codes(dataset)
    if not frame["region_code"].isin(known_regions).all():
        raise ValueError(f"{dataset}: unknown regions")
    codes = load_catalog().codes
    known = frame["indicator_code"].isin(codes) | frame["indicator_code"].str.startswith(
        "unmapped_")
    if not known.all():
        raise ValueError(f"{dataset}: unknown indicators")
    if not frame["qualifier"].isin(QUALIFIERS).all():
        raise ValueError(f"{dataset}: bad qualifiers")
    if not np.isfinite(frame["value"].to_numpy(dtype=float)).all():
        raise ValueError(f"{dataset}: NaN or infinite values")
    if frame.duplicated(KEY_COLUMNS).any():
        raise ValueError(f"{dataset}: duplicate keys")
    return frame


def report_tables_pandas(frame: Any, rubric: Any) -> dict[str, Any]:
    """The report-tables baseline: the tables of ``pipeline.report_tables`` with pandas.

    Totals and areas for every year; criteria and year-over-year changes for the reporting
    year (the latest). One Python loop over years x regions x criteria with the rubric rules of
    ``bench_benchmark`` (per-criterion rows, area sums, bonus caps, vetoes), pandas for the
    ranks (regions with enough evidence, on points on evidence) and rank changes, and pandas
    ``groupby().shift()`` for year-over-year changes with a direction-aware verdict.
    """

    import numpy as np
    import pandas as pd
    from bench_benchmark import _criterion_points, _on_evidence, _region_total, _whole_scope

    from fzcompare.catalog import load_catalog

    criteria = rubric.criteria.to_dicts()
    caps = dict(zip(rubric.areas["area_id"], rubric.areas["bonus_cap"], strict=True))
    area_points = dict(zip(rubric.areas["area_id"], rubric.areas["points"], strict=True))
    values: dict[tuple[str, int, str, str], float] = {}
    for region, year, code, scope, value in zip(
            frame["region_code"], frame["year"], frame["indicator_code"], frame["scope"],
            frame["value"], strict=True):
        values[(region, int(year), code, scope)] = float(value)
    pairs = frame[["region_code", "year"]].drop_duplicates().sort_values(["year", "region_code"])
    report_year = int(pairs["year"].max())
    criterion_rows = []
    area_rows = []
    total_rows = []
    for region, year in zip(pairs["region_code"], pairs["year"], strict=True):
        year = int(year)
        whole = _whole_scope(region)
        base: dict[str, float] = {}
        possible: dict[str, float] = {}
        bonus: dict[str, float] = {}
        evidence: dict[str, tuple[float, float]] = {}
        vetoed = []
        for c in criteria:
            scope = whole if c["scope"] == "whole" else c["scope"]
            value = values.get((region, year, c["indicator_code"], scope))
            earned, veto = _criterion_points(c, value)
            if year == report_year:
                criterion_rows.append((region, year, c["area_id"], c["criterion_id"],
                                       c["indicator_code"], value, c["points"], earned))
            if veto:
                vetoed.append(c["criterion_id"])
            if c["rule"] == "bonus":
                bonus[c["area_id"]] = bonus.get(c["area_id"], 0.0) + earned
            elif c["rule"] != "veto":
                base[c["area_id"]] = base.get(c["area_id"], 0.0) + earned
                possible[c["area_id"]] = possible.get(c["area_id"], 0.0) + (c["points"] or 0.0)
                if value is not None:
                    e, p = evidence.get(c["area_id"], (0.0, 0.0))
                    evidence[c["area_id"]] = (e + earned, p + c["points"])
        for area, earned in base.items():
            area_rows.append((region, year, area, possible[area], earned,
                              earned / possible[area] if possible[area] else None))
        share = sum(p for _, p in evidence.values()) / rubric.total_points
        points, verdict, peer_group = _region_total(region, base, bonus, vetoed, caps, rubric,
                                                    share)
        on_evidence = (_on_evidence(evidence, area_points, rubric) + points - sum(base.values())
                       if share >= rubric.min_evidence - 1e-9 else np.nan)
        total_rows.append((region, year, peer_group, points, verdict, ",".join(vetoed) or None,
                           on_evidence))
    totals = pd.DataFrame(total_rows, columns=["region_code", "year", "peer_group",
                                               "points_earned", "verdict", "vetoed_by",
                                               "_on_evidence"])
    # As fzcompare: only regions with enough evidence are ranked, on points on evidence.
    totals["rank"] = totals.groupby(["year", "peer_group"])["_on_evidence"].rank(
        method="min", ascending=False).astype("Int64")
    totals = totals.drop(columns="_on_evidence")
    previous = totals[["region_code", "year", "rank"]].rename(columns={"rank": "prev_rank"})
    previous["year"] += 1
    totals = totals.merge(previous, on=["region_code", "year"], how="left")
    totals["rank_change"] = totals["prev_rank"] - totals["rank"]
    totals = totals.sort_values(["year", "peer_group", "rank", "region_code"])
    areas = pd.DataFrame(area_rows, columns=["region_code", "year", "area_id",
                                             "points_possible", "points_earned", "share"]
                         ).sort_values(["year", "region_code", "area_id"])
    criteria_table = pd.DataFrame(criterion_rows, columns=[
        "region_code", "year", "area_id", "criterion_id", "indicator_code", "value",
        "points_possible", "points_earned"]).sort_values(["year", "region_code",
                                                          "criterion_id"])

    directions = dict(load_catalog().indicators.select("code", "direction").iter_rows())
    codes = sorted({c["indicator_code"] for c in criteria})
    keys = ["region_code", "indicator_code", "scope"]
    changes = frame.loc[frame["indicator_code"].isin(codes),
                        [*keys, "year", "value"]].sort_values([*keys, "year"])
    grouped = changes.groupby(keys, sort=False)
    changes["prev_year"] = grouped["year"].shift()
    changes["prev_value"] = grouped["value"].shift()
    changes["change_abs"] = changes["value"] - changes["prev_value"]
    changes["change_pct"] = 100 * changes["change_abs"] / changes["prev_value"].abs()
    sign = changes["indicator_code"].map(directions).map(
        {"higher": 1.0, "lower": -1.0}).fillna(0.0)
    better = np.sign(changes["change_abs"]) * sign
    changes["verdict"] = np.select(
        [changes["prev_value"].isna(), changes["change_abs"] == 0, sign == 0, better > 0],
        ["not comparable", "unchanged", "changed", "improved"], default="worsened")
    changes = changes[changes["year"] == report_year]
    return {"totals": totals, "areas": areas, "criteria": criteria_table, "changes": changes}



def validate_gx_same_checks(frame: Any, known_regions: list[str] | None = None) -> dict[str, Any]:
    """A second validate baseline: great_expectations covering what fzcompare checks.

    ``bench_validate.gx_suite_on_pandas`` checks the observation table only. This one adds
    what fzcompare's bundled suites also check, set up the obvious way: known region codes, one
    range expectation per catalog indicator (``row_condition`` on its code), the relations from
    a pandas ``pivot`` (one column per indicator; one column-pair or range expectation per
    catalog relation) and year-over-year changes from ``groupby().diff()`` with a per-indicator
    robust z-score.

    Returns:
        ``{"success": bool, "failed": [expectation types], "expectations": n}``.
    """
    import great_expectations as gx
    import numpy as np

    from fzcompare.catalog import load_catalog, load_regions
    from fzcompare.schema import SCOPES

    catalog = load_catalog()
    if known_regions is None:
        known_regions = load_regions()["region_code"].to_list()
    expect: Any = gx.expectations
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("observations")

    def run(name: str, batch_frame: Any, expectations: list[Any]) -> list[Any]:
        asset = source.add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe(name).get_batch(
            batch_parameters={"dataframe": batch_frame})
        suite = gx.ExpectationSuite(name=name)
        for expectation in expectations:
            suite.add_expectation(expectation)
        return list(batch.validate(suite).results)

    types = {"region_code": "str", "year": "int32", "indicator_code": "str", "scope": "str",
             "value": "float64", "unit": "str", "qualifier": "str", "source_id": "str",
             "quote": "str"}
    on_rows: list[Any] = [expect.ExpectTableColumnsToMatchSet(column_set=COLUMNS,
                                                              exact_match=False)]
    on_rows += [expect.ExpectColumnValuesToBeOfType(column=c, type_=t) for c, t in types.items()]
    on_rows += [expect.ExpectColumnValuesToNotBeNull(column=c) for c in REQUIRED]
    on_rows += [
        expect.ExpectColumnValuesToMatchRegex(column="region_code", regex=r"^\d{6}$"),
        expect.ExpectColumnValuesToBeInSet(column="region_code", value_set=known_regions),
        expect.ExpectColumnValuesToBeInSet(column="indicator_code",
                                           value_set=sorted(catalog.codes)),
        expect.ExpectColumnValuesToBeInSet(column="scope", value_set=sorted(SCOPES)),
        expect.ExpectColumnValuesToBeInSet(column="qualifier", value_set=QUALIFIERS),
        expect.ExpectCompoundColumnsToBeUnique(column_list=KEY_COLUMNS),
    ]
    present = set(frame["indicator_code"].unique())
    for code, low, high in catalog.indicators.select("code", "min_value",
                                                     "max_value").iter_rows():
        if code in present and (low is not None or high is not None):
            on_rows.append(expect.ExpectColumnValuesToBeBetween(
                column="value", min_value=low, max_value=high,
                row_condition=f'indicator_code=="{code}"', condition_parser="pandas"))
    results = run("observations", frame, on_rows)

    wide = frame.pivot(index=["region_code", "year", "scope"], columns="indicator_code",
                       values="value").reset_index()
    on_relations: list[Any] = []
    for kind, target, numerator, denominator, tolerance in catalog.relations.iter_rows():
        if numerator not in wide or denominator not in wide:
            continue
        if kind == "le":
            on_relations.append(expect.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=denominator, column_B=numerator, or_equal=True,
                ignore_row_if="either_value_is_missing"))
        elif target in wide:
            gap = f"gap_{target}"
            wide[gap] = wide[target] - 100 * wide[numerator] / wide[denominator]
            on_relations.append(expect.ExpectColumnValuesToBeBetween(
                column=gap, min_value=-(tolerance or 0.0), max_value=tolerance or 0.0))
    if on_relations:
        results += run("relations", wide, on_relations)

    kinds = dict(catalog.indicators.select("code", "kind").iter_rows())
    series = ["region_code", "indicator_code", "scope"]
    changes = frame[[*series, "year", "value"]].sort_values([*series, "year"])
    is_rate = changes["indicator_code"].map(kinds) == "rate"
    changes["x"] = np.where(is_rate, changes["value"], np.log(changes["value"].clip(lower=0) + 1))
    changes["change"] = changes.groupby(series)["x"].diff()
    by_indicator = changes.groupby("indicator_code")["change"]
    center = by_indicator.transform("median")
    mad = by_indicator.transform(lambda c: (c - c.median()).abs().median())
    changes["robust_z"] = (changes["change"] - center) / (1.4826 * mad).clip(lower=1e-6)
    results += run("year_over_year", changes, [expect.ExpectColumnValuesToBeBetween(
        column="robust_z", min_value=-6.0, max_value=6.0)])
    failed = [r.expectation_config.type for r in results if not r.success]
    return {"success": not failed, "failed": failed, "expectations": len(results)}
