"""The import graph of ``src/fzcompare``: no cycles, lazy imports only for heavy libraries.

Every ``import`` statement is read with ``ast``, the ones inside functions and under
``TYPE_CHECKING`` included, so a cycle hidden by a deferred import fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "fzcompare"

HEAVY: frozenset[str] = frozenset({
    "great_expectations",  # imports hundreds of modules and registers its expectations
    "statsmodels",  # pulls in scipy and patsy
    "scipy",  # large compiled extension; only a few statistics need it
    "matplotlib",  # font manager and backends; charts are optional for most stages
    "PIL",  # only for palette PNGs
    "cycler",  # ships with matplotlib, imported with it
    "noto_cjk_sans_otc",  # locates a 20 MB font file
    "pandas",  # only for to_pandas() and statsmodels' inputs
    "opencc",  # builds its conversion dictionaries on import
    "fsspec",  # remote filesystems
    "fontTools",  # font subsetting for the HTML report only
    "jinja2",  # templates only when a report is rendered (kept out of `import fzcompare`)
    # Document and spreadsheet readers/writers: only the stage that reads or writes that kind
    # of file needs them.
    "trafilatura",  # HTML main-text extraction (lxml, htmldate, courlan, dateparser)
    "lxml",  # HTML parsing for saved pages
    "pypdfium2",  # PDF text layers (a PDFium binary)
    "docx",  # python-docx, DOCX paragraphs and tables
    "openpyxl",  # XLSX reading (merged cells, number formats)
    "xlsxwriter",  # XLSX writing
    "rapidfuzz",  # fuzzy header matching on import
})
"""Libraries a function may import lazily (each such import carries a comment saying so)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(module: str, path: Path, known: dict[str, Path]
             ) -> list[tuple[str, int, bool]]:
    """``(imported fzcompare module, line, inside a function)`` for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(child, module, path.name == "__init__.py")
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    found.append((sub if sub in known else target, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: {name for name, _, _ in _imports(module, path, known) if name in known}
            for module, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_walk_sees_function_level_imports() -> None:
    """The walk itself: a deferred import inside a function is an edge."""
    known = _modules()
    edges = _imports("fzcompare.trends._models", known["fzcompare.trends._models"], known)
    assert ("statsmodels.api", True) in {(name, lazy) for name, _, lazy in edges}
    assert {"fzcompare.trends._vocab", "fzcompare.catalog"} <= _graph()[
        "fzcompare.trends._models"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"], ["e"]]


def test_no_import_cycle_in_src() -> None:
    assert _cycles(_graph()) == []


def test_no_module_imports_the_package_root() -> None:
    importers = sorted(module for module, targets in _graph().items()
                       if "fzcompare" in targets and module != "fzcompare")
    assert importers == []


def test_nothing_below_the_cli_imports_it() -> None:
    importers = sorted(module for module, targets in _graph().items()
                       if any(t == "fzcompare.cli" or t.startswith("fzcompare.cli.")
                              for t in targets) and not module.startswith("fzcompare.cli"))
    assert importers == []


def _commented(lines: list[str], line: int) -> bool:
    """A comment on the import, or on the group of imports it belongs to (just above)."""
    index = line - 1
    while index >= 0:
        current = lines[index].strip()
        if "#" in current:
            return True
        in_group = current.startswith(("from ", "import ", ")")) or current.endswith((",", "("))
        if not in_group:
            return False
        index -= 1
    return False


@pytest.mark.parametrize("module", sorted(_modules()))
def test_function_level_imports_are_heavy_libraries_with_a_comment(module: str) -> None:
    known = _modules()
    path = known[module]
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = []
    for name, line, lazy in _imports(module, path, known):
        if not lazy:
            continue
        root = name.split(".")[0]
        if root not in HEAVY:
            bad.append(f"{path.name}:{line}: lazy import of {name} (not a heavy library)")
        elif not _commented(lines, line):
            bad.append(f"{path.name}:{line}: lazy import of {name} without a comment")
    assert bad == []
