"""PagerDuty: REST API incidents (with their log entries) and Analytics raw incidents
(times given as seconds after creation)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..classification import ClassificationLog, SeverityChange
from ..records import ReadContext, direct, earliest, offset, text_of
from ..times import zone_named
from .base import Extracted, Platform, _items, _mention, _not_an_object, _offer_fields, _record

__all__ = ["PLATFORM"]

_PD_REST_MARKS = {"incident_number", "html_url", "escalation_policy", "acknowledgements", "incident_key"}
_PD_ANALYTICS_MARKS = {"seconds_to_first_ack", "seconds_to_resolve", "seconds_to_mobilize", "priority_name",
                       "escalation_policy_name"}
_PD_OFFSETS = ("seconds_to_first_ack", "seconds_to_engage", "seconds_to_mobilize", "seconds_to_resolve")
# "Priority changed from P3 to P1", 'Priority changed from "P2" to "P1"', "Changed the priority to P1."
_TO_PRIORITY = re.compile(r"""\bto\s+["']?([^"'\s]+?)["']?\.?\s*$""", re.I)
_FROM_PRIORITY = re.compile(r"""\bfrom\s+["']?([^"'\s]+?)["']?\s+to\b""", re.I)


def _pagerduty_shape(document: Any) -> str | None:
    incidents = _items(document, "incidents")
    if incidents is not None and (_mention(incidents, _PD_REST_MARKS) or (not incidents and "more" in document)):
        return "rest"
    data = _items(document, "data")
    if data is not None and ("time_zone" in document or _mention(data, _PD_ANALYTICS_MARKS)):
        if not _mention(data, {"attributes", "tinyId", "milestones"}):
            return "analytics"
    return None


def _log_type(entry: dict) -> str:
    return str(entry.get("type") or "").removesuffix("_reference")


def _new_priority(entry: dict) -> str:
    channel = entry.get("channel") if isinstance(entry.get("channel"), dict) else {}
    for holder in (channel.get("new_priority"), entry.get("priority")):
        name = text_of(holder, ("name", "summary"))
        if name:
            return name
    said = _TO_PRIORITY.search(str(entry.get("summary") or ""))
    return said[1] if said else ""


def _old_priority(entry: dict) -> str:
    """The priority before a change, when the entry says ("" otherwise: not guessed)."""
    channel = entry.get("channel") if isinstance(entry.get("channel"), dict) else {}
    name = text_of(channel.get("old_priority"), ("name", "summary"))
    if name:
        return name
    said = _FROM_PRIORITY.search(str(entry.get("summary") or ""))
    return said[1] if said else ""


def _classification_log(entries: list[dict], item: dict, zone) -> ClassificationLog:
    changes = [SeverityChange(direct(f"log_entries[{entry.get('id') or position}].created_at", entry.get("created_at"),
                                     zone), _old_priority(entry), _new_priority(entry))
               for position, entry in enumerate(entries)]
    return ClassificationLog(changes, direct("created_at", item.get("created_at"), zone), "priority.name")


def _pagerduty_extract(document: Any, shape: str, context: ReadContext) -> Extracted:
    if shape == "analytics":
        return _pagerduty_analytics(document, context)
    zone = context.zone
    shared_logs: dict[str, list[dict]] = defaultdict(list)
    for entry in document.get("log_entries") or []:
        if isinstance(entry, dict) and isinstance(entry.get("incident"), dict):
            shared_logs[text_of(entry["incident"].get("id"))].append(entry)
    records = []
    for row, item in enumerate(document["incidents"], 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "id", title=text_of(item.get("title") or item.get("summary")))
        record.service = text_of(item.get("service"), ("summary", "name"))
        record.severity_raw = text_of(item.get("priority"), ("name", "summary")) or text_of(item.get("urgency"))
        record.tags = tuple(text_of(t, ("summary", "name")) for t in item.get("teams") or [])
        entries = [e for e in item.get("log_entries") or [] if isinstance(e, dict)] + shared_logs.get(record.id, [])
        by_type: dict[str, list[dict]] = defaultdict(list)
        for entry in entries:
            by_type[_log_type(entry)].append(entry)
        # acknowledgements[] empties once an incident resolves: the log keeps the history.
        for kind in ("acknowledge_log_entry", "resolve_log_entry", "trigger_log_entry"):
            if by_type[kind]:
                record.offer(kind, earliest(f"log_entries[type={kind}].created_at",
                                            [e.get("created_at") for e in by_type[kind]], zone))
        raised = [e for e in by_type["priority_change_log_entry"]
                  if context.mapping.is_major(context.mapping.severity_of(_new_priority(e)))]
        if raised:
            record.offer("priority_change_log_entry",
                         earliest("log_entries[type=priority_change_log_entry].created_at",
                                  [e.get("created_at") for e in raised], zone))
        if entries:  # with its log, the incident says how its priority changed (or that it never did)
            record.classification = _classification_log(by_type["priority_change_log_entry"], item, zone)
        acks = [a.get("at") for a in item.get("acknowledgements") or [] if isinstance(a, dict)]
        if acks:
            record.offer("acknowledgements", earliest("acknowledgements[].at", acks, zone))
        _offer_fields(record, item, zone)
        records.append(record)
    return records, []


def _pagerduty_analytics(document: dict, context: ReadContext) -> Extracted:
    zone = context.zone
    named = document.get("time_zone")
    if named not in (None, ""):
        try:
            zone = zone_named(named)
        except ValueError as exc:
            return [], [context.problem(None, "time_zone", named, str(exc))]
    records = []
    for row, item in enumerate(document["data"], 1):
        if not isinstance(item, dict):
            records.append(_not_an_object(context, row, item, "an incident"))
            continue
        record = _record(context, row, item, "id", title=text_of(item.get("description") or item.get("title")))
        record.service = text_of(item.get("service_name"))
        record.severity_raw = text_of(item.get("priority_name")) or text_of(item.get("urgency"))
        record.tags = tuple(t for t in [text_of(item.get("team_name"))] if t)
        if isinstance(item.get("major"), bool):
            record.major_flag = item["major"]
        created = direct("created_at", item.get("created_at"), zone)
        for name in _PD_OFFSETS:
            if name in item:
                record.offer(name, offset(name, item[name], created, "s"))
        _offer_fields(record, item, zone)
        records.append(record)
    return records, []


PLATFORM = Platform("pagerduty", {"rest": "REST incidents", "analytics": "Analytics raw incidents"},
                    _pagerduty_shape, _pagerduty_extract)
