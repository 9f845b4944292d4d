"""The journal artifact (SPEC 3.6): a drill's record and its whole event log as JSON.

`warroom drill export` writes it; scoring and reports read it and nothing else, so a
journal file is enough to score or report on a drill anywhere. Format in
docs/reference/drills.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from scenarios import Loaded, load_text
from scenarios.formats import JOURNAL_FORMAT, JOURNAL_FORMATS_READ
from scenarios.version import TOOL_VERSION

from .errors import DrillError
from .events import DrillEvent
from .store import DrillRecord, DrillStore

__all__ = ["Journal", "JOURNAL_FORMAT"]



@dataclass(frozen=True)
class Journal:
    record: DrillRecord
    events: tuple[DrillEvent, ...]

    @classmethod
    def from_store(cls, store: DrillStore, drill_id: str) -> "Journal":
        record = store.get(drill_id)
        return cls(record, tuple(store.events(record.id)))

    def document(self, kind: str) -> Loaded | None:
        stored = self.record.document(kind)
        if stored is None:
            return None
        return load_text(stored["text"], stored["source"], expect=kind)

    @property
    def ended(self) -> bool:
        return self.record.status == "ended"

    def to_dict(self) -> dict:
        record = asdict(self.record)
        return {
            "format": JOURNAL_FORMAT,
            "tool_version": TOOL_VERSION,
            "exported_by_tool_version": TOOL_VERSION,
            "drill": record,
            "events": [e.to_dict() for e in self.events],
            # Events the store had to repair to serve them as JSON (normally none).
            "problems": [f"event {e.seq}: {e.detail['journal_problem']}" for e in self.events
                         if "journal_problem" in e.detail],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Journal":
        if not isinstance(data, dict) or data.get("format") not in JOURNAL_FORMATS_READ:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise DrillError(f"not a warroom journal (expected format {' or '.join(JOURNAL_FORMATS_READ)}, got {found!r})")
        drill = dict(data["drill"])
        drill["documents"] = tuple(drill["documents"])
        return cls(DrillRecord(**drill), tuple(DrillEvent.from_dict(e) for e in data["events"]))
