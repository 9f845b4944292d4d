"""The live exercise: a SimPy world driven by a clock or a script, injects, participant
actions, the SQLite journal, scoring, and the facilitator console.

Names are imported on first use (PEP 562), so importing one light module of this
package does not load them all."""

from __future__ import annotations

from scenarios.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
