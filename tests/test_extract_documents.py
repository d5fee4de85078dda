"""Report documents (HTML pages, PDF, DOCX) read by content and extracted like the text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fzcompare.errors import ExtractionError
from fzcompare.extract import evaluate, extract, load_gold
from fzcompare.extract._readers import NO_TEXT_LAYER, read_document, sniff_kind

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "tests" / "fixtures" / "documents"
SEED = ROOT / "datasets" / "raw" / "shiyan-2023.report.txt"
GOLD = load_gold(ROOT / "datasets" / "raw" / "shiyan-2023.gold.csv")
SEED_FORMATS = ["shiyan-2023.html", "shiyan-2023.gbk.html", "shiyan-2023.pdf",
                "shiyan-2023.docx"]


@pytest.fixture(scope="module")
def plain() -> tuple[float, float]:
    scored = evaluate(extract(SEED), GOLD)
    return scored.value_recall, scored.code_recall


@pytest.mark.parametrize("name", SEED_FORMATS)
def test_seed_in_every_format_scores_like_the_plain_text(name: str,
                                                        plain: tuple[float, float]) -> None:
    result = extract(DOCS / name)
    scored = evaluate(result, GOLD)
    assert abs(scored.value_recall - plain[0]) <= 0.02
    assert abs(scored.code_recall - plain[1]) <= 0.02
    assert (result.document.region_code, result.document.year) == ("420300", 2023)


@pytest.mark.parametrize("name", SEED_FORMATS)
def test_every_span_points_into_the_extracted_text(name: str) -> None:
    data = (DOCS / name).read_bytes()
    text = read_document(data, name=name).text
    result = extract(DOCS / name)
    for start, end, quote in result.observations.select(
            "span_start", "span_end", "quote").iter_rows():
        # the quote is the normalised text of the span: the same digits in the same order
        digits = "".join(ch for ch in quote if ch.isascii() and ch.isdigit())
        assert "".join(ch for ch in text[start:end] if ch.isascii() and ch.isdigit()) == digits
    assert result.document.sha256 is not None and len(result.document.sha256) == 64
    assert result.document.file_type == name.rsplit(".", 1)[1].replace("htm", "html")[:4]


def test_html_page_metadata_comes_from_the_markup() -> None:
    for name, encoding in (("shiyan-2023.html", "utf-8"), ("shiyan-2023.gbk.html", "gb18030")):
        doc = read_document((DOCS / name).read_bytes(), name=name)
        assert doc.kind == "html" and doc.encoding == encoding
        assert doc.title is not None and doc.title.startswith("十堰市人民政府關(guān)于2023年")
        assert str(doc.published) == "2024-01-22"
        assert doc.url is not None and doc.url.startswith("https://www.shiyan.gov.cn/")
        for chrome in ("无障碍", "ICP备", "分享到", "当前位置"):
            assert chrome not in doc.text
        assert "<p" not in doc.text


def test_the_source_row_records_file_type_hash_and_url() -> None:
    sources = extract(DOCS / "shiyan-2023.html").sources
    row = sources.row(0, named=True)
    assert row["url"].startswith("https://www.shiyan.gov.cn/")
    assert "html sha256 " in row["note"]


def test_pdf_observations_carry_their_page() -> None:
    result = extract(DOCS / "shiyan-2023.pdf")
    pages = result.observations["page"]
    values = pages.to_list()
    assert pages.null_count() == 0
    assert min(values) == 1
    assert max(values) >= 5
    doc = read_document((DOCS / "shiyan-2023.pdf").read_bytes())
    first = result.observations.sort("span_start").row(-1, named=True)
    assert doc.page_of(first["span_start"]) == first["page"]


def test_scanned_pdf_warns_and_invents_nothing() -> None:
    result = extract(DOCS / "shiyan-2023.scanned.pdf")
    assert result.observations.height == 0
    messages = {w.code: w.message for w in result.warnings}
    assert messages["no_text_layer"] == NO_TEXT_LAYER


def test_docx_table_rows_keep_their_label() -> None:
    result = extract(DOCS / "table.docx")
    got = {(code, value) for code, value in result.observations.select(
        "indicator_code", "value").iter_rows()}
    assert got == {("reconsideration_concluded", 80.0), ("reconsideration_corrected", 9.0),
                   ("admin_litigation_cases", 262.0)}


@pytest.mark.parametrize(("name", "reason"), [("broken.pdf", "corrupt"),
                                              ("broken.docx", "corrupt")])
def test_damaged_documents_are_a_clear_error(name: str, reason: str) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(DOCS / name)
    assert caught.value.details["reason"] == reason
    assert name in caught.value.message


def test_kind_is_read_from_content_not_suffix(tmp_path: Path) -> None:
    renamed = tmp_path / "report.txt"
    renamed.write_bytes((DOCS / "shiyan-2023.html").read_bytes())
    assert sniff_kind(renamed.read_bytes()) == "html"
    assert extract(renamed).document.file_type == "html"
    with pytest.raises(ExtractionError) as caught:
        sniff_kind(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, name="old.doc")
    assert caught.value.details["reason"] == "unsupported"


def test_encrypted_pdf_is_a_clear_error_naming_file_reason_and_hint() -> None:
    import pypdfium2 as pdfium

    data = (DOCS / "encrypted.pdf").read_bytes()
    # a real encrypted PDF: with its password the text is there
    unlocked = pdfium.PdfDocument(data, password="fzcompare")
    assert "80 cases" in unlocked[0].get_textpage().get_text_range()
    unlocked.close()
    with pytest.raises(ExtractionError) as caught:
        extract(DOCS / "encrypted.pdf")
    error = caught.value
    assert error.details["reason"] == "encrypted"
    assert str(DOCS / "encrypted.pdf") in error.message and "password" in error.message
    assert error.hint is not None and "password" in error.hint


def test_encrypted_pdf_in_a_batch_fails_alone(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from fzcompare.cli import main

    out = tmp_path / "out.csv"
    code = main(["extract", str(DOCS / "encrypted.pdf"), str(DOCS / "table.docx"),
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1  # the CLI's table: 1 = a file failed
    assert "encrypted.pdf" in err and "password-protected" in err and "(encrypted)" in err
    assert "hint: remove the password" in err
    assert "1 failed" in err
    assert out.read_text("utf-8").count("\n") == 4  # header + the DOCX's three figures


def test_pdf_with_one_scanned_page_warns_for_that_page_only() -> None:
    mixed = extract(DOCS / "shiyan-2023.mixed.pdf")
    scans = [w.message for w in mixed.warnings if w.code == "no_text_layer"]
    assert scans == [f"page 2 of 6: {NO_TEXT_LAYER}; its figures are not read"]
    full = extract(DOCS / "shiyan-2023.pdf").observations
    # exactly the figures of the typeset pages, nothing invented for the scanned one
    kept = full.filter(pl.col("page") != 2).select("indicator_code", "value", "page")
    got = mixed.observations.select("indicator_code", "value", "page")
    assert sorted(got.rows()) == sorted(kept.rows())
    assert full.filter(pl.col("page") == 2).height > 0
