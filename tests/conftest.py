"""Shared fixtures. Tests run from the repository root (bundled datasets are relative paths)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def _repo_root() -> None:
    os.chdir(REPO)


@pytest.fixture
def source_row() -> dict[str, object]:
    return {"source_id": "test-src", "title": "测试来源", "publisher": "tests",
            "published": None, "url": "", "kind": "report", "note": ""}


@pytest.fixture
def obs_rows() -> list[dict[str, object]]:
    base = {"scope": "全市", "unit": "件", "qualifier": "eq", "source_id": "test-src",
            "quote": ""}
    return [
        {**base, "region_code": "420300", "year": 2022, "indicator_code":
         "reconsideration_applications", "value": 400.0},
        {**base, "region_code": "420300", "year": 2023, "indicator_code":
         "reconsideration_applications", "value": 429.0},
        {**base, "region_code": "420322", "year": 2023, "indicator_code":
         "reconsideration_applications", "scope": "全县", "value": 31.0},
    ]


@pytest.fixture
def obs_frame(obs_rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(obs_rows)
