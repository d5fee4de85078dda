"""SIGKILL a real writer process at every step of every write path; the dataset survives.

Each writer runs as its own Python process. ``FZCOMPARE_TEST_PAUSE=<step>`` makes it write a
marker file and block at that step (see ``fzcompare.store._layout.pause``); the test then
kills it with SIGKILL, and checks that the dataset loads, that its stored rows equal the
version before or the version after the write, that rows are conserved, and that running
the write again ends in the version after (a rerun does not quarantine twice).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import polars as pl
import pytest

from fzcompare import store
from fzcompare.extract import normalize
from fzcompare.schema import KEY_COLUMNS
from fzcompare.store._layout import OBSERVATIONS, PAUSE_ENV, PAUSE_MARKER_ENV, table_uri
from fzcompare.store._tables import STORED_SCHEMA, snapshot

ROOT: Final[Path] = Path(__file__).resolve().parents[1]
REPORT: Final[Path] = ROOT / "tests" / "fixtures" / "extract" / "city-scraped.txt"
NOW: Final[str] = "2026-01-02T03:04:05+00:00"

_PRELUDE = f"""
import datetime as dt, sys
import polars as pl
from fzcompare import store
from fzcompare.validate import bundled_suite_path, quarantine, readmit
ds = sys.argv[1]
now = dt.datetime.fromisoformat({NOW!r})
ranges = [bundled_suite_path("ranges")]
"""

SCRIPTS: Final[dict[str, str]] = {
    "write_observations": _PRELUDE + """
new = pl.read_parquet(sys.argv[2])
src = pl.read_parquet(sys.argv[3])
docs = pl.read_parquet(sys.argv[4])
store.write_observations(new, ds, sources=src, documents=docs)
""",
    "replace_observations": _PRELUDE + """
keep = store.load(ds).filter(pl.col("year") >= 2022)
store.replace_observations(keep, ds)
""",
    "quarantine": _PRELUDE + "quarantine(ds, suites=ranges, now=now)\n",
    "readmit": _PRELUDE + """
from fzcompare.validate import read_quarantine
table = read_quarantine(ds).filter(pl.col("status") == "quarantined")
fix = pl.DataFrame({"quarantine_id": table["quarantine_id"], "value": [98.1] * table.height})
readmit(ds, corrections=fix, suites=ranges, now=now)
""",
}

STEPS: Final[dict[str, list[str]]] = {
    "write_observations": ["documents-planned", "documents-committed", "sources-planned",
                           "sources-committed", "observations-planned",
                           "observations-committed"],
    "replace_observations": ["observations-planned", "observations-committed"],
    "quarantine": ["quarantine-planned", "quarantine-committed"],
    "readmit": ["readmit-planned", "readmit-committed"],
    "extract_into": ["documents-planned", "documents-committed", "sources-planned",
                     "sources-committed", "observations-planned", "observations-committed"],
}


def _command(path: str, ds: Path, inputs: Path) -> list[str]:
    if path == "extract_into":
        return [sys.executable, "-m", "fzcompare.cli", "extract", str(REPORT), "--region",
                "420300", "--year", "2023", "--into", str(ds), "-o", str(inputs / "out.csv")]
    return [sys.executable, "-c", SCRIPTS[path], str(ds), str(inputs / "new.parquet"),
            str(inputs / "sources.parquet"), str(inputs / "documents.parquet")]


def _env(step: str | None = None, marker: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop(PAUSE_ENV, None)
    if step is not None and marker is not None:
        env[PAUSE_ENV] = step
        env[PAUSE_MARKER_ENV] = str(marker)
    return env


def _state(ds: Path) -> dict[str, pl.DataFrame]:
    """Every stored row (all statuses) and the sources, in a canonical order."""
    rows = snapshot(table_uri(ds, OBSERVATIONS), STORED_SCHEMA).rows()
    return {"rows": rows.sort([*KEY_COLUMNS, "status", "quarantine_id"], nulls_last=True),
            "sources": store.load_sources(ds)}


def _same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame], *, sources: bool) -> bool:
    same_rows = a["rows"].equals(b["rows"])
    return same_rows and (not sources or a["sources"].equals(b["sources"]))


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small dataset with one out-of-range rate, and a copy with that rate quarantined."""
    from fzcompare.validate import bundled_suite_path, quarantine

    root = tmp_path_factory.mktemp("bases")
    demo = store.load("datasets/demo").filter(pl.col("region_code").is_in(["420300", "420322"]))
    bad = demo.filter(pl.col("indicator_code") == "gov_service_online_rate").head(1)
    demo = pl.concat([demo.join(bad.select(KEY_COLUMNS), on=list(KEY_COLUMNS), how="anti"),
                      bad.with_columns(pl.lit(9810.0).alias("value"))])
    plain = root / "plain"
    store.write_observations(demo, plain, sources=store.load_sources("datasets/demo"))
    quarantined = root / "quarantined"
    shutil.copytree(plain, quarantined)
    moved = quarantine(quarantined, suites=[bundled_suite_path("ranges")],
                       now=dt.datetime.fromisoformat(NOW))
    assert moved.moved == 1
    inputs = root / "inputs"
    inputs.mkdir()
    new = demo.filter(pl.col("year") == 2023).head(20).with_columns(
        pl.col("value") + 1, pl.lit("kill-src").alias("source_id"))
    quotes = new["quote"].fill_null("").to_list()
    text = "\n".join(quotes)  # a document holding every quote, with each row's span into it
    starts = [sum(len(q) + 1 for q in quotes[:i]) for i in range(len(quotes))]
    new.with_columns(pl.Series("span_start", starts, pl.Int64()),
                     pl.Series("span_end", [a + len(q) for a, q in zip(starts, quotes,
                                                                       strict=True)],
                               pl.Int64())).write_parquet(inputs / "new.parquet")
    store.document_row(text, sha256="ab" * 32, source_id="kill-src",
                       file_type="text").write_parquet(inputs / "documents.parquet")
    # one source row (the demo lists one per region-year since issue 16 part A)
    store.load_sources("datasets/demo").head(1).with_columns(
        pl.lit("kill-src").alias("source_id")).write_parquet(inputs / "sources.parquet")
    return {"plain": plain, "quarantined": quarantined, "inputs": inputs}


