"""The staffing search as a document: the chosen staffing and why, the frontier of yearly
staffing cost against the target's statistic (with the target line), the search's method and
assumption, and every candidate with its figures. Reads only the search's JSON artifact."""

from __future__ import annotations

import json

from scenarios.formats import OPTIMIZE_FORMAT

from .charts import frontier_chart
from .templating import markdown_text, money_in, one_decimal, render
from .text.adaptive import margin_words

__all__ = ["render_optimize", "OPTIMIZE_FORMAT"]



def _context(result: dict) -> dict:
    chosen = (result.get("chosen") or {}).get("name")
    target = result["target"]
    points = [{"name": c["name"], "cost": c["staffing_cost_per_year"], "value": c.get("value"), "low": c.get("ci_low"),
               "high": c.get("ci_high"), "meets": c["status"] == "meets", "frontier": c["on_frontier"],
               "chosen": c["name"] == chosen}
              for c in result["candidates"] if c["status"] in ("meets", "misses")]
    statistic = f"{target['statistic']}({target['metric']})"
    scenario = next((i["name"] for i in result["inputs"] if i["kind"] == "scenario"), "?")
    space = next((i["name"] for i in result["inputs"] if i["kind"] == "staffing_space"), "?")
    return {
        "result": result, "target": target, "statistic": statistic, "scenario": scenario, "space": space,
        "confidence": f"{result['confidence']:.0%}", "chosen": result.get("chosen"),
        "candidates": result["candidates"], "search": result["search"], "monotonicity": result["monotonicity"],
        "f1": one_decimal, "money": money_in(result.get("currency")), "md": markdown_text,
        "adaptive": result.get("adaptive"), "adaptive_margin": margin_words(result["adaptive"]) if result.get("adaptive") else None,
        "chart": frontier_chart(points, target["limit_minutes"], f"{statistic}, minutes (with {result['confidence']:.0%} CI)",
                                result.get("currency")),
    }


def render_optimize(result: dict, fmt: str = "html") -> str | bytes:
    """The search (its `to_dict()` form) as html, md, pdf or json."""
    if fmt == "json":
        return json.dumps(result, indent=2) + "\n"
    if result.get("format") != OPTIMIZE_FORMAT:
        raise ValueError(f"not a staffing search result (format {result.get('format')!r}, expected {OPTIMIZE_FORMAT})")
    return render("optimize", _context(result), fmt)
