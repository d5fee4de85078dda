"""Benchmark: document readers and the xlsx writer, measured on the project's own fixtures.

Usage::

    python benchmarks/bench_documents.py [--size tiny|small|national] [--repeat N]

The inputs are the fixed fixtures, so ``--size`` only sets the default number of repeats
(tiny 1, small 3, national 5); it is there because every stage script takes it.

1. HTML main-text extractors on the saved seed pages (``tests/fixtures/documents``):
   trafilatura (used), readability-lxml and jusText (measured only; installed ad hoc with
   ``pip install readability-lxml``; jusText comes with trafilatura). Each extractor's text
   (with the page's ``<h1>`` title put first, as the reader does) goes through
   ``fzcompare.extract.extract`` and is scored against ``datasets/raw/shiyan-2023.gold.csv``;
   "chrome" counts page-chrome markers that leaked into the text.
2. PDF text layers: pypdfium2 (used) vs pdfplumber (measured only), both through the same
   line joining, scored the same way.
3. XLSX writers: XlsxWriter (used) vs openpyxl, writing the demo trends summary (about
   5 850 rows x 20 columns) with a fixed created time; whether two runs give the same bytes.

Times are CPU seconds of this process (``time.process_time``), the fastest of ``--repeat``
runs; ratios are against the first entry of each group, run in the same process.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "tests" / "fixtures" / "documents"
CHROME = ("无障碍", "简体", "繁体", "当前位置", "分享到", "ICP备", "打印本页", "浏览次数")


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    return best, out


def _score(text: str) -> tuple[float, float]:
    from fzcompare.extract import evaluate, extract, load_gold

    scored = evaluate(extract(text), load_gold(ROOT / "datasets/raw/shiyan-2023.gold.csv"))
    return scored.value_recall, scored.code_recall


def html_extractors(repeat: int) -> None:
    import lxml.html
    import trafilatura

    from fzcompare.extract._readers import _decode_html, _page_title

    def with_title(page: str, body: str) -> str:
        title = _page_title(lxml.html.document_fromstring(page)) or ""
        return f"{title}\n{body}"

    def run_trafilatura(page: str) -> str:
        return trafilatura.extract(page, output_format="txt", include_tables=True,
                                   favor_recall=True, deduplicate=False) or ""

    def run_readability(page: str) -> str:
        from readability import Document

        summary = Document(page).summary(html_partial=True)
        tree = lxml.html.fragment_fromstring(summary, create_parent="div")
        return "\n".join(p.text_content().strip() for p in tree.iter("p", "div")
                         if p.text_content().strip() and p.tag == "p") or tree.text_content()

    def run_justext(page: str) -> str:
        import justext

        paragraphs = justext.justext(page.encode("utf-8"), frozenset(), encoding="utf-8",
                                     length_low=10, length_high=40, stopwords_low=0,
                                     stopwords_high=0, max_link_density=0.3)
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    extractors: dict[str, Callable[[str], str]] = {"trafilatura": run_trafilatura}
    try:
        import readability  # noqa: F401

        extractors["readability-lxml"] = run_readability
    except ImportError:
        print("readability-lxml not installed: skipped")
    extractors["justext (no stoplist)"] = run_justext
    for name in ("shiyan-2023.html", "shiyan-2023.gbk.html"):
        page, _ = _decode_html((DOCS / name).read_bytes(), name)
        print(f"\nHTML {name}")
        base = None
        for label, fn in extractors.items():
            seconds, body = _best(lambda fn=fn, page=page: fn(page), repeat)
            text = with_title(page, str(body))
            value, code = _score(text)
            leaked = sum(text.count(marker) for marker in CHROME)
            base = base or seconds
            print(f"  {label:24s} value recall {value:6.1%}  code recall {code:6.1%}  "
                  f"chrome markers {leaked:2d}  chars {len(text):6d}  "
                  f"{seconds * 1000:7.1f} ms  x{seconds / base:5.2f}")


def pdf_readers(repeat: int) -> None:
    try:
        import pdfplumber
    except ImportError:
        print("\npdfplumber not installed (pip install pdfplumber): PDF comparison skipped")
        return

    from fzcompare.extract._readers import _read_pdf, join_wrapped_lines

    data = (DOCS / "shiyan-2023.pdf").read_bytes()

    def run_pypdfium2() -> str:
        return _read_pdf(data, name="seed.pdf", digest="").text

    def run_pdfplumber() -> str:
        lines: list[tuple[str, float, float]] = []
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                for line in page.extract_text_lines():
                    text = line["text"].strip()
                    if text.strip("—- 0123456789") != "":  # page-number lines dropped
                        lines.append((text, line["x0"], line["x1"]))
        return "".join(join_wrapped_lines(lines, em=11.0))

    print("\nPDF shiyan-2023.pdf")
    base = None
    for label, fn in (("pypdfium2", run_pypdfium2), ("pdfplumber", run_pdfplumber)):
        seconds, text = _best(fn, repeat)
        value, code = _score(str(text))
        base = base or seconds
        print(f"  {label:24s} value recall {value:6.1%}  code recall {code:6.1%}  "
              f"{seconds * 1000:7.1f} ms  x{seconds / base:5.2f}")


def xlsx_writers(repeat: int) -> None:
    import datetime as dt

    import openpyxl

    from fzcompare import store, trends
    from fzcompare._export import XlsxNotes, xlsx_bytes

    frame = trends.summarize(store.load(ROOT / "datasets" / "demo"))
    notes = XlsxNotes(as_of=dt.date(2025, 1, 15))

    def run_xlsxwriter() -> bytes:
        return xlsx_bytes({"summary": frame}, notes=notes)

    def run_openpyxl() -> bytes:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "summary"
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        book.properties.created = dt.datetime(2025, 1, 15)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    print(f"\nXLSX {frame.height} rows x {frame.width} columns")
    base = None
    for label, fn in (("XlsxWriter", run_xlsxwriter), ("openpyxl", run_openpyxl)):
        seconds, first = _best(fn, repeat)
        time.sleep(1.1)  # a clock tick: a writer that stamps the time gives other bytes
        same = fn() == first
        base = base or seconds
        print(f"  {label:24s} {seconds * 1000:7.1f} ms  x{seconds / base:5.2f}  "
              f"{len(first) / 1024:6.0f} KiB  same bytes twice: {same}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=("tiny", "small", "national"), default="small")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args(argv)
    repeat = args.repeat or {"tiny": 1, "small": 3, "national": 5}[args.size]
    html_extractors(repeat)
    pdf_readers(repeat)
    xlsx_writers(repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
