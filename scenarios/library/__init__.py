"""The bundled documents: scenarios, staffing options and the default playbook.

A command-line argument naming a document is a path if such a file exists, otherwise the
name of a bundled document.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DocumentError, Problem
from ..loader import Loaded, load, parse_yaml

__all__ = ["LIBRARY", "bundled", "resolve", "DEFAULT_PLAYBOOK"]

LIBRARY = Path(__file__).resolve().parent
DEFAULT_PLAYBOOK = "itil-major-incident"


def bundled(kind: str | None = None) -> dict[str, Path]:
    """Bundled document names (file stem) -> path, optionally of one kind."""
    out = {}
    for path in sorted(LIBRARY.glob("*.yaml")):
        if kind is not None:
            data, _ = parse_yaml(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("kind") != kind:
                continue
        out[path.stem] = path
    return out


def resolve(name_or_path: str | Path, kind: str) -> Loaded:
    """Load a document given as a path or a bundled name; unknown names list the bundled ones."""
    path = Path(name_or_path)
    if path.exists():
        return load(path, expect=kind)
    library = bundled(kind)
    if str(name_or_path) in library:
        return load(library[str(name_or_path)], expect=kind)
    for path in library.values():
        data, _ = parse_yaml(path.read_text(encoding="utf-8"))
        if str(name_or_path) in (data.get("aliases") or []):
            return load(path, expect=kind)
    known = ", ".join(library) or "none"
    raise DocumentError([
        Problem(str(name_or_path), None, "", f"no such file, and no bundled {kind} of that name (bundled: {known})")
    ])
