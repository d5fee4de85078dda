"""Deterministic, self-contained benchmark reports (HTML, Markdown, JSON and tables)."""

from __future__ import annotations

from fzcompare.report._build import FORMATS, Report, build_report, write_report
from fzcompare.report._index import write_report_index
from fzcompare.report._render import safe_filename

__all__ = ["FORMATS", "Report", "build_report", "safe_filename", "write_report",
           "write_report_index"]
