"""The one CLI convention, checked over every command (docs/cli.md#conventions).

A walk over the Typer app lists every command; each test below runs every command it
applies to (help, formats and outputs, stdout/stderr separation, exit codes per condition,
terminal width), so a command added without following the convention fails here.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
import typer
from rich.cells import cell_len

from fzcompare.cli import EXIT_CODES, app, exit_code_for, main
from fzcompare.errors import ConcurrentWriteError
from fzcompare.store import load, write_observations

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "datasets" / "demo")
REAL = str(ROOT / "datasets" / "real")
REPORT_TEXT = str(ROOT / "tests" / "fixtures" / "extract" / "city-scraped.txt")
TABLE_FILE = str(ROOT / "tests" / "fixtures" / "documents" / "long.xlsx")

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("extract",), ("import",), ("validate",), ("trends",), ("benchmark",), ("coverage",),
    ("report",),
    ("report-index",), ("dataset", "info"), ("dataset", "history"), ("dataset", "restore"),
    ("dataset", "convert"), ("dataset", "catalog"), ("dataset", "regions"))
"""Every command; ``test_every_command_is_listed`` keeps it complete."""

TABLE_COMMANDS: dict[tuple[str, ...], list[str]] = {
    ("extract",): [REPORT_TEXT],
    ("import",): [TABLE_FILE],
    ("validate",): [REAL],
    ("trends",): [DEMO, "-i", "gov_service_online_rate"],
    ("benchmark",): [DEMO, "-c", "hubei-demo-2024", "--year", "2024"],
    ("coverage",): [DEMO, "-c", "hubei-demo-2024", "--year", "2024"],
    ("dataset", "info"): [DEMO],
    ("dataset", "history"): [DEMO],
    ("dataset", "catalog"): ["--domain", "1"],
    ("dataset", "regions"): ["--search", "十堰"],
}
"""The commands that write a table, with arguments that give one (exit code 0)."""

SYNTHETIC_INPUT = (("trends",), ("benchmark",), ("coverage",), ("dataset", "info"))


def _walk(group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, typer.core.TyperGroup):
            found += _walk(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def _run(args: list[str], capsysbinary: pytest.CaptureFixture[bytes]
         ) -> tuple[int, bytes, str]:
    code = main(args)
    out, err = capsysbinary.readouterr()
    return code, out, err.decode("utf-8")


def test_every_command_is_listed() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    assert sorted(_walk(root)) == sorted(COMMANDS)
    assert set(TABLE_COMMANDS) <= set(COMMANDS)


# --------------------------------------------------------------------------- help


_PLACEHOLDERS = re.compile(r"``|\{[A-Za-z_]+\}|<bool>|<list\[|<path>|<str>|<int|<float")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_reads_cleanly_at_80_columns(command: tuple[str, ...],
                                          capsysbinary: pytest.CaptureFixture[bytes],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = _run([*command, "--help"], capsysbinary)
    text = out.decode("utf-8")
    assert code == 0
    assert not _PLACEHOLDERS.findall(text), _PLACEHOLDERS.findall(text)
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    click_command = typer.main.get_command(app)
    for name in command:
        click_command = click_command.commands[name]  # type: ignore[attr-defined]
    for param in click_command.params:
        if getattr(param, "hidden", False):
            continue
        said = getattr(param, "help", None)
        assert said and "\n" not in said, (command, param.name)
        assert said.endswith("."), (command, param.name)


# --------------------------------------------------------------------------- formats


def _parses(data: bytes, fmt: str) -> int:
    """The number of rows the bytes hold (they must parse in their format)."""
    if fmt == "csv":
        return pl.read_csv(data, infer_schema_length=0).height
    if fmt == "json":
        document = json.loads(data)
        if isinstance(document, list):
            return len(document)
        return len(document.get("rows", document.get("outcomes", [])))
    if fmt == "parquet":
        return pl.read_parquet(io.BytesIO(data)).height
    assert fmt == "xlsx"
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return len([n for n in book.namelist() if n.startswith("xl/worksheets/")])


@pytest.mark.parametrize("command", list(TABLE_COMMANDS), ids=" ".join)
def test_every_format_to_stdout_and_to_a_file_by_suffix(
        command: tuple[str, ...], tmp_path: Path,
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    args = [*command, *TABLE_COMMANDS[command]]
    for fmt in ("csv", "json", "parquet", "xlsx"):
        code, out, err = _run([*args, "-f", fmt], capsysbinary)
        assert code == 0, (fmt, err)
        assert _parses(out, fmt) > 0 or command == ("validate",), fmt
        target = tmp_path / f"out.{fmt}"
        code, out, err = _run([*args, "-o", str(target)], capsysbinary)
        assert code == 0 and out == b"", (fmt, err)
        assert f"({fmt}) to {target}" in err
        assert _parses(target.read_bytes(), fmt) == _parses(
            _run([*args, "-f", fmt], capsysbinary)[1], fmt)
    code, out, _ = _run([*args, "-f", "table"], capsysbinary)
    assert code == 0 and out.strip()
    piped = _run(args, capsysbinary)[1]  # no -f, no -o, stdout not a terminal: CSV
    assert piped == _run([*args, "-f", "csv"], capsysbinary)[1]


@pytest.mark.parametrize("command", list(TABLE_COMMANDS), ids=" ".join)
def test_a_suffix_contradicting_the_format_or_naming_none_is_a_usage_error(
        command: tuple[str, ...], tmp_path: Path,
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    args = [*command, *TABLE_COMMANDS[command]]
    code, out, err = _run([*args, "-f", "json", "-o", str(tmp_path / "x.csv")],
                          capsysbinary)
    assert code == 2 and out == b"" and "suffix .csv" in err
    code, _, err = _run([*args, "-o", str(tmp_path / "x.data")], capsysbinary)
    assert code == 2 and "give --format" in err
    code, _, err = _run([*args, "-f", "xml"], capsysbinary)
    assert code == 2 and "xml" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", SYNTHETIC_INPUT, ids=" ".join)
def test_notes_go_to_stderr_in_every_format(command: tuple[str, ...],
                                            capsysbinary: pytest.CaptureFixture[bytes]
                                            ) -> None:
    args = [*command, *TABLE_COMMANDS[command]]
    for fmt in ("table", "csv", "json", "parquet", "xlsx"):
        code, out, err = _run([*args, "-f", fmt], capsysbinary)
        assert code == 0
        assert "NOTE: this dataset holds SYNTHETIC figures" in err, fmt
        # Data only: no NOTE line (a json document may carry the notes as data, as
        # benchmark's "notes" list does, so the synthetic mark travels with it).
        assert not [line for line in out.splitlines() if line.startswith(b"NOTE")], fmt
        assert b"NOTE:" not in out, fmt


def test_binary_formats_are_refused_on_a_terminal_and_allowed_to_a_pipe(
        tmp_path: Path) -> None:
    command = [sys.executable, "-m", "fzcompare.cli", "trends", DEMO, "-i",
               "gov_service_online_rate", "-f", "parquet"]
    main_fd, terminal_fd = pty.openpty()
    try:
        done = subprocess.run(command, stdout=terminal_fd, stderr=subprocess.PIPE,
                              check=False, cwd=ROOT, timeout=120)
    finally:
        os.close(terminal_fd)
        os.close(main_fd)
    assert done.returncode == 2
    assert b"stdout is a terminal" in done.stderr
    with (tmp_path / "t.parquet").open("wb") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.PIPE, check=False,
                              cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert pl.read_parquet(tmp_path / "t.parquet").height > 0


# --------------------------------------------------------------------------- width


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("command", [("trends",), ("benchmark",), ("coverage",),
                                     ("dataset", "regions"),
                                     ("dataset", "catalog"), ("extract",), ("validate",)],
                         ids=" ".join)
def test_tables_fit_the_terminal_width(command: tuple[str, ...], width: int,
                                       capsysbinary: pytest.CaptureFixture[bytes],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = _run([*command, *TABLE_COMMANDS[command], "-f", "table"], capsysbinary)
    assert code == 0, err
    lines = out.decode("utf-8").splitlines()
    assert lines and max(cell_len(line) for line in lines) <= width


def test_a_wider_terminal_shows_more_columns(capsysbinary: pytest.CaptureFixture[bytes],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shown = {}
    for width in (80, 100, 200):
        monkeypatch.setenv("COLUMNS", str(width))
        _, out, err = _run(["benchmark", *TABLE_COMMANDS[("benchmark",)], "-f", "table"],
                           capsysbinary)
        shown[width] = out.decode("utf-8").splitlines()[1].split()
        if width < 200:
            assert "left out to fit" in err
    assert len(shown[80]) < len(shown[100]) < len(shown[200])
    assert shown[80][:5] == ["region_code", "region_name", "year", "rank", "verdict"]


def test_shares_are_fractions_in_data_and_percentages_in_tables(
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    args = ["benchmark", *TABLE_COMMANDS[("benchmark",)], "-r", "420300"]
    data = pl.read_csv(_run([*args, "-f", "csv"], capsysbinary)[1])
    share = data["share"].item()
    assert 0 <= share <= 1
    table = _run([*args, "-f", "table"], capsysbinary)[1].decode("utf-8")
    assert f"{share:.1%}" in table


# --------------------------------------------------------------------------- exit codes


def test_the_exit_code_table_is_the_documented_one() -> None:
    cli_md = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES:
        assert f"| `{code}` | {meaning.replace('--allow-invalid', '`--allow-invalid`')}" in (
            cli_md.replace("`-o`", "-o").replace("`-f`", "-f")), code
    scheduling = (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")
    for said in ("`0` the report was written", "`1` a data error", "`2` usage error",
                 "`3` validation found error-severity failures"):
        assert said in scheduling
    assert exit_code_for(ConcurrentWriteError("lost", path="x", attempts=8,
                                              conflict="v5")) == 1


_DATASET_ARGS: dict[tuple[str, ...], list[str]] = {
    ("validate",): [], ("trends",): [], ("benchmark",): ["-c", "hubei-demo-2024"],
    ("coverage",): [],
    ("report",): ["-d", "unused"], ("dataset", "info"): [], ("dataset", "history"): [],
    ("dataset", "restore"): ["--version", "0"], ("dataset", "convert"): []}
"""The commands that read a dataset argument, with what else they need."""


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unknown_option_is_exit_2(command: tuple[str, ...],
                                     capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, err = _run([*command, "--no-such-option"], capsysbinary)
    assert code == 2 and out == b"" and "--no-such-option" in err


@pytest.mark.parametrize("command", list(_DATASET_ARGS), ids=" ".join)
def test_a_missing_dataset_is_exit_2(command: tuple[str, ...], tmp_path: Path,
                                     capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    missing = str(tmp_path / "missing")
    code, out, err = _run([*command, missing, *_DATASET_ARGS[command]], capsysbinary)
    assert code == 2 and out == b""
    assert "no such dataset" in err and "Traceback" not in err


def test_the_other_missing_paths_are_exit_2(tmp_path: Path,
                                            capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    missing = str(tmp_path / "missing")
    assert _run(["dataset", "regions", "--dataset", missing], capsysbinary)[0] == 2
    assert _run(["report-index", missing], capsysbinary)[0] == 2
    assert _run(["extract", missing], capsysbinary)[0] == 1  # a batch: the file fails alone


@pytest.mark.parametrize("command", list(_DATASET_ARGS), ids=" ".join)
def test_a_folder_without_observations_is_exit_1(command: tuple[str, ...], tmp_path: Path,
                                                 capsysbinary: pytest.CaptureFixture[bytes]
                                                 ) -> None:
    empty = tmp_path / "empty"
    (empty / "observations").mkdir(parents=True)
    code, _, err = _run([*command, str(empty), *_DATASET_ARGS[command]], capsysbinary)
    assert code == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [("benchmark",), ("report",)], ids=" ".join)
def test_an_unknown_rubric_id_is_exit_2_with_a_suggestion(
        command: tuple[str, ...], tmp_path: Path,
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, _, err = _run([*command, DEMO, "-c", "hubei-demo-2023", "-d", str(tmp_path)]
                        if command == ("report",) else [*command, DEMO, "-c",
                                                         "hubei-demo-2023"], capsysbinary)
    assert code == 2 and "did you mean hubei-demo-2024?" in err


@pytest.mark.parametrize(("args", "suggestion"), [
    (["trends", DEMO, "-i", "gov_service_onlin_rate"], "did you mean gov_service_online_rate?"),
    (["trends", DEMO, "-r", "420399"], "did you mean"),
    (["trends", DEMO, "--years", "2030"], "did you mean 2024?"),
    (["benchmark", DEMO, "-c", "hubei-demo-2024", "-r", "420399"], "did you mean"),
    (["benchmark", DEMO, "-c", "hubei-demo-2024", "--year", "2030"], "did you mean 2024?"),
    (["report", DEMO, "-d", "unused", "-r", "十堰县"], "十堰市"),
    (["dataset", "catalog", "--domain", "99"], "numbered 1-8"),
    (["trends", DEMO, "--version", "9"], "has the versions 0..0"),
    (["benchmark", DEMO, "-c", "hubei-demo-2024", "--version", "9"], "versions 0..0"),
    (["validate", DEMO, "--version", "9"], "versions 0..0"),
    (["dataset", "info", DEMO, "--version", "9"], "versions 0..0"),
    (["coverage", DEMO, "--year", "2031"], "did you mean 2024?"),
    (["dataset", "restore", DEMO, "--version", "9"], "versions 0..0"),
    (["dataset", "regions", "--level", "twonship"], "did you mean township?"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_unknown_names_are_exit_2_with_suggestions(args: list[str], suggestion: str,
                                                   capsysbinary: pytest.CaptureFixture[bytes]
                                                   ) -> None:
    code, out, err = _run(args, capsysbinary)
    assert code == 2 and out == b"", err
    assert suggestion in err


@pytest.mark.parametrize("args", [
    ["trends", DEMO, "-r", "110105"],  # in the regions table, not in the demo
    ["benchmark", REAL, "-c", "county-demo-2024", "--year", "2020"],  # nothing to score
    ["dataset", "regions", "--search", "不存在的地名"],
], ids=lambda v: " ".join(v[:1] + v[2:]))
def test_a_valid_question_with_no_rows_is_exit_1_said_on_stderr(
        args: list[str], capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, err = _run(args, capsysbinary)
    assert code == 1 and out == b""
    assert err.startswith("error: ")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with one rate entered x100: an error-severity validation failure."""
    dataset = tmp_path_factory.mktemp("conv") / "demo"
    shutil.copytree(DEMO, dataset)
    frame = load(dataset, check=False)
    hit = ((pl.col("region_code") == "420100") & (pl.col("year") == 2021)
           & (pl.col("indicator_code") == "pre_appointment_law_test_participation_rate"))
    write_observations(frame.filter(hit).with_columns(pl.col("value") * 100), dataset)
    return dataset


def test_a_validation_failure_is_1_in_validate_and_3_in_report(
        broken: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    for fmt in ("table", "csv", "json"):
        assert _run(["validate", str(broken), "-f", fmt], capsysbinary)[0] == 1
    code, _, err = _run(["report", str(broken), "-d", str(tmp_path / "r"), "--no-charts",
                         "--as-of", "2025-01-31"], capsysbinary)
    assert code == 3 and not (tmp_path / "r").exists()
    assert "error" in err.lower()
