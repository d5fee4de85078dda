"""MkDocs hooks for the fzcompare site (configured in mkdocs.yml; not part of the site).

Docstrings use Sphinx roles (``:func:`trend```) in places; mkdocstrings renders them as the
literal role text before the code span. Drop the role so the API pages read cleanly.
"""

from __future__ import annotations

import re
from typing import Any

_SPHINX_ROLE = re.compile(r":(?:func|class|data|mod|meth|attr|exc|obj):(?=<code\b)")


def on_page_content(html: str, **_kwargs: Any) -> str:
    """Remove Sphinx role prefixes in front of inline code."""
    return _SPHINX_ROLE.sub("", html)
