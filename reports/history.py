"""Real incident history as documents: the key figures (`warroom.history-kpis/1`) and the
fitted delay distributions (`warroom.history-fit/1`). Both read only those JSON-able
dicts; neither imports the simulator's code nor runs it. Every figure built on history
carries the sentence saying what change such a history could show at all."""

from __future__ import annotations

import json

from .charts import incidents_per_period_chart, qq_chart
from .templating import markdown_text, minutes, render
from .text.history import classification_lines, first_wrong_line

__all__ = ["render_history_kpis", "render_history_fit"]

_FORMATS = {"kpi": "warroom.history-kpis/1", "fit": "warroom.history-fit/1"}


def _check(document: dict, what: str) -> None:
    found = document.get("format") if isinstance(document, dict) else type(document).__name__
    if found != _FORMATS[what]:
        raise ValueError(f"expected a {_FORMATS[what]} document, got format {found!r}")


def _share(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _days(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _interval(pair) -> str:
    """`low-high`; a side too few incidents can bound shows as `?`."""
    if not pair or (pair[0] is None and pair[1] is None):
        return "-"
    return "-".join("?" if side is None else minutes(side) for side in pair)


def _number(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _source_line(document: dict) -> str:
    source = document.get("source") or {}
    parts = [str(source[k]) for k in ("file", "system") if source.get(k)]
    return " · ".join(parts) if parts else "a canonical incident table"


def _helpers() -> dict:
    return {"m": minutes, "share": _share, "days": _days, "interval": _interval, "num": _number,
            "md": markdown_text}


def render_history_kpis(kpis: dict, fmt: str = "html") -> str | bytes:
    """The key-figures report (html, md, pdf or json) of a `warroom.history-kpis/1` dict."""
    _check(kpis, "kpi")
    if fmt == "json":
        return json.dumps(kpis, indent=2) + "\n"
    majors = {p["period"]: p["count"] for p in kpis["majors"]["per_quarter"]}
    quarters = [{"period": p["period"], "major": majors.get(p["period"], 0), "all": p["count"]}
                for p in kpis["all_incidents"]["per_quarter"]]
    major_months = {p["period"]: p["count"] for p in kpis["majors"]["per_month"]}
    months = [{"period": p["period"], "major": major_months.get(p["period"], 0), "all": p["count"]}
              for p in kpis["all_incidents"]["per_month"] if p["count"]]
    context = {
        "k": kpis, "source": _source_line(kpis), "quarters": quarters, "months": months, **_helpers(),
        "classification": classification_lines(kpis.get("classification")),
        "charts": {
            "months": incidents_per_period_chart(kpis["all_incidents"]["per_month"], kpis["majors"]["per_month"],
                                                 "month (UTC)"),
        },
    }
    return render("history_kpi", context, fmt)


def render_history_fit(fit: dict, fmt: str = "html") -> str | bytes:
    """The calibration report (html, md, pdf or json) of a `warroom.history-fit/1` dict: per
    stage every candidate family with its parameters, intervals, KS and AIC, and a QQ plot."""
    _check(fit, "fit")
    if fmt == "json":
        return json.dumps(fit, indent=2) + "\n"
    charts = {}
    if fmt != "md":
        charts = {s["stage"]: qq_chart(s.get("qq"), s.get("chosen"), f"{s['stage']}: {s['from']} to {s['to']}")
                  for s in fit["stages"]}
    context = {"f": fit, "source": _source_line(fit), "charts": charts, **_helpers(),
               "first_wrong": first_wrong_line(fit.get("classification"))}
    return render("history_fit", context, fmt)
