"""How a team's drills move over time: score and the times that matter, drill after drill,
from their scorecards (either format: both carry the score, grade and metrics read here;
scored minutes where format 2 gives them)."""

from __future__ import annotations

import json

from .charts import trend_chart
from .templating import markdown_text as _md
from .templating import minutes as _fmt

__all__ = ["render_trend", "TREND_METRICS"]

TREND_METRICS = ("time_to_acknowledge", "time_to_declare", "time_to_first_update", "time_to_identify",
                 "time_to_restore")


def render_trend(team: str, cards: list[dict], fmt: str = "html") -> str:
    cards = sorted(cards, key=lambda c: c["drill"]["created"])
    rows = [{"date": c["drill"]["created"][:16].replace("T", " "), "id": c["drill"]["id"],
             "scenario": c["drill"]["scenario"], "score": c["score"], "grade": c["grade"],
             "times": {m: _fmt(c["metrics"][m].get("scored_min", c["metrics"][m]["actual_min"])) for m in TREND_METRICS}}
            for c in cards]
    if fmt == "json":
        return json.dumps({"team": team, "drills": rows}, indent=2) + "\n"
    titles = {m: cards[0]["metrics"][m]["title"] if cards else m for m in TREND_METRICS}
    if fmt == "md":
        lines = [f"# Drill trend: {_md(team)}", "", f"{len(rows)} drills.", "",
                 "| date | drill | scenario | score | " + " | ".join(titles[m] for m in TREND_METRICS) + " |",
                 "|---|---|---|---:|" + "---:|" * len(TREND_METRICS)]
        for r in rows:
            lines.append(f"| {r['date']} | {r['id']} | {r['scenario']} | {r['score']:.0f} ({r['grade']}) | "
                         + " | ".join(r["times"][m] for m in TREND_METRICS) + " |")
        return "\n".join(lines) + "\n"
    from html import escape

    chart = trend_chart(cards, list(TREND_METRICS)) or ""
    head = "".join(f"<th>{escape(titles[m])}</th>" for m in TREND_METRICS)
    body = "".join(
        f"<tr><td>{escape(r['date'])}</td><td>{escape(r['id'])}</td><td>{escape(r['scenario'])}</td>"
        f"<td>{r['score']:.0f} ({escape(r['grade'])})</td>"
        + "".join(f"<td>{escape(r['times'][m])}</td>" for m in TREND_METRICS) + "</tr>" for r in rows)
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Drill trend: {escape(team)}</title>"
            "<style>body{font:14px/1.5 system-ui,sans-serif;max-width:980px;margin:24px auto;padding:0 20px;color:#1d2433}"
            "table{border-collapse:collapse;width:100%}th,td{padding:5px 8px;border-bottom:1px solid #d9dde6;text-align:left}"
            "th{font-size:12px;text-transform:uppercase;color:#6b7385}figure svg{max-width:100%;height:auto}</style></head>"
            f"<body><h1>Drill trend: {escape(team)}</h1><p>{len(rows)} drills; times in scenario minutes; "
            "MTTR is mean time to restore service.</p>"
            f"<figure>{chart}</figure><table><tr><th>date</th><th>drill</th><th>scenario</th><th>score</th>{head}</tr>"
            f"{body}</table></body></html>")
