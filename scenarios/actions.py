"""The fixed vocabulary of what drill participants do, covering the major-incident process.

Each action names the fields it takes and the milestone (SPEC 3.1) it can reach. The
vocabulary is shared by responses files (validated here, at the boundary), the drill
engine, the facilitator console and the web pages, so every surface offers the same verbs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .durations import parse_duration

__all__ = ["ActionSpec", "ACTIONS", "ACTION_NAMES", "ACTION_FIELDS", "AUDIENCES", "FIELD_CHARACTERS", "action_help",
           "typed_fields"]

FIELD_CHARACTERS = 4000
"""The longest a field a person types may be."""

AUDIENCES = ("internal", "executives", "customers", "public", "regulators", "everyone")


@dataclass(frozen=True)
class ActionSpec:
    name: str
    summary: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    milestone: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


_SPECS = (
    ActionSpec("acknowledge", "Acknowledge the first page", milestone="acknowledged"),
    ActionSpec("classify", "Classify the incident against the policy: severity, priority, major incident or not",
               required=("severity", "priority", "major"), optional=("text",)),
    ActionSpec("declare", "Declare a major incident", optional=("text",), milestone="declared"),
    ActionSpec("assign_role", "Assign an incident role to a person", required=("assign", "person")),
    ActionSpec("open_bridge", "Open the bridge / war room", optional=("text",)),
    ActionSpec("page", "Page a role or resolver group onto the bridge", required=("target",)),
    ActionSpec("update", "Post a stakeholder update", required=("audience", "text"), milestone="first_update"),
    ActionSpec("hypothesis", "Record a hypothesis about the cause", optional=("cause", "text")),
    ActionSpec("identify", "Confirm the cause", required=("cause",), optional=("text",), milestone="identified"),
    ActionSpec("request_info", "Ask for information (logs, a graph, a vendor status)", required=("topic",)),
    ActionSpec("apply_workaround", "Apply a workaround", required=("workaround",), optional=("text",),
               milestone="workaround_applied"),
    ActionSpec("approve_change", "Approve the change that implements the permanent fix", optional=("text",)),
    ActionSpec("implement_fix", "Implement the permanent fix as an approved change", optional=("text",),
               milestone="fixed"),
    ActionSpec("problem_record", "Raise a problem record for the underlying cause", optional=("text",),
               milestone="problem_recorded"),
    ActionSpec("resolve", "Resolve (close) the incident", optional=("text",), milestone="resolved"),
    ActionSpec("schedule_review", "Schedule the post-incident review", required=("within",), optional=("text",),
               milestone="review_held"),
    ActionSpec("say", "Say something on the bridge: every participant sees it (about: the inject it answers)",
               required=("text",), optional=("about",)),
    ActionSpec("log", "Free-text log entry (may claim a workaround for the facilitator to adjudicate)",
               required=("text",), optional=("claims_workaround",)),
)

ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in _SPECS}
ACTION_NAMES = tuple(ACTIONS)
ACTION_FIELDS = ("assign", "person", "target", "audience", "text", "cause", "topic", "workaround", "within",
                 "claims_workaround", "about", "severity", "priority", "major")


def action_help() -> str:
    """One line per action: name, fields, milestone (for --help and the console)."""
    lines = []
    for spec in _SPECS:
        fields = " ".join([f"{f}=" for f in spec.required] + [f"[{f}=]" for f in spec.optional])
        reaches = f"  -> {spec.milestone}" if spec.milestone else ""
        lines.append(f"{spec.name:<17} {fields:<28} {spec.summary}{reaches}")
    return "\n".join(lines)


def typed_fields(fields: dict) -> dict:
    """An action's fields as a person gave them (a web form, a chat command), ready for the
    drill: blanks dropped, only text or numbers, none longer than FIELD_CHARACTERS, `within`
    as minutes. ValueError names the field that is wrong."""
    clean = {}
    for key, value in fields.items():
        if value in (None, ""):
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValueError(f"field {key} must be text or a number")
        if isinstance(value, str) and len(value) > FIELD_CHARACTERS:
            raise ValueError(f"field {key} is too long (at most {FIELD_CHARACTERS} characters)")
        clean[key] = value
    if "within" in clean:
        try:
            clean["within"] = parse_duration(clean["within"])
        except ValueError as exc:
            raise ValueError(f"within: {exc}") from None
    return clean
