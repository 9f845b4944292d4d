"""The drill scorecard as a document: self-contained HTML (charts inline), Markdown, JSON
or PDF, from the scorecard and journal artifacts (SPEC 3.6) and nothing else."""

from __future__ import annotations

import json

from scenarios.formats import SCORECARD_FORMAT, SCORECARD_FORMATS_READ

from .charts import cadence_chart, metrics_chart, percentile_chart, swimlane_chart
from .templating import markdown_text, minutes, render
from .text.tables import stage_title

__all__ = ["render_scorecard", "current_scorecard", "FORMATS"]

FORMATS = ("html", "md", "json", "pdf")


def current_scorecard(card: dict) -> dict:
    """`card` if it is a scorecard of today's format; else a ValueError saying what to do
    (an older scorecard is re-scored from its drill's journal: `warroom drill score`)."""
    found = card.get("format") if isinstance(card, dict) else None
    if found == SCORECARD_FORMAT:
        return card
    if found in SCORECARD_FORMATS_READ:
        raise ValueError(f"this scorecard is {found}, from an older warroom, and is not rendered: re-score the drill "
                         f"(warroom drill score DRILL, or warroom report scorecard DRILL, which re-scores it) "
                         f"for a {SCORECARD_FORMAT} scorecard")
    raise ValueError(f"not a warroom scorecard (format {found!r}; expected {SCORECARD_FORMAT})")


def _context(card: dict, journal: dict | None) -> dict:
    events = journal["events"] if journal else []
    milestones = card.get("milestones", {})
    restore = card["metrics"]["time_to_restore"]["scored_min"]
    updates = [e["t"] for e in events if e["kind"] == "action" and e["name"] == "update"]
    cadence = card["checks"]["update_cadence"].get("cadence_min") or 30.0
    end = max([e["t"] for e in events] + [0.0])
    return {
        "card": card,
        "drill": card["drill"],
        "stages": [(stage_title(k), v) for k, v in (card.get("restore_stages") or {}).items()],
        "restore": "not restored" if restore is None else f"{minutes(restore)} min",
        "cap": next((p for p in card["points"] if p["kind"] == "cap"), None),
        "credit": [p for p in card["points"] if p["kind"] in ("metric", "check")],
        "harm": [p for p in card["points"] if p["kind"] in ("harm", "floor", "cap")],
        "fmt": minutes,
        "md": markdown_text,
        "charts": {
            "metrics": metrics_chart(card["metrics"]),
            "percentiles": percentile_chart(card.get("percentiles", {}),
                                            {k: m["title"] for k, m in card["metrics"].items()}),
            "swimlane": swimlane_chart(events, milestones) if events else None,
            "cadence": cadence_chart(updates, milestones.get("declared", {}).get("t"),
                                     milestones.get("restored", {}).get("t"), end, cadence) if events else None,
        },
    }


def render_scorecard(card: dict, journal: dict | None, fmt: str = "html") -> str | bytes:
    """The report text (bytes for PDF). `journal` is the exported journal, for the timeline.
    `card` must be a current scorecard (SCORECARD_FORMAT): an older one raises ValueError."""
    card = current_scorecard(card)
    if fmt == "json":
        return json.dumps(card, indent=2) + "\n"
    return render("scorecard", _context(card, journal), fmt)
