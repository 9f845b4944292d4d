"""The bundled library as `warroom list` prints it."""

from __future__ import annotations

__all__ = ["library_text"]

_PLURAL = {"scenario": "scenarios", "staffing": "staffing options", "playbook": "playbooks",
           "roster": "rosters", "responses": "responses (scripted drills)",
           "improvement_plan": "improvement plans", "staffing_space": "staffing spaces (warroom optimize)"}


def library_text(kinds: tuple[str, ...], entries) -> str:
    """One section per document kind, each bundled document's name and title (entries are
    `scenarios.library.LibraryEntry`)."""
    lines = []
    for kind in kinds:
        of_kind = [e for e in entries if e.kind == kind]
        width = max((len(e.name) for e in of_kind), default=0)
        lines.append(f"{_PLURAL.get(kind, kind)}:")
        lines += [f"  {e.name:<{width}}  {e.title}" for e in of_kind]
    return "\n".join(lines)
