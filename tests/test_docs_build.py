"""The documentation works: quickstart snippets run, the CLI reference is current, the site is
built offline.

``docs/cli.md`` is generated from the Typer app (the same source as ``fzcompare <cmd> --help``).
After changing a command, regenerate it with::

    python tests/test_docs_build.py --write-cli
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
CLI_MD = DOCS / "cli.md"
BEGIN = "<!-- BEGIN GENERATED: python tests/test_docs_build.py --write-cli -->"
END = "<!-- END GENERATED -->"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text(encoding="utf-8"))
            if lang == language]


def _sandbox(tmp_path: Path) -> Path:
    """A working directory where ``datasets/`` is the repository's (read-only use)."""
    (tmp_path / "datasets").symlink_to(REPO / "datasets", target_is_directory=True)
    return tmp_path


# --------------------------------------------------------------------------- quickstart


@pytest.mark.slow  # 13 CLI runs, two validations and a charted report: the suite's second longest
def test_quickstart_runs_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quickstart's blocks run in page order, as a user following it would run them.

    Python blocks run in one namespace; in bash blocks, every ``fzcompare`` line must exit 0
    (install lines are left to the user). The working directory is a scratch folder whose
    ``datasets/`` is the repository's.
    """
    cwd = _sandbox(tmp_path)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    fzcompare = Path(sys.executable).with_name("fzcompare")
    namespace: dict[str, Any] = {"__name__": "__quickstart__"}
    counts = {"python": 0, "fzcompare": 0}
    text = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    for language, body in FENCE.findall(text):
        if language == "python":
            counts["python"] += 1
            try:
                exec(compile(body, f"quickstart.md python block {counts['python']}", "exec"),
                     namespace)
            except Exception as error:  # pragma: no cover - the message is the point
                pytest.fail(f"quickstart python block {counts['python']} failed: {error!r}\n"
                            f"{body}")
        elif language == "bash":
            for line in body.splitlines():
                command = line.split(" #")[0].strip()
                if not command.startswith("fzcompare "):
                    continue
                counts["fzcompare"] += 1
                done = subprocess.run([str(fzcompare), *shlex.split(command)[1:]], cwd=cwd,
                                      capture_output=True, text=True, timeout=600, check=False)
                assert done.returncode == 0, (
                    f"{command}\nexit {done.returncode}\n{done.stderr[-3000:]}")
    assert counts["python"] >= 5 and counts["fzcompare"] >= 8, counts
    assert (cwd / "shiyan-trends.png").stat().st_size > 0
    assert (cwd / "reports" / "quickstart" / "index.html").is_file()


# -------------------------------------------------------------------------- CLI reference


HELP_ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "LC_ALL": "C.UTF-8"}


def _help_text(path: list[str]) -> str:
    """``fzcompare ... --help`` at a fixed width, without colours or trailing spaces."""
    from typer.testing import CliRunner

    from fzcompare.cli import app

    done = CliRunner().invoke(app, [*path[1:], "--help"], prog_name="fzcompare", env=HELP_ENV)
    assert done.exit_code == 0, done.output
    lines = [line.rstrip() for line in done.output.splitlines()]
    return "\n".join(lines).strip("\n")


def _commands() -> list[tuple[list[str], Any]]:
    """Every command of the app, depth first, groups before their subcommands."""
    import typer.main

    from fzcompare.cli import app

    found: list[tuple[list[str], Any]] = []

    def walk(path: list[str], command: Any) -> None:
        found.append((path, command))
        for name in getattr(command, "commands", {}) or {}:
            walk([*path, name], command.commands[name])

    walk(["fzcompare"], typer.main.get_command(app))
    return found


def render_cli_reference() -> str:
    """The generated part of ``docs/cli.md``: each command's ``--help``, at 100 columns."""
    lines: list[str] = []
    for path, _ in _commands():
        level = "#" * min(len(path) + 1, 4)
        lines += [f"{level} `{' '.join(path)}`", "", "```text", _help_text(path), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _current_generated() -> str:
    text = CLI_MD.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{CLI_MD} lost its generated-section markers"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write_cli_reference() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    CLI_MD.write_text(f"{head}{BEGIN}\n\n{render_cli_reference()}\n{END}{tail}",
                      encoding="utf-8")


def test_cli_reference_is_current() -> None:
    assert _current_generated().strip() == render_cli_reference().strip(), (
        "docs/cli.md is out of date: run `python tests/test_docs_build.py --write-cli`")


def test_cli_reference_names_every_command_and_option() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    for path, command in _commands():
        assert f"`{' '.join(path)}`" in text, path
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in text, (path, opt)


# ------------------------------------------------------------------------------ the site


@pytest.mark.slow
def test_site_builds_strict_and_offline(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    external = re.compile(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.I)
    offenders = [str(page.relative_to(site)) for page in pages
                 if external.search(page.read_text(encoding="utf-8"))]
    assert not offenders, f"pages loading external resources: {offenders[:5]}"
    assert "fonts.googleapis" not in (site / "index.html").read_text(encoding="utf-8")
    for notebook in (DOCS / "notebooks").glob("*.ipynb"):
        assert (site / "notebooks" / notebook.name).is_file(), notebook.name


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-cli"]:
        write_cli_reference()
        print(f"wrote {CLI_MD}")
    else:
        sys.exit("usage: python tests/test_docs_build.py --write-cli")
