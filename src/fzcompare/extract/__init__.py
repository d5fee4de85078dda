"""Report text -> observations: normalisation, document structure, figures and mapping.

``extract`` reads one annual 法治政府建设 report (text, bytes or a path) and returns an
``ExtractionResult``; ``evaluate`` scores extracted observations against a gold table.
See ``docs/extraction.md``.
"""

from __future__ import annotations

from fzcompare.extract._document import DocumentInfo, decode_report
from fzcompare.extract._evaluate import Evaluation, evaluate, load_gold
from fzcompare.extract._extract import extract, resolve_region
from fzcompare.extract._normalize import MojibakeSpan, NormalizedText, find_mojibake, normalize
from fzcompare.extract._numbers import NumberMatch, find_numbers, parse_figure
from fzcompare.extract._result import RESULT_SCHEMA, ExtractionResult, ExtractionWarning

__all__ = [
    "RESULT_SCHEMA",
    "DocumentInfo",
    "Evaluation",
    "ExtractionResult",
    "ExtractionWarning",
    "MojibakeSpan",
    "NormalizedText",
    "NumberMatch",
    "decode_report",
    "evaluate",
    "extract",
    "find_mojibake",
    "find_numbers",
    "load_gold",
    "normalize",
    "parse_figure",
    "resolve_region",
]
