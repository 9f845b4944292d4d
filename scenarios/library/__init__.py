"""The bundled documents: scenarios, staffing options and the default playbook.

A command-line argument naming a document is a path if such a file exists, otherwise the
name of a bundled document (its file name without `.yaml`, or one of its `aliases`).

The library is indexed once per process (each file's kind, name, title and aliases, read
with libyaml's fast plain parser where available); documents are validated only when
asked for, and each bundled document at most once per process (they are immutable).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import DocumentError, Problem

__all__ = ["LIBRARY", "LibraryEntry", "index", "bundled", "resolve", "DEFAULT_PLAYBOOK"]

LIBRARY = Path(__file__).resolve().parent
DEFAULT_PLAYBOOK = "itil-major-incident"
_PLAIN = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LibraryEntry:
    """What the index knows of one bundled file without validating it."""

    name: str  # the file stem: what users type
    path: Path
    kind: str | None
    title: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=1)
def index() -> tuple[LibraryEntry, ...]:
    """Every bundled document, in file-name order."""
    entries = []
    for path in sorted(LIBRARY.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_PLAIN)
        except yaml.YAMLError:
            data = None
        data = data if isinstance(data, dict) else {}
        aliases = data.get("aliases") if isinstance(data.get("aliases"), list) else []
        entries.append(LibraryEntry(path.stem, path, data.get("kind"), str(data.get("title") or ""),
                                    tuple(str(a) for a in aliases)))
    return tuple(entries)


def bundled(kind: str | None = None) -> dict[str, Path]:
    """Bundled document names (file stem) -> path, optionally of one kind."""
    return {e.name: e.path for e in index() if kind is None or e.kind == kind}


@lru_cache(maxsize=None)
def _load_bundled(path: Path, kind: str):
    from ..loader import load  # the loader imports the document models: only when a document is needed

    return load(path, expect=kind)


def resolve(name_or_path: str | Path, kind: str):
    """Load a document given as a path or a bundled name; unknown names list the bundled ones.
    Returns a `Loaded`."""
    from ..loader import load

    path = Path(name_or_path)
    if path.exists():
        return load(path, expect=kind)
    wanted = str(name_or_path)
    of_kind = [e for e in index() if e.kind == kind]
    for entry in of_kind:
        if wanted == entry.name:
            return _load_bundled(entry.path, kind)
    for entry in of_kind:
        if wanted in entry.aliases:
            return _load_bundled(entry.path, kind)
    known = ", ".join(e.name for e in of_kind) or "none"
    raise DocumentError([
        Problem(wanted, None, "", f"no such file, and no bundled {kind} of that name (bundled: {known})")
    ])
