"""The report's "How sure is this?" section (``build_report(..., robustness=N)``)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from fzcompare.benchmark import benchmark
from fzcompare.criteria import load_criteria
from fzcompare.report import build_report
from fzcompare.report._uncertainty_section import insert_section, uncertainty_section
from fzcompare.store import dataset_regions, load, load_sources


def test_the_section_gives_every_rank_change_its_probability() -> None:
    obs = load("datasets/demo")
    rubric = load_criteria("hubei-demo-2024")
    regions = dataset_regions("datasets/demo")
    result = benchmark(obs, rubric, regions_table=regions)
    names = {"420300": "<script>x</script>"}
    section = uncertainty_section(obs, result, year=2024, names=names, draws=40)
    changes = section.ranks.filter(pl.col("rank_change").is_not_null())
    assert changes.height > 0
    assert changes["p_rank_improved"].null_count() == 0
    assert "&lt;script&gt;" in section.html and "<script>x" not in section.html
    assert "p_rank_improved" in section.markdown
    assert section.findings
    page = insert_section("<html><main>body</main></html>", section)
    assert page.index(section.html) < page.index("</main>")


def _kwargs() -> dict[str, object]:
    return {"sources": load_sources("datasets/demo"),
            "regions_table": dataset_regions("datasets/demo"), "as_of": dt.date(2025, 1, 15),
            "charts": False, "embed_font": False}


def test_build_report_simulates_by_default_and_leaves_it_out_on_zero() -> None:
    obs = load("datasets/demo")
    rubric = load_criteria("hubei-demo-2024")
    sure = build_report(obs, rubric, **_kwargs())  # type: ignore[arg-type]
    plain = build_report(obs, rubric, robustness=0, **_kwargs())  # type: ignore[arg-type]
    assert 'id="uncertainty"' not in plain.html and "P(improved)" not in plain.html
    assert 'id="uncertainty"' in sure.html
    assert "How sure is this?" in sure.markdown
    again = build_report(obs, rubric, **_kwargs())  # type: ignore[arg-type]
    assert again.html == sure.html  # seeded: deterministic


def test_every_rank_change_in_the_ranking_has_its_probability_and_every_rank_its_interval(
) -> None:
    obs = load("datasets/demo")
    report = build_report(obs, load_criteria("hubei-demo-2024"),
                          **_kwargs())  # type: ignore[arg-type]
    totals = report.tables["totals"].filter(pl.col("year") == report.year)
    ranked = totals.filter(pl.col("rank").is_not_null())
    assert ranked.height > 0
    assert ((ranked["rank_p05"] <= ranked["rank"]) & (ranked["rank"] <= ranked["rank_p95"])).all()
    changed = totals.filter(pl.col("rank_change").is_not_null())
    assert changed.height > 0
    assert changed["p_rank_improved"].null_count() == 0
    assert totals.filter(pl.col("rank_change").is_null())["p_rank_improved"].null_count() == \
        totals.filter(pl.col("rank_change").is_null()).height
    ranking = report.html[report.html.index('id="ranking"'):report.html.index('id="areas"')]
    assert ranking.count("\">P(improved) ") == changed.height
    for row in ranked.iter_rows(named=True):
        interval = (str(row["rank_p05"]) if row["rank_p05"] == row["rank_p95"]
                    else f"{row['rank_p05']}–{row['rank_p95']}")
        assert f'title="90 % rank interval (p05–p95)">{interval}</span>' in ranking
    md = report.markdown[:report.markdown.index("How sure is this?")]
    assert md.count("P(improved)") >= changed.height
