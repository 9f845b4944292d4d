"""The bundled library as `warroom list` prints it."""

from __future__ import annotations

from .tables import table

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
        lines.append(f"{_PLURAL.get(kind, kind)}:")
        if of_kind:
            lines.append(table(None, [[e.name, e.title] for e in of_kind], "ll", indent="  "))
    return "\n".join(lines)
