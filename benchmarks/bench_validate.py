"""Benchmark: fzcompare.validate.validate (all bundled suites) against plain polars checks.

Usage::

    python benchmarks/bench_validate.py [--size tiny|small|national] [--repeat N]

The synthetic panel (``fzcompare.synthetic.national_panel``) is generated in this process.
Timings are wall-clock, best of ``--repeat`` runs, ``POLARS_MAX_THREADS=2``, after one warm-up
call on a small slice (great_expectations is imported and its context made before timing; the
import is timed on its own).

Measured, all in this one run:

1. ``validate(observations, sources=..., regions_table=...)`` on the clean panel.
2. The baseline: the same checks written as plain polars expressions (``plain_polars_checks``):
   columns, dtypes, empty values, code format, sets, key uniqueness, known codes, scope
   level, units, ranges and whole numbers by kind; the cross-row checks on the same derived
   frames fzcompare builds with polars (``fzcompare.validate._frames``: relation pairs and
   year-over-year robust z-scores), judged with polars filters instead of great_expectations.
   Both return the failing row ids of every check. The ratio is (1) / (2).
3. The pandas conversion the observations frame goes through: numpy-backed (pandas 3 ``str``
   for text) against Arrow-backed extension arrays, each timed for conversion and for the
   great_expectations run of the schema and keys suites on it.
4. A corrupted copy (``--corrupt`` share of rows, default 2 %, made out of range): the failing
   rows come from polars masks checked against great_expectations' counts; for comparison,
   great_expectations' own ``COMPLETE`` result format (unexpected index list) on the same
   range expectation.

``gx_suite_on_pandas`` is the pipeline harness's baseline: the suite a competent
great_expectations user writes against the observation table as a pandas frame.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "2")

import polars as pl

SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"n_regions": 30, "years": range(2019, 2025), "n_indicators": 20},
    "small": {"n_regions": 600, "years": range(2015, 2025), "n_indicators": 50},
    "national": {"n_regions": 3000, "years": range(2015, 2025), "n_indicators": 100},
}
MAX_RATIO = 3.0
MAX_SECONDS_NATIONAL = 10.0


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` calls and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def plain_polars_checks(observations: pl.DataFrame, *, sources: pl.DataFrame,
                        regions: pl.DataFrame) -> dict[str, pl.Series]:
    """The bundled suites' checks as plain polars expressions: check -> failing row ids."""
    from fzcompare.catalog import load_catalog, load_regions
    from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA, QUALIFIERS, SCOPES
    from fzcompare.validate import _frames
    from fzcompare.validate._suites import (
        SCOPE_LEVELS,
        VALUE_LIMIT,
        WHOLE_NUMBER_TOLERANCE,
        YOY_THRESHOLD,
    )

    catalog = load_catalog()
    failing: dict[str, pl.Series] = {}
    missing = [c for c in OBSERVATION_SCHEMA if c not in observations.columns]
    wrong = [c for c, t in OBSERVATION_SCHEMA.items() if observations.schema.get(c) != t]
    if missing or wrong:
        raise ValueError(f"columns missing {missing} or of the wrong type {wrong}")
    frame = observations.with_row_index("row_id")
    known_regions = pl.concat([load_regions().select("region_code", "level"),
                               regions.select("region_code", "level")]).unique("region_code")
    indicators = catalog.indicators
    checks: dict[str, pl.Expr] = {
        f"not_null.{c}": pl.col(c).is_null() | (pl.col(c).is_nan() if t == pl.Float64() else
                                                  pl.lit(False))
        for c, t in OBSERVATION_SCHEMA.items() if c != "quote"
    }
    level = pl.col("region_code").replace_strict(dict(known_regions.iter_rows()), default=None)
    scope_level = pl.col("scope").replace_strict(SCOPE_LEVELS, default=None)
    kind = pl.col("indicator_code").replace_strict(
        dict(indicators.select("code", "kind").iter_rows()), default=None)
    unit = pl.col("indicator_code").replace_strict(
        dict(indicators.select("code", "unit").iter_rows()), default=None)
    low = pl.col("indicator_code").replace_strict(
        dict(indicators.select("code", "min_value").iter_rows()), default=None)
    high = pl.col("indicator_code").replace_strict(
        dict(indicators.select("code", "max_value").iter_rows()), default=None)
    value = pl.col("value")
    checks.update({
        "region_code_format": ~pl.col("region_code").str.contains(r"^\d{6}$"),
        "qualifier_in_set": ~pl.col("qualifier").is_in(sorted(QUALIFIERS)),
        "scope_in_set": ~pl.col("scope").is_in(sorted(SCOPES)),
        "value_finite": (value.abs() > VALUE_LIMIT) | value.is_infinite(),
        "key_unique": pl.struct(list(KEY_COLUMNS)).is_duplicated(),
        "region_known": ~pl.col("region_code").is_in(known_regions["region_code"].implode()),
        "indicator_known": ~pl.col("indicator_code").str.starts_with("unmapped_")
        & ~pl.col("indicator_code").is_in(indicators["code"].implode()),
        "source_known": ~pl.col("source_id").is_in(sources["source_id"].implode()),
        "scope_matches_region_level": level.is_not_null() & (scope_level != level),
        "unit_matches_catalog": unit.is_not_null() & (pl.col("unit") != unit),
        "range": (value < low) | (value > high),
        "whole_number": kind.is_in(["count", "rank"])
        & ((value - value.round()).abs() / pl.max_horizontal(value.abs(), 1.0)
           > WHOLE_NUMBER_TOLERANCE),
    })
    masks = frame.select(pl.col("row_id"), *[e.fill_null(False).alias(n)
                                              for n, e in checks.items()])
    for name in checks:
        failing[name] = masks.filter(pl.col(name))["row_id"]
    panel = _frames.keyed_panel(frame.with_columns(pl.col("row_id").cast(pl.Int64())))
    relations = _frames.relations_frame(frame, catalog, panel=panel)
    le = relations.filter(pl.col("target").is_null()
                          & (pl.col("numerator") > pl.col("denominator")))
    ratio = relations.filter(pl.col("rate_excess") > 0.5)
    failing["relations"] = pl.concat([le["numerator_row_id"], le["denominator_row_id"],
                                      ratio["numerator_row_id"], ratio["denominator_row_id"],
                                      ratio["target_row_id"]]).unique()
    yoy = _frames.year_over_year_frame(frame, catalog, panel=panel)
    failing["yoy_jump"] = yoy.filter(pl.col("robust_z").abs() > YOY_THRESHOLD)["row_id"]
    return failing