def _base_for(path: str, bases: dict[str, Path]) -> Path:
    return bases["quarantined" if path == "readmit" else "plain"]


def _run(path: str, ds: Path, inputs: Path) -> None:
    done = subprocess.run(_command(path, ds, inputs), env=_env(), capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def afters(bases: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, dict[str, pl.DataFrame]]:
    """The version after each write, run without interruption."""
    root = tmp_path_factory.mktemp("afters")
    result = {}
    for path in STEPS:
        ds = root / path
        shutil.copytree(_base_for(path, bases), ds)
        _run(path, ds, bases["inputs"])
        result[path] = _state(ds)
    return result


def _kill_at(path: str, step: str, ds: Path, inputs: Path, marker: Path) -> None:
    with subprocess.Popen(_command(path, ds, inputs), env=_env(step, marker),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + 240
        while not marker.exists():
            if process.poll() is not None:
                raise AssertionError(f"{path} ended before {step}: "
                                     f"{process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            assert time.monotonic() < deadline, f"{path} never reached {step}"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _check_survived(ds: Path, before: dict[str, pl.DataFrame],
                    after: dict[str, pl.DataFrame], label: str) -> str:
    loaded = store.load(ds)  # loads, schema-checked
    now = _state(ds)
    rows = now["rows"]
    assert rows.filter(pl.col("status") == "active").height == loaded.height
    assert rows.height == (rows.filter(pl.col("status") == "active").height
                           + rows.filter(pl.col("status") == "quarantined").height
                           + rows.filter(~pl.col("status").is_in(["active", "quarantined"]))
                           .height)
    # an observation with a span never lacks its document (documents commit first)
    spanned = rows.filter(pl.col("span_start").is_not_null())["source_id"].unique()
    documents = store.load_documents(ds, with_text=False)["source_id"]
    assert spanned.is_in(documents.implode()).all(), f"{label}: a span without its document"
    if _same(now, before, sources=False):
        return "before"
    assert _same(now, after, sources=False), f"{label}: neither the version before nor after"
    return "after"


@pytest.mark.slow
@pytest.mark.parametrize(("path", "step"),
                         [(p, s) for p, steps in STEPS.items() for s in steps])
def test_kill_at_every_step(path: str, step: str, bases: dict[str, Path],
                            afters: dict[str, dict[str, pl.DataFrame]], tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    shutil.copytree(_base_for(path, bases), ds)
    before = _state(ds)
    total_before = before["rows"].height
    _kill_at(path, step, ds, bases["inputs"], tmp_path / "marker")
    which = _check_survived(ds, before, afters[path], f"{path}@{step}")
    expected = "after" if step == "observations-committed" or step.endswith(
        ("quarantine-committed", "readmit-committed")) else "before"
    assert which == expected
    if path == "quarantine":  # nothing lost or doubled: active + quarantined = total
        rows = _state(ds)["rows"]
        assert rows.height == total_before
    _run(path, ds, bases["inputs"])  # the rerun ends in the version after, not beyond it
    assert _same(_state(ds), afters[path], sources=path != "extract_into")
    if path in ("write_observations", "extract_into"):  # every quote is cut out again
        contexts = store.quote_contexts(ds)
        assert contexts.height == (20 if path == "write_observations" else 34)
        assert all(normalize(text).text == quote for text, quote in contexts.select(
            "span_text", "quote").iter_rows())


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(8))
def test_kill_at_a_random_instant(trial: int, bases: dict[str, Path],
                                  afters: dict[str, dict[str, pl.DataFrame]],
                                  tmp_path: Path) -> None:
    """No pause point: SIGKILL at a random moment inside the write (the commit included)."""
    rng = random.Random(trial)
    path = ["write_observations", "replace_observations"][trial % 2]
    ds = tmp_path / "ds"
    shutil.copytree(_base_for(path, bases), ds)
    before = _state(ds)
    process = subprocess.Popen(_command(path, ds, bases["inputs"]), env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.5, 4.0))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    _check_survived(ds, before, afters[path], f"{path} random kill {trial}")
