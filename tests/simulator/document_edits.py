"""Documents edited for a test: one home for changing a bundled document's text by pattern."""

from __future__ import annotations

import re

from scenarios import load_text

__all__ = ["edited"]


def edited(loaded, *changes, name: str | None = None):
    """`loaded` (a Loaded document) with each (pattern, replacement) made exactly once
    (multiline regex). The document keeps its name, and so its random streams, unless `name`
    renames it."""
    text = loaded.text
    for pattern, replacement in changes:
        text, n = re.subn(pattern, replacement, text, count=1, flags=re.M)
        assert n == 1, pattern
    if name is not None:
        text = text.replace(f"name: {loaded.document.name}", f"name: {name}", 1)
    return load_text(text, f"{name or 'edited'}.yaml")
