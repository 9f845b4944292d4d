"""The live exercise: a SimPy world driven by a clock or a script, injects, participant
actions, the SQLite journal, scoring, and the facilitator console.

Names are imported on first use (PEP 562), so importing one light module of this
package does not load them all."""

from __future__ import annotations

import importlib

from .errors import ActionRejected, DrillError

_LAZY = {
    "Drill": "engine",
    "DrillSetup": "engine",
    "DrillEvent": "events",
    "JOURNAL_FORMAT": "journal",
    "Journal": "journal",
    "SCORECARD_FORMAT": "scoring",
    "Scorecard": "scoring",
    "score": "scoring",
    "play": "scripted",
    "rehearse": "scripted",
    "DrillDocuments": "session",
    "DrillSession": "session",
    "DEFAULT_STORE": "store",
    "DrillStore": "store",
}

__all__ = ["Drill", "DrillSetup", "ActionRejected", "DrillError", "DrillEvent", "JOURNAL_FORMAT", "Journal", "SCORECARD_FORMAT", "Scorecard", "score", "play", "rehearse", "DrillDocuments", "DrillSession", "DEFAULT_STORE", "DrillStore"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