def gx_suite_on_pandas(frame: Any) -> Any:
    """A competent great_expectations user's suite on the observation table (a pandas frame).

    One ephemeral context, one suite over the table as it is: data-model columns, not-null,
    region code format, qualifier and scope sets, key uniqueness, known indicator codes and
    ranges by kind (row conditions on ``indicator_code``); ``COMPLETE`` results with the row
    index, which is how great_expectations hands out failing rows.
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.expectations.row_conditions import Column

    from fzcompare.catalog import load_catalog
    from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA, QUALIFIERS, SCOPES

    catalog = load_catalog()
    context = gx.get_context(project_config=DataContextConfig(
        analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults()), mode="ephemeral")
    batch = (context.data_sources.add_pandas("pandas").add_dataframe_asset("observations")
             .add_batch_definition_whole_dataframe("all").get_batch(
                 batch_parameters={"dataframe": frame}))
    codes = catalog.indicators["code"].to_list()
    by_kind = catalog.indicators.group_by("kind").agg(pl.col("code"), pl.col("min_value").first(),
                                                      pl.col("max_value").first())
    expectations: list[Any] = [gxe.ExpectTableColumnsToMatchSet(
        column_set=list(OBSERVATION_SCHEMA), exact_match=False)]
    expectations += [gxe.ExpectColumnValuesToNotBeNull(column=c)
                     for c in OBSERVATION_SCHEMA if c != "quote"]
    expectations += [
        gxe.ExpectColumnValuesToMatchRegex(column="region_code", regex=r"^\d{6}$"),
        gxe.ExpectColumnValuesToBeInSet(column="qualifier", value_set=sorted(QUALIFIERS)),
        gxe.ExpectColumnValuesToBeInSet(column="scope", value_set=sorted(SCOPES)),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=list(KEY_COLUMNS)),
        gxe.ExpectColumnValuesToBeInSet(column="indicator_code", value_set=codes),
    ]
    for _kind, kind_codes, low, high in by_kind.iter_rows():
        expectations.append(gxe.ExpectColumnValuesToBeBetween(
            column="value", min_value=low, max_value=high,
            row_condition=Column("indicator_code").is_in(kind_codes)))
    suite = gx.ExpectationSuite(name="observations", expectations=expectations)
    return batch.validate(suite, result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": [],
        "return_unexpected_index_query": False})


def corrupt(observations: pl.DataFrame, share: float, seed: int = 7) -> pl.DataFrame:
    """Push ``share`` of the rows out of range: rates above 100, counts negative."""
    import numpy as np

    rng = np.random.default_rng(seed)
    hit = pl.Series(rng.random(observations.height) < share)
    return observations.with_columns(
        pl.when(hit).then(-1.0 - pl.col("value")).otherwise(pl.col("value")).alias("value"))


def conversion_measurement(observations: pl.DataFrame, *, sources: pl.DataFrame,
                           regions: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Numpy-backed vs Arrow-backed pandas for the observations frame: convert, then GX run."""
    from fzcompare.catalog import load_catalog
    from fzcompare.validate import _frames, _gx, _run, bundled_suites

    suites = [s for s in bundled_suites() if s.frame == "observations"]
    expectations = [_run._stamp(s, i, e) for s in suites for i, e in enumerate(s.expectations)]
    canonical, _ = _frames.canonical_observations(observations)
    known = _run._known_regions(regions)
    frame = _frames.add_helper_columns(canonical, catalog=load_catalog(), regions=known,
                                       wanted=frozenset(_frames.HELPER_COLUMNS))
    frame = frame.select(_run._gx_columns("observations", frame, expectations))
    parameters = {"known_region_codes": known["region_code"].to_list(),
                  "known_source_ids": sources["source_id"].to_list()}
    out: dict[str, dict[str, float]] = {}
    for name, convert in (("numpy-backed", lambda: frame.to_pandas()),
                          ("arrow-backed", lambda: frame.to_pandas(
                              use_pyarrow_extension_array=True))):
        t_convert, pdf = best_of(1, convert)
        t_gx, _ = best_of(1, lambda pdf=pdf: _gx.run_suite("observations", pdf, expectations,
                                                            parameters=parameters))
        out[name] = {"convert_s": t_convert, "gx_s": t_gx}
    return out


