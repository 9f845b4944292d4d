"""The journal artifact (SPEC 3.6): a drill's record and its whole event log as JSON.

`warroom drill export` writes it; scoring and reports read it and nothing else, so a
journal file is enough to score or report on a drill anywhere. Format in
docs/reference/drills.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from scenarios import DocumentError, Loaded, Problem, load_text
from scenarios.formats import JOURNAL_FORMAT, JOURNAL_FORMATS_READ
from scenarios.loader import validation_problems
from scenarios.version import TOOL_VERSION

from .events import EVENT_KINDS, DrillEvent
from .jsonsafe import JSONRefused, loads_strict
from .store import DrillRecord, DrillStore

__all__ = ["Journal", "JOURNAL_FORMAT"]


_STRICT = ConfigDict(strict=False, extra="allow")


class _Event(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    kind: Literal[EVENT_KINDS]  # type: ignore[valid-type]
    t: float
    name: str
    role: NotRequired[str]
    actor: NotRequired[str]
    detail: NotRequired[dict[str, Any] | None]
    seq: NotRequired[int | None]
    wall: NotRequired[str | None]


class _Export(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    format: Literal[JOURNAL_FORMATS_READ]  # type: ignore[valid-type]
    drill: DrillRecord
    events: list[_Event]


_EXPORT = TypeAdapter(_Export)


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
    def from_dict(cls, data: Any, source: str = "<journal>") -> "Journal":
        """A journal from its exported JSON; DocumentError lists every field that is
        missing or of the wrong type (field path and bad value)."""
        if not isinstance(data, dict) or data.get("format") not in JOURNAL_FORMATS_READ:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise DocumentError([Problem(source, None, "format", "not a warroom journal (expected format "
                                         f"{' or '.join(JOURNAL_FORMATS_READ)}, got {found!r})")])
        try:
            checked = _EXPORT.validate_python(data)
        except ValidationError as exc:
            raise DocumentError(validation_problems(exc, data, source)) from None
        return cls(checked["drill"], tuple(DrillEvent.from_dict(e) for e in data["events"]))

    @classmethod
    def read(cls, path: str | Path) -> "Journal":
        """A journal file written by `warroom drill export` (strict JSON: no NaN, at most
        32 levels deep); DocumentError says what is wrong with it and where."""
        file = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise DocumentError([Problem(file, None, "", f"cannot read: {exc.strerror or exc}")]) from None
        try:
            data = loads_strict(raw)
        except JSONRefused as exc:
            raise DocumentError([Problem(file, None, "", f"not a warroom journal: {exc}")]) from None
        return cls.from_dict(data, file)
