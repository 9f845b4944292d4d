"""The drill scorecard as a document: self-contained HTML (charts inline), Markdown, JSON
or PDF, from the scorecard and journal artifacts (SPEC 3.6) and nothing else."""

from __future__ import annotations

import json

from .charts import cadence_chart, metrics_chart, percentile_chart, swimlane_chart
from .templating import markdown_text, minutes, render

__all__ = ["render_scorecard", "FORMATS"]

FORMATS = ("html", "md", "json", "pdf")


def _context(card: dict, journal: dict | None) -> dict:
    events = journal["events"] if journal else []
    milestones = card.get("milestones", {})
    restore = card["metrics"]["time_to_restore"]["actual_min"]
    updates = [e["t"] for e in events if e["kind"] == "action" and e["name"] == "update"]
    cadence = card["checks"]["update_cadence"].get("cadence_min") or 30.0
    end = max([e["t"] for e in events] + [0.0])
    return {
        "card": card,
        "drill": card["drill"],
        "restore": "not restored" if restore is None else f"{minutes(restore)} min",
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
    """The report text (bytes for PDF). `journal` is the exported journal, for the timeline."""
    if fmt == "json":
        return json.dumps(card, indent=2) + "\n"
    return render("scorecard", _context(card, journal), fmt)
