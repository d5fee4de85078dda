"""An index page linking several reports written side by side (one per sub-folder)."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

from fzcompare._io import atomic_write_bytes
from fzcompare.errors import FzcompareError
from fzcompare.report._render import font_face_css

__all__ = ["write_report_index"]


def _entry(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        msg = f"{path}: not a readable report summary ({error})"
        raise FzcompareError(msg,
                             hint="write the report with fzcompare report --format "
                                  "html,json", path=str(path)) from error
    totals = summary.get("totals", {})
    return {"folder": folder.name, "dataset": str(summary.get("dataset", "")),
            "year": summary.get("year"), "synthetic": bool(summary.get("synthetic")),
            "regions": totals.get("regions", 0), "ranked": totals.get("ranked"),
            "unranked": totals.get("insufficient_evidence", 0),
            "criteria": summary.get("criteria", {}).get("id", ""),
            "year_reason": summary.get("evidence", {}).get("year_reason", "")}


def _row(entry: dict[str, Any]) -> str:
    kind = ("合成数据 / SYNTHETIC demo panel: generated figures, every indicator disclosed"
            if entry["synthetic"] else
            "Real published figures: each report discloses its own few figures")
    ranked = "" if entry["ranked"] is None else (
        f"{entry['ranked']} of {entry['regions']} regions ranked on evidence"
        + (f", {entry['unranked']} not ranked (too little disclosed)" if entry["unranked"]
           else ""))
    css = "synthetic" if entry["synthetic"] else "real"
    folder = html.escape(entry["folder"], quote=True)
    return (f'<li class="{css}"><a href="{folder}/index.html"><strong>'
            f'{html.escape(entry["dataset"])}</strong></a> · {entry["year"]} · '
            f'{html.escape(entry["criteria"])}<br><span>{html.escape(kind)}</span><br>'
            f'<span class="muted">{html.escape(ranked)}. '
            f'{html.escape(entry["year_reason"])}</span></li>')


def write_report_index(out_dir: str | Path, *, as_of: dt.date, embed_font: bool = True
                       ) -> Path:
    """Write ``out_dir/index.html`` linking the report in each sub-folder (sorted by name).

    Real-data reports are listed before synthetic ones. The page depends only on the
    reports' ``summary.json`` files and ``as_of``, so it is byte-identical for the same inputs.
    With ``embed_font`` it carries the subset of the CJK font its text uses, as the reports do.

    Raises:
        FzcompareError: No sub-folder holds a report, or a summary cannot be read.

    Examples:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp())
        >>> for name, synthetic in (("real", False), ("demo", True)):
        ...     (out / name).mkdir()
        ...     _ = (out / name / "summary.json").write_text(json.dumps({"dataset": name,
        ...         "year": 2023, "synthetic": synthetic, "criteria": {"id": "r"},
        ...         "totals": {"regions": 3, "ranked": 2, "insufficient_evidence": 1}}))
        >>> page = write_report_index(out, as_of=dt.date(2025, 1, 15), embed_font=False
        ...                           ).read_text("utf-8")
        >>> page.index('href="real/') < page.index('href="demo/'), "SYNTHETIC" in page
        (True, True)
    """
    out = Path(out_dir)
    folders = sorted(p for p in out.iterdir() if (p / "summary.json").is_file()) \
        if out.is_dir() else []
    if not folders:
        msg = f"{out}: no sub-folder holds a report (summary.json)"
        raise FzcompareError(msg,
                             hint="write the reports first: fzcompare report DATASET "
                                  f"--out {out}/NAME", path=str(out))
    entries = sorted((_entry(f) for f in folders), key=lambda e: (e["synthetic"], e["folder"]))
    items = "\n".join(_row(e) for e in entries)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>fzcompare reports · {as_of.isoformat()}</title>
<style>
/*FZ-FONT-FACE*/
body {{ font-family: "fzcompare CJK", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
       system-ui, sans-serif; color:#1d2330; max-width: 860px; margin: 0 auto;
       padding: 24px 28px; line-height: 1.5; }}
li {{ margin: 14px 0; padding: 10px 14px; border-radius: 6px; list-style: none; }}
li.real {{ background:#eef3fa; border:2px solid #0072B2; }}
li.synthetic {{ background:#fff4d6; border:2px solid #E69F00; }}
ul {{ padding: 0; }} .muted {{ color:#5b6475; }}
</style></head>
<body>
<h1>fzcompare benchmark reports</h1>
<p class="muted">Built {as_of.isoformat()}. The real report ranks only the regions whose published
figures cover enough of the rubric; the synthetic one shows every feature on a full panel.</p>
<ul>
{items}
</ul>
</body>
</html>
"""
    css = ""
    if embed_font:
        css = font_face_css(page)
    page = page.replace("/*FZ-FONT-FACE*/", css, 1)
    path = out / "index.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
