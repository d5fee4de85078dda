"""Write the synthetic demo panel to ``datasets/demo`` (or a national panel on demand).

The demo panel (``fzcompare.synthetic.demo_panel``) is committed; national panels are large
and are generated only when asked for, never committed::

    python datasets/generate_demo.py                       # rewrite datasets/demo
    python datasets/generate_demo.py --national /tmp/nat   # 3,000 regions x 10 years x 100
    python datasets/generate_demo.py --national /tmp/nat --n-regions 300 --seed 7

The target folder is rebuilt from scratch in a sibling temporary folder and swapped in at the
end, so stale rows from an earlier catalog never survive and a failed run changes nothing.
All numbers are synthetic (source kind ``synthetic``); they are not real figures.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent / "demo"
_DATASET_ENTRIES = frozenset({"observations", "sources", "regions",
                              "sources.csv", "regions.csv"})  # the last two: older format


def _replace_dir(built: Path, target: Path) -> None:
    """Swap ``built`` in as ``target`` (same parent folder), then remove the old folder."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        target.replace(old)
    try:
        built.replace(target)
    except OSError:
        if old is not None:
            old.replace(target)
        raise
    if old is not None:
        shutil.rmtree(old)


def write_panel(target: Path, *, national: bool, n_regions: int = 3000, seed: int | None = None,
                ) -> str:
    """Generate a panel, write it as a dataset at ``target`` and return a one-line summary.

    Raises:
        ValueError: If ``target`` is a file or a folder holding non-dataset files.
        FzcompareError: If generating or writing fails (``target`` is then unchanged).
    """
    from fzcompare import synthetic
    from fzcompare.store import write_observations

    if target.exists() and not target.is_dir():
        raise ValueError(f"{target} exists and is not a folder")
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir() if p.name not in _DATASET_ENTRIES)
        if foreign:
            raise ValueError(f"{target} holds files that are not part of a dataset "
                             f"({', '.join(foreign[:5])}); choose an empty or dataset folder")
    started = time.perf_counter()
    if national:
        panel = synthetic.national_panel(n_regions=n_regions,
                                         seed=0 if seed is None else seed)
    else:
        panel = synthetic.demo_panel(seed=synthetic.DEMO_SEED if seed is None else seed)
    generated = time.perf_counter() - started
    target.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new."))
    try:
        write_observations(panel.observations, built, sources=panel.sources,
                           regions_table=panel.regions if national else None)
        _replace_dir(built, target)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    return (f"{target}: {panel!r}; generated in {generated:.2f} s, "
            f"written in {time.perf_counter() - started - generated:.2f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--national", type=Path, metavar="DIR",
                        help="write a large synthetic national panel to DIR instead of the demo")
    parser.add_argument("--n-regions", type=int, default=3000,
                        help="county-level regions of the national panel (default 3000)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed (default: 20231 for the demo, 0 for a national panel)")
    parser.add_argument("--out", type=Path, default=DEMO_DIR,
                        help=f"demo dataset folder (default {DEMO_DIR})")
    args = parser.parse_args(argv)
    from fzcompare.errors import FzcompareError

    target = args.national if args.national is not None else args.out
    try:
        print(write_panel(target, national=args.national is not None, n_regions=args.n_regions,
                          seed=args.seed))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FzcompareError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
