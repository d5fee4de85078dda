"""Reading a dataset from object storage: a real S3 API (moto's server) on the loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.schema import KEY_COLUMNS

BUCKET = "fz-data"


@pytest.fixture(scope="module")
def s3_dataset() -> Iterator[tuple[str, dict[str, str]]]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              **credentials)
        client.create_bucket(Bucket=BUCKET)
        root = Path("datasets/real")
        for path in sorted(root.rglob("*")):
            if path.is_file():
                client.upload_file(str(path), BUCKET, f"real/{path.relative_to(root).as_posix()}")
        options = {"aws_endpoint_url": endpoint, "aws_region": "us-east-1",
                   "aws_allow_http": "true", **credentials}
        yield f"s3://{BUCKET}/real", options
    finally:
        server.stop()


def test_load_from_s3_equals_local(s3_dataset: tuple[str, dict[str, str]]) -> None:
    url, options = s3_dataset
    remote = store.load(url, storage_options=options).sort(list(KEY_COLUMNS))
    local = store.load("datasets/real").sort(list(KEY_COLUMNS))
    assert remote.equals(local)


def test_lazy_scan_from_s3_prunes_by_year(s3_dataset: tuple[str, dict[str, str]]) -> None:
    url, options = s3_dataset
    lazy = store.scan(url, storage_options=options).filter(pl.col("year") == 2023)
    assert lazy.collect().height == store.load("datasets/real").filter(
        pl.col("year") == 2023).height


def test_sources_from_s3(s3_dataset: tuple[str, dict[str, str]]) -> None:
    url, options = s3_dataset
    assert store.load_sources(url, storage_options=options).equals(
        store.load_sources("datasets/real"))


def test_write_to_s3_commits_and_reads_back(s3_dataset: tuple[str, dict[str, str]],
                                            obs_frame: pl.DataFrame,
                                            source_row: dict[str, object]) -> None:
    """Writes go to the S3 API too; commits there use S3's conditional put (If-None-Match)."""
    url, options = s3_dataset
    target = url.replace("/real", "/written")
    safe = {**options, "aws_conditional_put": "etag"}
    report = store.write_observations(obs_frame, target, sources=pl.DataFrame([source_row]),
                                      storage_options=safe)
    assert (report.added, report.version) == (3, 0)
    again = store.write_observations(obs_frame.with_columns(pl.col("value") + 1), target,
                                     storage_options=safe)
    assert (again.replaced, again.version) == (3, 1)
    assert store.load(target, storage_options=safe)["value"].sort().to_list() == [
        32.0, 401.0, 430.0]
    assert store.load(target, version=0, storage_options=safe)["value"].sort().to_list() == [
        31.0, 400.0, 429.0]
    assert store.load_sources(target, storage_options=safe)["source_id"].to_list() == [
        "test-src"]
