"""The report's "How sure is this?" section (``build_report(..., robustness=N)``)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from fzcompare.benchmark import benchmark
from fzcompare.criteria import load_criteria
from fzcompare.report import Report, build_report
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


def test_build_report_adds_the_section_only_when_asked() -> None:
    obs = load("datasets/demo")
    rubric = load_criteria("hubei-demo-2024")
    sources, regions_table = load_sources("datasets/demo"), dataset_regions("datasets/demo")

    def build(robustness: int | None) -> Report:
        return build_report(obs, rubric, sources=sources, regions_table=regions_table,
                            as_of=dt.date(2025, 1, 15), charts=False, embed_font=False,
                            robustness=robustness)

    plain = build(None)
    sure = build(30)
    assert 'id="uncertainty"' not in plain.html
    assert 'id="uncertainty"' in sure.html
    assert "How sure is this?" in sure.markdown
    again = build(30)
    assert again.html == sure.html  # seeded: deterministic
