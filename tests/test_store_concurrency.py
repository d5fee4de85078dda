"""Two real writer processes on one dataset at once: both land, or one fails clearly.

Writers start together (each waits for a "go" file, then writes), so their commits race for
the same table version; the loser must plan again from the winner's version. Never a lost
update, never a silent overwrite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import polars as pl
import pytest

from fzcompare import store
from fzcompare.errors import ConcurrentWriteError
from fzcompare.schema import KEY_COLUMNS
from fzcompare.store._layout import OBSERVATIONS, PAUSE_ENV, table_uri
from fzcompare.store._tables import STORED_SCHEMA, Commit, Planned, Snapshot, commit_planned

ROOT: Final[Path] = Path(__file__).resolve().parents[1]
REPORT: Final[Path] = ROOT / "tests" / "fixtures" / "extract" / "city-scraped.txt"

WRITER: Final[str] = """
import json, os, sys, time
import polars as pl
from fzcompare import store
ds, rows, go = sys.argv[1:4]
new = pl.read_parquet(rows)
while not os.path.exists(go):
    time.sleep(0.001)
report = store.write_observations(new, ds)
print(json.dumps({"added": report.added, "replaced": report.replaced,
                  "old": report.changes["old_value"].to_list(), "version": report.version}))
"""

READMITTER: Final[str] = """
import os, sys, time
import polars as pl
from fzcompare.validate import bundled_suite_path, read_quarantine, readmit
ds, go = sys.argv[1:3]
table = read_quarantine(ds).filter(pl.col("status") == "quarantined")
fix = pl.DataFrame({"quarantine_id": table["quarantine_id"], "value": [98.1] * table.height})
while not os.path.exists(go):
    time.sleep(0.001)
