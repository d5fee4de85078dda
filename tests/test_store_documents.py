"""The documents table: every stored quote can be cut out of its stored document again."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from deltalake import write_deltalake

from fzcompare import store
from fzcompare.errors import InvalidArgumentError, SchemaError
from fzcompare.extract import ExtractionResult, extract, normalize
from fzcompare.extract._readers import read_document
from fzcompare.schema import KEY_COLUMNS
from fzcompare.store._layout import DOCUMENTS, OBSERVATIONS, table_uri
from fzcompare.store._tables import PARTITION_BY
from fzcompare.store._write import stored

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "tests" / "fixtures" / "documents"
SEED_FILES = {"txt": ROOT / "datasets" / "raw" / "shiyan-2023.report.txt",
              "html": DOCS / "shiyan-2023.html", "pdf": DOCS / "shiyan-2023.pdf",
              "docx": DOCS / "shiyan-2023.docx"}


def _rows(result: ExtractionResult) -> pl.DataFrame:
    """The observations with their spans and pages, as ``extract --into`` writes them."""
    return result.data_model(provenance=True)


def _document(path: Path, result: ExtractionResult) -> pl.DataFrame:
    """The documents row, built again from the file by the reader (it equals the result's)."""
    read = read_document(path.read_bytes(), name=str(path))
    row = store.document_row(read.text, sha256=read.sha256,
                             source_id=result.document.source_id, file_type=read.kind,
                             encoding=read.encoding, page_starts=read.page_starts)
    assert row.equals(result.documents)
    return row


def _write(path: Path, dataset: Path) -> tuple[ExtractionResult, store.WriteReport]:
    result = extract(path)
    report = store.write_observations(_rows(result), dataset, sources=result.sources,
                                      documents=_document(path, result))
    return result, report


@pytest.mark.parametrize("kind", sorted(SEED_FILES))
def test_every_stored_quote_is_rederived_from_the_stored_text(kind: str,
                                                             tmp_path: Path) -> None:
    result, _ = _write(SEED_FILES[kind], tmp_path / "ds")
    contexts = store.quote_contexts(tmp_path / "ds")
    assert contexts.height == result.observations.height == store.load(tmp_path / "ds").height
    for span_text, quote in contexts.select("span_text", "quote").iter_rows():
        assert normalize(span_text).text == quote
    stored = store.load_documents(tmp_path / "ds").row(0, named=True)
    assert stored["file_type"] == ("text" if kind == "txt" else kind)
    assert stored["sha256"] == result.document.sha256
    assert stored["n_chars"] == len(stored["text"])
    if kind == "pdf":
        assert contexts["page"].null_count() == 0 and contexts["page"].max() == 6
        starts = stored["page_starts"]
        for start, page in contexts.select("span_start", "page").iter_rows():
            assert starts[page - 1] <= start and (page == len(starts) or start < starts[page])
    else:
        assert contexts["page"].null_count() == contexts.height


def test_quote_context_of_one_observation(tmp_path: Path) -> None:
    result, _ = _write(SEED_FILES["pdf"], tmp_path / "ds")
    row = result.observations.filter(pl.col("mapped")).row(5, named=True)
    context = store.quote_context(tmp_path / "ds", margin=10, **{k: row[k] for k in KEY_COLUMNS})
    text = store.load_documents(tmp_path / "ds")["text"][0]
    assert context.span_text == text[row["span_start"]:row["span_end"]]
    assert context.before == text[row["span_start"] - 10:row["span_start"]]
    assert context.after == text[row["span_end"]:row["span_end"] + 10]
    assert context.page == row["page"] and context.quote == row["quote"]
    assert f"[{context.span_text}]" in str(context)


def test_writing_the_same_report_again_commits_nothing(tmp_path: Path) -> None:
    _write(SEED_FILES["html"], tmp_path / "ds")
    versions = [store.current_version(tmp_path / "ds"),
                len(store.load_documents(tmp_path / "ds", with_text=False))]
    documents_before = len(list((tmp_path / "ds" / DOCUMENTS / "_delta_log").glob("*.json")))
    _, report = _write(SEED_FILES["html"], tmp_path / "ds")
    assert (report.added, report.replaced) == (0, 0)
    assert [store.current_version(tmp_path / "ds"),
            len(store.load_documents(tmp_path / "ds", with_text=False))] == versions
    assert len(list((tmp_path / "ds" / DOCUMENTS / "_delta_log").glob("*.json"))) \
        == documents_before


def test_two_documents_are_two_rows_and_a_changed_text_replaces_its_row(
        tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    _write(SEED_FILES["html"], ds)
    result, _ = _write(SEED_FILES["docx"], ds)
    assert store.load_documents(ds)["file_type"].sort().to_list() == ["docx", "html"]
    changed = _document(SEED_FILES["docx"], result).with_columns(
        pl.lit("another reading").alias("text"), pl.lit("0" * 64).alias("text_sha256"))
    store.write_observations(_rows(result).head(0), ds, documents=changed)
    texts = dict(store.load_documents(ds).select("file_type", "text").iter_rows())
    assert texts["docx"] == "another reading" and texts["html"].startswith("十堰市")


def test_a_table_written_before_spans_were_kept_gains_them(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    result = extract(SEED_FILES["txt"])
    old_columns = [c for c in store.STORED_SCHEMA if c not in store.PROVENANCE_SCHEMA]
    old = stored(result.data_model()).select(old_columns)
    (ds / OBSERVATIONS).mkdir(parents=True)
    write_deltalake(table_uri(ds, OBSERVATIONS), old.to_arrow(), partition_by=PARTITION_BY)
    store.write_observations(result.data_model().head(0), ds, sources=result.sources)
    assert store.load(ds).height == result.observations.height  # old table loads
    assert store.quote_contexts(ds).height == 0  # no spans yet: nothing to cut out
    report = store.write_observations(_rows(result), ds,
                                      documents=_document(SEED_FILES["txt"], result))
    assert report.replaced == result.observations.height  # same values, spans added
    assert report.added == 0
    assert store.quote_contexts(ds).height == result.observations.height


def test_rows_without_a_document_and_unknown_keys_are_clear_errors(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    result = extract(SEED_FILES["txt"])
    store.write_observations(result.data_model(), ds, sources=result.sources)
    row = result.observations.row(0, named=True)
    key = {k: row[k] for k in KEY_COLUMNS}
    with pytest.raises(SchemaError) as caught:
        store.quote_context(ds, **key)
    assert caught.value.details["reason"] == "no_span" and caught.value.hint
    with pytest.raises(InvalidArgumentError, match="no active observation"):
        store.quote_context(ds, **{**key, "year": 2022})
    with pytest.raises(InvalidArgumentError):
        store.quote_contexts(ds, margin=-1)


@pytest.mark.parametrize(("spans", "reason"), [
    ({"span_start": [5], "span_end": [2], "page": [1]}, "bad_span"),
    ({"span_start": [-1], "span_end": [2], "page": [None]}, "bad_span"),
    ({"span_start": [1], "span_end": [None], "page": [None]}, "bad_span"),
    ({"span_start": [1], "span_end": [2], "page": [0]}, "bad_span"),
    ({"span_start": ["x"], "span_end": [2], "page": [1]}, "wrong_type"),
])
def test_bad_spans_are_refused_and_nothing_is_written(spans: dict[str, list[object]],
                                                      reason: str, tmp_path: Path) -> None:
    result = extract(SEED_FILES["txt"])
    row = result.data_model().head(1)
    bad = pl.concat([row, pl.DataFrame(spans, strict=False)], how="horizontal")
    with pytest.raises(SchemaError) as caught:
        store.write_observations(bad, tmp_path / "ds", sources=result.sources)
    assert caught.value.details["reason"] == reason and caught.value.hint
    assert not (tmp_path / "ds" / OBSERVATIONS).exists()


def test_a_document_key_must_be_a_file_hash(tmp_path: Path) -> None:
    result = extract(SEED_FILES["txt"])
    document = _document(SEED_FILES["txt"], result).with_columns(pl.lit("abc").alias("sha256"))
    with pytest.raises(SchemaError) as caught:
        store.write_observations(result.data_model(), tmp_path / "ds",
                                 sources=result.sources, documents=document)
    assert caught.value.details["reason"] == "bad_key"
    assert not (tmp_path / "ds" / OBSERVATIONS).exists()
    assert not (tmp_path / "ds" / DOCUMENTS).exists()


def test_extract_into_keeps_documents_and_spans(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from fzcompare.cli import main

    ds = tmp_path / "ds"
    files = [SEED_FILES["pdf"], DOCS / "table.docx"]
    code = main(["extract", *map(str, files), "--region", "420300", "--year", "2023",
                 "--into", str(ds), "-o", str(tmp_path / "out.csv")])
    assert code == 0, capsys.readouterr().err
    documents = store.load_documents(ds)
    assert sorted(documents["file_type"]) == ["docx", "pdf"]
    contexts = store.quote_contexts(ds)
    assert contexts.height == store.load(ds).height > 90
    assert all(normalize(t).text == q for t, q in contexts.select("span_text",
                                                                  "quote").iter_rows())
    assert contexts.filter(pl.col("file_type") == "pdf")["page"].null_count() == 0


def test_a_report_given_as_text_has_no_document() -> None:
    result = extract("十堰市人民政府关于2023年法治政府建设情况的报告\n纠错9件。")
    assert result.documents.height == 0
    assert result.documents.schema == pl.Schema(store.DOCUMENT_SCHEMA)


def test_a_new_document_is_appended_without_rewriting_the_others(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    _write(SEED_FILES["html"], ds)
    _write(SEED_FILES["docx"], ds)
    log = "".join(p.read_text("utf-8")
                  for p in sorted((ds / DOCUMENTS / "_delta_log").glob("*.json")))
    assert '"remove"' not in log  # no stored text was read back and written again


def test_a_document_landed_twice_gives_one_context_per_observation(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    result, _ = _write(SEED_FILES["txt"], ds)
    # what two writers appending the same new file at the same moment leave behind
    write_deltalake(table_uri(ds, DOCUMENTS), result.documents.to_arrow(), mode="append")
    assert store.quote_contexts(ds).height == result.observations.height
    assert store.load_documents(ds).height == 1


def test_replacing_the_observations_keeps_the_spans_of_rows_it_repeats(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    _write(SEED_FILES["pdf"], ds)
    kept = store.load(ds).head(50)  # the data model only, as a user reloads it
    store.replace_observations(kept, ds)
    contexts = store.quote_contexts(ds)
    assert contexts.height == 50
    assert all(normalize(t).text == q for t, q in contexts.select("span_text",
                                                                  "quote").iter_rows())
    changed = kept.with_columns(pl.lit("another quote").alias("quote"))
    store.replace_observations(changed, ds)
    assert store.quote_contexts(ds).height == 0  # a new quote: its old span is not kept
