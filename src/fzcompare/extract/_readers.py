"""Document readers: a report file (HTML page, PDF, DOCX or text) -> its text and metadata.

The kind of a file is read from its bytes (magic numbers, markup), not from its suffix.
Every reader returns a ``ReadDocument`` whose ``text`` is what the extractor reads: the
spans of the observations point into it, and it is reproducible from the file (same
bytes, same library versions -> same text), identified by the file's SHA-256.
"""

from __future__ import annotations

import bisect
import codecs
import dataclasses
import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from fzcompare.errors import ExtractionError
from fzcompare.extract._document import DocumentInfo, decode_report

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from pypdfium2 import PdfDocument

__all__ = ["FileKind", "ReadDocument", "read_document", "sniff_kind", "with_file_facts"]

FileKind = Literal["text", "html", "pdf", "docx"]

NO_TEXT_LAYER: Final[str] = "scanned, no text layer; OCR is not done"
_OLE_MAGIC: Final[bytes] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_CUES: Final[re.Pattern[bytes]] = re.compile(
    rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta\s|<title>|<div[\s>]|<p>",
    re.I)
_META_CHARSET: Final[re.Pattern[bytes]] = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SAVED_FROM: Final[re.Pattern[str]] = re.compile(r"saved from url=\(\d+\)(\S+?)\s*-->")
_PUBLISHED_LINE: Final[re.Pattern[str]] = re.compile(
    r"(?:发布时间|發布時間|发布日期|發布日期)\s*[:：]?\s*((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_ISO_DAY: Final[re.Pattern[str]] = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_DATE_METAS: Final[tuple[str, ...]] = (
    "pubdate", "publishdate", "article:published_time", "firstpublishedtime", "dc.date",
    "dcterms.issued", "date")
_TITLE_METAS: Final[tuple[str, ...]] = ("articletitle", "og:title", "dc.title", "title")
_SENTENCE_END: Final[str] = "。！？；：!?;:"
_HEADING_START: Final[re.Pattern[str]] = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d{1,2}[、．]|\d{1,2}\.(?!\d))")
# GB2312 and GBK pages decode as GB18030, their superset (a GBK page often holds
# characters outside GB2312).
_CHARSET_ALIASES: Final[dict[str, str]] = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030",
    "cp936": "gb18030"}