report = readmit(ds, corrections=fix, suites=[bundled_suite_path("ranges")])
print(report.readmitted)
"""


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop(PAUSE_ENV, None)
    return env


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("conc") / "base"
    demo = store.load("datasets/demo").filter(pl.col("region_code").is_in(["420300", "420322"]))
    store.write_observations(demo, folder, sources=store.load_sources("datasets/demo"))
    return folder


def _race(commands: list[list[str]], go: Path) -> list[subprocess.CompletedProcess[str]]:
    processes = [subprocess.Popen(c, env=_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for c in commands]
    time.sleep(2.5)  # both have imported everything and are polling for the go file
    go.write_text("go", encoding="utf-8")
    results = []
    for command, process in zip(commands, processes, strict=True):
        out, err = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def _writer(ds: Path, rows: Path, go: Path) -> list[str]:
    return [sys.executable, "-c", WRITER, str(ds), str(rows), str(go)]


def _ok_or_clear(result: subprocess.CompletedProcess[str]) -> bool:
    """True if the writer landed; a failure must name the conflict (never a silent loss)."""
    if result.returncode == 0:
        return True
    assert "ConcurrentWriteError" in result.stderr and "lost to other writers" in result.stderr
    return False


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(6))
def test_two_writers_different_rows_same_partition_both_land(base: Path, tmp_path: Path,
                                                             trial: int) -> None:
    ds = tmp_path / "ds"
    shutil.copytree(base, ds)
    start = store.load(ds)
    year = 2019 + trial % 6
    mine = start.filter(pl.col("year") == year)
    a = mine.filter(pl.col("region_code") == "420300").with_columns(pl.col("value") + 1000)
    b = mine.filter(pl.col("region_code") == "420322").with_columns(pl.col("value") + 2000)
    a.write_parquet(tmp_path / "a.parquet")
    b.write_parquet(tmp_path / "b.parquet")
    results = _race([_writer(ds, tmp_path / "a.parquet", tmp_path / "go"),
                     _writer(ds, tmp_path / "b.parquet", tmp_path / "go")], tmp_path / "go")
    landed = [_ok_or_clear(r) for r in results]
    final = store.load(ds)
    for frame, did_land in zip([a, b], landed, strict=True):
        got = final.join(frame.select(*KEY_COLUMNS, "value"), on=list(KEY_COLUMNS),
                         suffix="_written")
        assert got.height == frame.height
        assert (got["value"] == got["value_written"]).all() == did_land
    assert final.height == start.height
    assert all(landed), [r.stderr[-500:] for r in results]


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(4))
def test_two_writers_same_keys_serialise(base: Path, tmp_path: Path, trial: int) -> None:
    """The later commit replaces the earlier one's values and says so (it saw them)."""
    ds = tmp_path / "ds"
    shutil.copytree(base, ds)
    keys = store.load(ds).filter(pl.col("year") == 2023, pl.col("region_code") == "420300"
                                 ).head(5)
    keys.with_columns(pl.lit(111.0).alias("value")).write_parquet(tmp_path / "a.parquet")
    keys.with_columns(pl.lit(222.0).alias("value")).write_parquet(tmp_path / "b.parquet")
    results = _race([_writer(ds, tmp_path / "a.parquet", tmp_path / "go"),
                     _writer(ds, tmp_path / "b.parquet", tmp_path / "go")], tmp_path / "go")
    assert all(r.returncode == 0 for r in results), [r.stderr[-500:] for r in results]
    reports = [json.loads(r.stdout) for r in results]
    later, earlier = sorted(range(2), key=lambda i: reports[i]["version"], reverse=True)
    written = [111.0, 222.0]
    final = store.load(ds).join(keys.select(KEY_COLUMNS), on=list(KEY_COLUMNS))
    assert final["value"].to_list() == [written[later]] * 5
    assert reports[later]["old"] == [written[earlier]] * 5
    assert reports[later]["version"] == reports[earlier]["version"] + 1


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_readmit_beside_extract_into_both_land(base: Path, tmp_path: Path, trial: int) -> None:
    from fzcompare.validate import bundled_suite_path, quarantine, read_quarantine

    ds = tmp_path / "ds"
    shutil.copytree(base, ds)
    bad = store.load(ds).filter(pl.col("indicator_code") == "gov_service_online_rate",
                                pl.col("region_code") == "420322").head(1)
    store.write_observations(bad.with_columns(pl.lit(9810.0).alias("value")), ds)
    assert quarantine(ds, suites=[bundled_suite_path("ranges")]).moved == 1
    go = tmp_path / "go"
    extract = [sys.executable, "-c",
               "import os, sys, time\n"
               "from fzcompare.cli import main\n"
               "while not os.path.exists(sys.argv[1]): time.sleep(0.001)\n"
               "sys.exit(main(sys.argv[2:]))",
               str(go), "extract", str(REPORT), "--region", "420300", "--year", "2023",
               "--into", str(ds), "-o", str(tmp_path / "out.csv")]
    results = _race([[sys.executable, "-c", READMITTER, str(ds), str(go)], extract], go)
    assert all(r.returncode == 0 for r in results), [r.stderr[-800:] for r in results]
    extracted = pl.read_csv(tmp_path / "out.csv", infer_schema_length=0)
    assert extracted.height > 0
    final = store.load(ds)
    sources = set(final["source_id"].to_list())
    assert store.load_sources(ds)["source_id"].is_in(list(sources)).any()
    assert final.filter(pl.col("indicator_code") == "gov_service_online_rate",
                        pl.col("region_code") == "420322", pl.col("value") == 98.1).height == 1
    assert read_quarantine(ds).filter(pl.col("status") == "quarantined").height == 0
    history = store.history(ds)["operation"].to_list()
    assert history[:2] in (["readmit", "write"], ["write", "readmit"])


def test_a_writer_that_always_loses_fails_clearly(base: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Another commit lands between every plan and its commit: a clear error, nothing lost."""
    from fzcompare.store import _tables

    monkeypatch.setattr(_tables, "MAX_ATTEMPTS", 3)
    monkeypatch.setattr("fzcompare.store._tables.time.sleep", lambda _: None)
    ds = tmp_path / "ds"
    shutil.copytree(base, ds)
    uri = table_uri(ds, OBSERVATIONS)
    rival = store.load(ds).head(1)

    def plan(snap: Snapshot) -> Planned[None]:
        rows = snap.rows()
        store.write_observations(rival.with_columns(pl.col("value") + 1 + (snap.version or 0)), ds)
        return Planned(Commit(rows, None, {"operation": "loser"}), None)

    with pytest.raises(ConcurrentWriteError) as caught:
        commit_planned(uri, plan, schema=STORED_SCHEMA, step="t",
                       partition_by=["year", "status"])
    assert caught.value.details["attempts"] == 3
    assert "lost to other writers" in str(caught.value)
    assert "loser" not in store.history(ds)["operation"].to_list()
    assert store.history(ds).height == 4  # the base write and the rival's three
