"""The sensitivity sweep as a document: which change moves time to restore (MTTR, mean time
to restore service) most for its price. What a decision takes from it, a tornado chart of
the paired effects on p90 and p50, then the changes grouped (improvements by value for
money, harms, no clear effect, doing without a role) with their staffing cost per year,
and the changes that were skipped. Reads only the sweep's JSON artifact."""

from __future__ import annotations

import json

from scenarios.formats import SENSITIVITY_FORMAT

from .charts import tornado_chart
from .templating import markdown_text, money_in, one_decimal, render, signed
from .text.studies import per_cost_text, sensitivity_findings, sensitivity_sections

__all__ = ["render_sensitivity", "SENSITIVITY_FORMAT"]



def _interval(low, high) -> str:
    return "" if low is None or high is None else f"[{low:+.1f}, {high:+.1f}]"


def _context(result: dict) -> dict:
    documents = {i["kind"]: i for i in result["inputs"] if "varies" not in i}
    return {
        "result": result, "baseline": result["baseline"], "rows": result["rows"], "skipped": result["skipped"],
        "scenario": documents.get("scenario", {}).get("name", "?"),
        "staffing": documents.get("staffing", {}).get("name", "?"),
        "playbook": documents.get("playbook", {}).get("name", "?"),
        "change": f"{result['change']:.0%}",
        "base_inputs": list(documents.values()),
        "signed": signed, "f1": one_decimal, "interval": _interval, "md": markdown_text, "money": money_in(result.get("currency")),
        "per_cost": per_cost_text, "findings": sensitivity_findings(result),
        "sections": sensitivity_sections(result),
        # removing everyone in a role is kept out of the headline, and would squash the chart's scale
        "chart": tornado_chart([r for r in result["rows"] if r["group"] != "role_removed"]),
    }


def render_sensitivity(result: dict, fmt: str = "html") -> str | bytes:
    """The sweep (its `to_dict()` form) as html, md, pdf or json."""
    if fmt == "json":
        return json.dumps(result, indent=2) + "\n"
    if result.get("format") != SENSITIVITY_FORMAT:
        raise ValueError(f"not a sensitivity result of this version (format {result.get('format')!r}, expected "
                         f"{SENSITIVITY_FORMAT}): run warroom sensitivity again")
    return render("sensitivity", _context(result), fmt)
