"""The documentation notebooks run top to bottom and are committed without outputs.

Each notebook is executed with nbclient in a ``python3`` kernel running this interpreter, from
``docs/notebooks/`` (where a user opening it in Jupyter would be); any cell error fails the test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "docs" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 300

# Runs first in the kernel: the notebook must execute with the interpreter running the tests
# (the one fzcompare is installed into), not whichever ``python`` a kernelspec points at.
_SAME_INTERPRETER = (
    "import sys as _sys\n"
    f"assert _sys.prefix == {sys.prefix!r}, (_sys.executable, {sys.executable!r})\n"
    "del _sys"
)


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def test_the_documented_notebooks_exist() -> None:
    names = {path.name for path in NOTEBOOKS}
    assert {"01-shiyan-and-counties.ipynb", "02-province-benchmark.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs or execution counts; strip them "
        f"(Jupyter: Edit > Clear Outputs of All Cells, then save)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_SAME_INTERPRETER))
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{error}", pytrace=False)
    errors = [
        output for cell in notebook.cells for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
