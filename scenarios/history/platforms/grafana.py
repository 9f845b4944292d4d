"""Grafana Incident incidents (a list, or one incident): `isDrill` marks a drill. A drill is
written as an incident with `isDrill` true and its timeline as activity items."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..records import ReadContext, text_of
from ..times import iso_z
from .base import Extracted, Platform, _items, _mention, _not_an_object, _offer_fields, _record
from .drill_journal import _title, drill_milestones, drill_start

__all__ = ["PLATFORM"]


def _grafana_shape(document: Any) -> str | None:
    incidents = _items(document, "incidents")
    if incidents is not None and (_mention(incidents, {"incidentID", "isDrill"}) or (not incidents and "cursor" in document)):
        return "incidents"
    if isinstance(document, dict) and isinstance(document.get("incident"), dict) \
            and {"incidentID", "isDrill"} & document["incident"].keys():
        return "incident"
    return None


def _grafana_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    items = document["incidents"] if shape == "incidents" else [document["incident"]]
    records = []
    for row, item in enumerate(items, 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "incidentID", title=text_of(item.get("title")))
        record.severity_raw = text_of(item.get("severity")) or text_of(item.get("severityLabel"))
        record.tags = tuple(text_of(label, ("label", "key", "value")) for label in item.get("labels") or [])
        if isinstance(item.get("isDrill"), bool):
            record.drill_flag = item["isDrill"]
        _offer_fields(record, item, context.zone)
        records.append(record)
    return records, []


PLATFORM = Platform("grafana", {"incidents": "incidents", "incident": "one incident"}, _grafana_shape,
                    _grafana_extract)


# -- writer: a drill as a Grafana incident with isDrill and its timeline --------------

_GRAFANA_SEVERITY = {"sev1": "critical", "sev2": "major"}


def _activity(journal: dict, start: pd.Timestamp) -> list[dict]:
    """The drill's timeline as notes: milestones, actions, injects (subject only: the
    facilitator's notes stay private) and what the world did."""
    items = []
    for event in journal["events"]:
        kind, name, detail = event.get("kind"), event.get("name", ""), event.get("detail") or {}
        who = ", ".join(p for p in (event.get("role"), event.get("actor")) if p)
        if kind == "milestone":
            body = f"Milestone reached: {name.replace('_', ' ')}"
        elif kind == "action":
            said = detail.get("text") or detail.get("cause") or detail.get("workaround") or detail.get("target") or ""
            body = f"{who}: {name.replace('_', ' ')}" + (f": {said}" if said else "")
        elif kind == "inject":
            body = f"Inject ({detail.get('channel', '')}) to {', '.join(detail.get('to') or [])}: {detail.get('subject', '')}"
        elif kind == "world" and detail.get("message"):
            body = detail["message"]
        elif kind == "control" and name in ("start", "end"):
            body = f"Drill {'started' if name == 'start' else 'ended'}"
        else:
            continue
        items.append({"activityKind": "userNote",
                      "eventTime": iso_z((start + pd.Timedelta(minutes=float(event["t"]))).round("ms")),
                      "body": body})
    return items


def _grafana(journal: dict, severity: str) -> dict:
    start = drill_start(journal)
    reached = drill_milestones(journal)
    drill = journal["drill"]
    incident = {
        "incidentID": drill["id"],
        "title": _title(journal),
        "isDrill": True,
        "status": "resolved" if "resolved" in reached else "active",
        "severity": _GRAFANA_SEVERITY.get(severity.casefold(), "minor"),
        "labels": [{"label": "drill"}, {"label": "warroom"}, {"label": drill["scenario"]}],
        "incidentStart": iso_z(reached.get("impact_started")),
        "incidentEnd": iso_z(reached.get("resolved")),
    }
    if "resolved" in reached:
        incident["closedTime"] = iso_z(reached["resolved"])
    return {"incident": incident, "activityItems": _activity(journal, start)}
