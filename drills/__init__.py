"""The live exercise: a SimPy world driven by a clock or a script, injects, participant
actions, the SQLite journal, scoring, and the facilitator console."""

from .engine import Drill, DrillSetup
from .errors import ActionRejected, DrillError
from .events import DrillEvent
from .journal import JOURNAL_FORMAT, Journal
from .scoring import SCORECARD_FORMAT, Scorecard, score
from .scripted import play, rehearse
from .session import DrillDocuments, DrillSession
from .store import DEFAULT_STORE, DrillStore

__all__ = [
    "Drill", "DrillSetup", "ActionRejected", "DrillError", "DrillEvent", "JOURNAL_FORMAT", "Journal",
    "SCORECARD_FORMAT", "Scorecard", "score", "play", "rehearse", "DrillDocuments", "DrillSession",
    "DEFAULT_STORE", "DrillStore",
]
