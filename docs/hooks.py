"""MkDocs hooks: the home page is the README (docs/index.md is its placeholder), with the
README's links into docs/ made relative to docs/ (``docs/ARCHITECTURE.md`` ->
``ARCHITECTURE.md``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri != "index.md":
        return markdown
    return re.sub(r"\]\(docs/", "](", README.read_text(encoding="utf-8"))