@dataclass(frozen=True, slots=True)
class ReadDocument:
    """The text of a report file and what the file says about itself.

    Attributes:
        text: The extracted text (the observations' spans point into it).
        kind: ``text``, ``html``, ``pdf`` or ``docx``.
        sha256: Hex SHA-256 of the file's bytes.
        encoding: The character encoding (text and HTML), else None.
        title: The title from ``<title>``/``<h1>``/meta or the document properties.
        published: The publication date from meta or the 发布时间 line.
        url: The page's address when the saved page records it.
        page_starts: For a PDF, the offset in ``text`` where each page starts.
        warnings: ``(code, message)`` pairs, e.g. ``no_text_layer``.
    """

    text: str
    kind: FileKind
    sha256: str
    encoding: str | None = None
    title: str | None = None
    published: dt.date | None = None
    url: str | None = None
    page_starts: tuple[int, ...] = ()
    warnings: tuple[tuple[str, str], ...] = ()

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding ``offset`` of the text (None when not paged).

        Examples:
            >>> doc = ReadDocument("ab\\ncd", "pdf", "0" * 64, page_starts=(0, 3))
            >>> doc.page_of(1), doc.page_of(4), ReadDocument("x", "text", "").page_of(0)
            (1, 2, None)
        """
        if not self.page_starts:
            return None
        return max(bisect.bisect_right(self.page_starts, offset), 1)


def _fail(name: str, reason: str, message: str, hint: str) -> ExtractionError:
    return ExtractionError(f"{name}: {message}", reason=reason, path=name, hint=hint)


def sniff_kind(data: bytes, *, name: str = "<bytes>") -> FileKind:
    """The kind of a report file, read from its first bytes.

    Raises:
        ExtractionError: ``reason`` ``encrypted`` (a password-protected Office file),
            ``unsupported`` (a spreadsheet, an old .doc/.wps, an image ...).

    Examples:
        >>> sniff_kind(b"%PDF-1.7"), sniff_kind(b"<!DOCTYPE html>"), sniff_kind("报告".encode())
        ('pdf', 'html', 'text')
    """
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise _fail(name, "corrupt", "a damaged ZIP/Office file (cannot be opened)",
                        "save the document again (DOCX) and retry") from None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            raise _fail(name, "unsupported", "a spreadsheet, not a report document",
                        "read indicator tables with `fzcompare import`")
        raise _fail(name, "unsupported", "a ZIP file that is not a DOCX document",
                    "pass an HTML, PDF, DOCX or text report")
    if data.startswith(_OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise _fail(name, "encrypted", "a password-protected Office file",
                        "remove the password (save without encryption) and retry")
        raise _fail(name, "unsupported", "an old Office/WPS binary file (.doc/.wps/.xls)",
                    "save it as DOCX (Word or WPS: Save As .docx) and retry")
    head = data[:4096].lstrip(codecs.BOM_UTF8)
    if _HTML_CUES.search(head[:2048]):
        return "html"
    return "text"


def read_document(data: bytes, *, name: str = "<bytes>") -> ReadDocument:
    """Read a report file of any supported kind.

    Args:
        data: The file's bytes.
        name: The file name, used in error messages.

    Returns:
        The text and metadata of the report.

    Raises:
        ExtractionError: The file is empty, encrypted, damaged or of an unsupported kind.

    Examples:
        >>> page = ("<html><head><meta charset='gbk'><title>报告_某市</title></head><body>"
        ...         "<h1>某市关于2023年法治政府建设情况的报告</h1><p>纠错9件。</p></body></html>")
        >>> doc = read_document(page.encode("gbk"))
        >>> doc.kind, doc.encoding, doc.title
        ('html', 'gb18030', '某市关于2023年法治政府建设情况的报告')
    """
    if not data.strip():
        raise _fail(name, "empty", "the file is empty", "pass the file of a report")
    kind = sniff_kind(data, name=name)
    digest = hashlib.sha256(data).hexdigest()
    if kind == "pdf":
        return _read_pdf(data, name=name, digest=digest)
    if kind == "docx":
        return _read_docx(data, name=name, digest=digest)
    if kind == "html":
        return _read_html(data, name=name, digest=digest)
    text, encoding = decode_report(data, name=name)
    return ReadDocument(text=text, kind="text", sha256=digest, encoding=encoding)


def with_file_facts(info: DocumentInfo, read: ReadDocument) -> DocumentInfo:
    """The document info with the file's kind, hash and address.

    Title and date come from the file's metadata where the text gave none.
    """
    return dataclasses.replace(
        info, file_type=read.kind, sha256=read.sha256, url=read.url,
        published=info.published or read.published)


# --- HTML -------------------------------------------------------------------------------


def _decode_html(data: bytes, name: str) -> tuple[str, str]:
    match = _META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii").lower() if match else None
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig"), "utf-8-sig"
    if declared is not None:
        encoding = _CHARSET_ALIASES.get(declared, declared)
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: fall back to detection
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise _fail(name, "unknown_encoding", "the page is neither UTF-8 nor GB18030 and "
                    "declares no usable charset", "save the page as UTF-8") from None


def _meta(tree: HtmlElement, keys: tuple[str, ...]) -> str | None:
    for element in tree.iter("meta"):
        key = (element.get("name") or element.get("property") or "").strip().lower()
        if key in keys and (element.get("content") or "").strip():
            return str(element.get("content")).strip()
    return None


def _day(text: str | None) -> dt.date | None:
    match = _ISO_DAY.search(text or "")
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _page_url(tree: HtmlElement, html_text: str) -> str | None:
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            return str(link.get("href"))
    og_url = _meta(tree, ("og:url",))
    if og_url:
        return og_url
    saved = _SAVED_FROM.search(html_text[:2048])
    return saved.group(1) if saved else None


def _page_title(tree: HtmlElement) -> str | None:
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        if text:
            return text
    title = _meta(tree, _TITLE_METAS)
    if title:
        return title
    for element in tree.iter("title"):
        text = " ".join(element.text_content().split())
        if text:  # a <title> often ends with the site's name: 报告_某市人民政府
            return re.split(r"\s*[_|－—-]{1,2}\s*(?=[^_|－—-]*$)", text)[0] or text
    return None


def _read_html(data: bytes, *, name: str, digest: str) -> ReadDocument:
    # Heavy imports: lxml and trafilatura load only when an HTML page is read.
    import lxml.html
    import trafilatura

    html_text, encoding = _decode_html(data, name)
    tree = lxml.html.document_fromstring(html_text)
    title = _page_title(tree)
    body = trafilatura.extract(html_text, output_format="txt", include_tables=True,
                               include_comments=False, favor_recall=True,
                               deduplicate=False) or ""
    warnings: list[tuple[str, str]] = []
    if not body.strip():
        warnings.append(("no_main_text", "no main text found in the page"))
    whole = " ".join(tree.text_content().split())
    published = _day(_meta(tree, _DATE_METAS))
    if published is None:
        match = _PUBLISHED_LINE.search(whole)
        published = _day(match.group(0)) if match else None
    text = body.strip()
    if title and title not in text[: len(title) + 200]:
        text = f"{title}\n{text}"
    return ReadDocument(text=text + "\n", kind="html", sha256=digest, encoding=encoding,
                        title=title, published=published, url=_page_url(tree, html_text),
                        warnings=tuple(warnings))


# --- PDF --------------------------------------------------------------------------------


_PAGE_NUMBER_LINE: Final[re.Pattern[str]] = re.compile(
    r"^[-—–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*/\s*\d{1,4})?[-—–\s]*$")


@dataclass(frozen=True, slots=True)
class _Line:
    """A line of a PDF page and the x coordinates where it starts and ends."""

    text: str
    left: float
    right: float


def join_wrapped_lines(lines: list[tuple[str, float, float]], *, em: float) -> list[str]:
    """Join the lines of PDF pages back into paragraphs.

    A line ends its paragraph when it ends with sentence punctuation or stops clearly short
    of the right margin (more than 1.5 ``em`` before the rightmost line end, unless a
    number goes on in the next line), or when the next line starts a numbered heading or is
    indented.

    Args:
        lines: ``(text, left, right)`` per line, in reading order.
        em: The width of one full-width character, in the same units.

    Returns:
        One string per line, each ending with ``"\\n"`` (paragraph end) or ``""``.

    Examples:
        >>> rows = [("全年办结行政复议案件", 0, 100), ("80件。", 0, 30), ("一、总体情况", 0, 60),
        ...         ("纠错9件", 0, 40)]
        >>> "".join(join_wrapped_lines(rows, em=10))
        '全年办结行政复议案件80件。\\n一、总体情况\\n纠错9件\\n'
    """
    items = [_Line(t.strip(), left, right) for t, left, right in lines if t.strip()]
    margin = max((line.right for line in items), default=0.0)
    indent = min((line.left for line in items), default=0.0)
    out: list[str] = []
    for i, line in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        if nxt is None:
            out.append(line.text + "\n")
            break
        # A number never spans two paragraphs, whatever the line's length.
        split_number = line.text[-1].isdigit() and nxt.text[0] in "0123456789.%"
        ends = (line.text[-1] in _SENTENCE_END
                or (line.right < margin - 1.5 * em and not split_number)
                or bool(_HEADING_START.match(nxt.text)) or nxt.left > indent + 1.5 * em)
        out.append(line.text + ("\n" if ends else ""))
    return out


def _page_lines(textpage: object) -> tuple[list[tuple[str, float, float]], float]:
    """The lines of a page with their left and right x, and the page's median char width."""
    text: str = textpage.get_text_range()  # type: ignore[attr-defined]
    count: int = textpage.count_chars()  # type: ignore[attr-defined]
    lines: list[tuple[str, float, float]] = []
    widths: list[float] = []
    position = 0
    for raw_line in text.replace("\r\n", "\n\x00").split("\n"):
        # "\r\n" are two generated chars in pdfium's index: the \x00 keeps the count.
        line = raw_line.lstrip("\x00")
        first = position + (len(raw_line) - len(line.lstrip()))
        position += len(raw_line) + 1
        line = line.strip()
        if not line or _PAGE_NUMBER_LINE.match(line):
            continue
        if len(text) == count:
            left = textpage.get_charbox(first)[0]  # type: ignore[attr-defined]
            last = position - 2 - (len(raw_line) - len(raw_line.rstrip()))
            right = textpage.get_charbox(last)[2]  # type: ignore[attr-defined]
            widths.extend(textpage.get_charbox(k)[2] - textpage.get_charbox(k)[0]  # type: ignore[attr-defined]
                          for k in range(first, min(first + 4, last + 1)))
        else:  # characters outside the BMP shift pdfium's index: fall back to lengths
            left, right = 0.0, float(len(line))
            widths.append(1.0)
        lines.append((line, left, right))
    widths.sort()
    return lines, widths[len(widths) // 2] if widths else 1.0


def _open_pdf(data: bytes, name: str) -> PdfDocument:
    # Heavy import: pypdfium2 (a native library) loads only when a PDF is read.
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise _fail(name, "encrypted", "the PDF is password-protected (encrypted); its "
                        "text cannot be read without the password",
                        "remove the password (open it with the password and print or "
                        "save it to a new PDF without protection) and retry") from None
        raise _fail(name, "corrupt", f"the PDF cannot be opened ({error})",
                    "download or export the PDF again") from None


@dataclass(frozen=True, slots=True)
class _PdfPages:
    """The lines of every page, where each page's lines start, and the scanned pages."""

    lines: list[tuple[str, float, float]]
    first_line: list[int]
    em: float
    scanned: list[int]


def _pdf_pages(pdf: PdfDocument) -> _PdfPages:
    import pypdfium2.raw as pdfium_c  # heavy, see _open_pdf

    lines: list[tuple[str, float, float]] = []
    first_line: list[int] = []
    ems: list[float] = [1.0]
    scanned: list[int] = []
    for index in range(len(pdf)):
        page = pdf[index]
        textpage = page.get_textpage()
        page_lines, em = _page_lines(textpage)
        if not page_lines and any(True for _ in page.get_objects(
                filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3)):
            scanned.append(index + 1)
        textpage.close()
        page.close()
        first_line.append(len(lines))
        lines.extend(page_lines)
        ems.append(em)
    return _PdfPages(lines, first_line, max(ems), scanned)


def _scan_warnings(scanned: list[int], n_pages: int, text: str) -> tuple[tuple[str, str], ...]:
    """One warning for a PDF without any text; else one per scanned page."""
    if not text.strip():
        return (("no_text_layer", NO_TEXT_LAYER),)
    return tuple(("no_text_layer", f"page {page} of {n_pages}: {NO_TEXT_LAYER}; its figures "
                  "are not read") for page in scanned)


def _read_pdf(data: bytes, *, name: str, digest: str) -> ReadDocument:
    pdf = _open_pdf(data, name)
    try:
        pages = _pdf_pages(pdf)
        n_pages = len(pdf)
    finally:
        pdf.close()
    joined = join_wrapped_lines(pages.lines, em=pages.em)
    offsets = [0]
    for piece in joined:
        offsets.append(offsets[-1] + len(piece))
    text = "".join(joined)
    return ReadDocument(text=text, kind="pdf", sha256=digest,
                        page_starts=tuple(offsets[k] for k in pages.first_line),
                        warnings=_scan_warnings(pages.scanned, n_pages, text))


# --- DOCX -------------------------------------------------------------------------------

_HEADER_UNIT: Final[re.Pattern[str]] = re.compile(r"[(（]([^()（）]{1,6})[)）]\s*$")


def flatten_row(header: list[str], row: list[str]) -> str:
    """One table row as a sentence: its label, then each cell after its column header.

    A bare number under a header that names a unit (``数量（件）``) gets that unit, so the
    figure keeps both its row label and its unit as context.

    Examples:
        >>> flatten_row(["指标", "数量（件）", "备注"], ["办结行政复议案件", "80", "全市"])
        '办结行政复议案件数量80件 备注全市。'
        >>> flatten_row([], ["纠错率", "11.25%"])
        '纠错率11.25%。'
    """
    label, *cells = (cell.strip() for cell in row)
    pieces: list[str] = []  # after the label and each other: a space, not a clause mark
    for j, cell in enumerate(cells, start=1):
        if not cell:
            continue
        head = header[j].strip() if j < len(header) else ""
        unit_match = _HEADER_UNIT.search(head)
        unit = unit_match.group(1) if unit_match else ""
        head = head[: unit_match.start()] if unit_match else head
        value = cell + unit if unit and re.fullmatch(r"[\d.,]+", cell) else cell
        pieces.append(f"{head}{value}" if head and head != label else value)
    return f"{label}{' '.join(pieces)}。" if pieces else label


def _read_docx(data: bytes, *, name: str, digest: str) -> ReadDocument:
    # Heavy import: python-docx loads only when a DOCX is read.
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises KeyError/ValueError/BadZipFile alike
        raise _fail(name, "corrupt", f"the DOCX cannot be read ({type(error).__name__}: "
                    f"{error})", "save the document again as DOCX and retry") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if block.text.strip():
                lines.append(block.text.strip())
        elif isinstance(block, Table):
            rows = [[cell.text for cell in row.cells] for row in block.rows]
            if not rows:
                continue
            header, *body = rows
            lines.extend(flatten_row(header, row) for row in body if any(c.strip() for c in row))
    title = (document.core_properties.title or "").strip() or None
    return ReadDocument(text="\n".join(lines) + "\n", kind="docx", sha256=digest, title=title)