def complete_format_measurement(observations: pl.DataFrame) -> dict[str, float | int]:
    """great_expectations' COMPLETE result (unexpected index list) vs a polars mask."""
    from fzcompare.validate import _frames, _gx, _masks, _run, bundled_suites

    ranges = next(s for s in bundled_suites() if s.name == "ranges")
    index = next(i for i, e in enumerate(ranges.expectations)
                 if e["meta"]["check"] == "range.count")
    expectation = _run._stamp(ranges, index, ranges.expectations[index])
    canonical, _ = _frames.canonical_observations(observations)
    values = _frames.values_frame(canonical)
    pdf = _run._to_pandas(values.select("row_id", "indicator_code", "value"),
                          categorical=["indicator_code"])
    start = time.perf_counter()
    ids = _run._gx_failing_frame_rows("values", pdf, expectation, {})
    t_complete = time.perf_counter() - start
    start = time.perf_counter()
    check = _masks.row_check(expectation["type"], expectation["kwargs"], values.schema)
    rows = _masks.failing_rows(values, check)
    t_mask = time.perf_counter() - start
    start = time.perf_counter()
    _gx.run_suite("values", pdf, [expectation], parameters={})
    t_basic = time.perf_counter() - start
    return {"failing_rows": len(ids), "polars_rows": rows.height,
            "gx_complete_s": t_complete, "gx_basic_s": t_basic, "polars_mask_s": t_mask}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--corrupt", type=float, default=0.02)
    parser.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    args = parser.parse_args(argv)

    from fzcompare.synthetic import national_panel
    from fzcompare.validate import _gx, validate

    start = time.perf_counter()
    panel = national_panel(**SIZES[args.size])
    t_generate = time.perf_counter() - start
    obs, sources, regions = panel.observations, panel.sources, panel.regions
    start = time.perf_counter()
    _gx.session()
    t_import = time.perf_counter() - start
    validate(obs.head(2000), sources=sources, regions_table=regions)
    plain_polars_checks(obs.head(2000), sources=sources, regions=regions)

    t_fz, result = best_of(args.repeat, lambda: validate(obs, sources=sources,
                                                               regions_table=regions))
    t_pl, plain = best_of(args.repeat, lambda: plain_polars_checks(obs, sources=sources,
                                                                   regions=regions))
    agree = (result.failing_rows.height == 0) == all(s.len() == 0 for s in plain.values())
    conversion = conversion_measurement(obs, sources=sources, regions=regions)
    bad = corrupt(obs, args.corrupt)
    t_bad, bad_result = best_of(1, lambda: validate(bad, sources=sources, regions_table=regions))
    t_bad_pl, bad_plain = best_of(1, lambda: plain_polars_checks(bad, sources=sources,
                                                                 regions=regions))
    ids_fz = set(bad_result.failing_rows.filter(pl.col("check").str.starts_with("range"))
                 ["row_id"].to_list())
    ids_pl = set(bad_plain["range"].to_list())
    complete = complete_format_measurement(bad)

    ratio = t_fz / t_pl
    numbers = {
        "size": args.size, "rows": obs.height, "generate_s": t_generate,
        "gx_import_and_context_s": t_import, "validate_s": t_fz, "plain_polars_s": t_pl,
        "ratio": ratio, "verdict_clean": result.verdict, "clean_agrees": agree,
        "conversion": conversion, "corrupt_share": args.corrupt, "validate_corrupt_s": t_bad,
        "plain_polars_corrupt_s": t_bad_pl, "corrupt_failing_rows": bad_result.failing_rows
        .height, "range_rows_agree": ids_fz == ids_pl, "complete_format": complete,
        "load_average": list(os.getloadavg()), "cores": os.cpu_count(),
        "great_expectations": _gx.session().version,
    }
    print(f"fzcompare validate benchmark, size {args.size}: {obs.height:,} observations "
          f"(generated in {t_generate:.1f} s), POLARS_MAX_THREADS="
          f"{os.environ['POLARS_MAX_THREADS']}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"  great_expectations {numbers['great_expectations']} import + context: "
          f"{t_import:.2f} s (once per process, not in the timings below)")
    print(f"  validate, all suites (clean panel)   {t_fz:7.2f} s   verdict {result.verdict}")
    print(f"  plain polars, same checks            {t_pl:7.2f} s")
    print(f"  ratio validate / plain polars        {ratio:7.2f}x")
    for name, times in conversion.items():
        print(f"  observations frame {name:13s}: to_pandas {times['convert_s']:.2f} s, "
              f"schema+keys suites {times['gx_s']:.2f} s")
    print(f"  corrupted copy ({args.corrupt:.0%} of rows): validate {t_bad:.2f} s, plain polars "
          f"{t_bad_pl:.2f} s, {bad_result.failing_rows.height:,} failing rows, range rows "
          f"identical to plain polars: {'yes' if ids_fz == ids_pl else 'NO'}")
    print(f"  failing rows of one range expectation ({complete['failing_rows']:,} rows): "
          f"GX COMPLETE {complete['gx_complete_s']:.2f} s vs GX BASIC "
          f"{complete['gx_basic_s']:.2f} s + polars mask {complete['polars_mask_s']:.3f} s")
    if args.size == "national":
        within = ratio <= MAX_RATIO and t_fz <= MAX_SECONDS_NATIONAL
        print(f"  within limits ({MAX_RATIO:g}x, {MAX_SECONDS_NATIONAL:g} s): "
              f"{'yes' if within else 'NO'}")
    else:
        print("  (the limits apply to --size national; at small sizes great_expectations' "
              "fixed cost per expectation dominates)")
    if args.json:
        print(json.dumps(numbers, indent=2, default=str))
    if not agree or ids_fz != ids_pl:
        print("  results differ from plain polars", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
