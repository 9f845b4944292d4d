"""The answers of `warroom sensitivity` and `warroom optimize`, from their result artifacts."""

from __future__ import annotations

from .adaptive import margin_words
from .tables import table

__all__ = ["optimize_text", "sensitivity_text"]


def _ci_text(low, high) -> str:
    return "" if low is None or high is None else f"[{low:+.1f}, {high:+.1f}]"


def _bound(value) -> str:
    """An interval end, or 'unbounded' when the data cannot give one at the asked confidence."""
    return "unbounded" if value is None else f"{value:.1f}"


def sensitivity_text(result: dict, *, scenario: str, staffing: str, playbook: str, change: float,
                     replications: int, seed: int) -> str:
    """The baseline, every change ranked by its effect on p90 time to restore, the changes not
    run and the largest effect. `result` is the sensitivity artifact (warroom.sensitivity);
    the others name the documents and settings it was run with."""
    base = result["baseline"]
    lines = [
        f"Sensitivity of time to restore (MTTR = mean time to restore service): {scenario} with "
        f"{staffing}, playbook {playbook}.",
        f"Each parameter moved down and up on its own by {change:.0%} (headcounts by one person); "
        f"{replications} incidents per variant, seed {seed}, common random numbers; 95% CIs of paired differences.",
        "",
        f"Baseline: p50 {base['p50']:.1f} min [{base['p50_ci_low']:.1f}, {base['p50_ci_high']:.1f}], "
        f"p90 {base['p90']:.1f} min [{base['p90_ci_low']:.1f}, {base['p90_ci_high']:.1f}]",
        "",
    ]
    rows = []
    for r in result["rows"]:
        moved = f"{r['before']} -> {r['after']}"
        rows.append([str(r["rank"]), r["label"], r["change"], moved if len(moved) <= 44 else moved[:41] + "...",
                     f"{r['p50']:.1f}" if r["p50"] is not None else "-",
                     f"{r['p50_diff']:+.1f}" if r["p50_diff"] is not None else "-",
                     _ci_text(r["p50_diff_ci_low"], r["p50_diff_ci_high"]),
                     f"{r['p90']:.1f}" if r["p90"] is not None else "-",
                     f"{r['p90_diff']:+.1f}" if r["p90_diff"] is not None else "-",
                     _ci_text(r["p90_diff_ci_low"], r["p90_diff_ci_high"]), r["p90_effect"]])
    lines.append(table(["#", "parameter", "change", "from -> to", "p50", "p50 chg", "95% CI", "p90", "p90 chg",
                        "95% CI", "p90 effect"], rows, "rllllrrrrrl"))
    if result["skipped"]:
        reasons: dict = {}
        for s in result["skipped"]:
            reasons.setdefault((s["label"], s["reason"]), []).append(s["change"])
        lines += ["", f"Not run ({len(result['skipped'])} changes):"]
        lines += [f"  {label} ({', '.join(changes)}): {reason}" for (label, reason), changes in reasons.items()]
    if result["rows"]:
        top = result["rows"][0]
        lines += ["", f"Largest effect on p90 time to restore (MTTR): {top['label']} {top['change']}, "
                      f"{top['p90_diff']:+.1f} min (95% CI {top['p90_diff_ci_low']:+.1f} to "
                      f"{top['p90_diff_ci_high']:+.1f})."]
    return "\n".join(lines)


def _needs_explaining(c: dict, limit: float, chosen: str | None) -> bool:
    """The candidates whose status a reader may question: the choice, the undecided, and those
    counted as missing whose interval reaches the target (the estimate may even be within it)."""
    if c["name"] == chosen or c["status"] == "undecided":
        return True
    if c["status"] == "meets" and c.get("adaptive") and c.get("ci_high") is not None and c["ci_high"] > limit:
        return True
    return c["status"] == "misses" and c.get("ci_low") is not None and c["ci_low"] <= limit


def optimize_text(result: dict, *, scenario: str, target, confidence: float, replications: int, seed: int) -> str:
    """How the search ran, every candidate's figures (the chosen one and the cost frontier
    marked), why the close ones count as they do, the frontier and the verdict. `result` is the
    optimize artifact (warroom.optimize); `target` the parsed target (its `text`, `statistic`,
    `metric` and `limit`)."""
    adaptive = result.get("adaptive")
    rule = ("a sequential test settles, with that confidence, whether it meets the target" if adaptive
            else f"the upper end of the {confidence:.0%} CI within the limit")
    if adaptive:
        size = (f"Each candidate simulated in rounds until settled ({adaptive['first_round']:,} incidents first, then "
                f"{adaptive['round']:,} at a time, at most {adaptive['max_replications']:,}; margin "
                f"{margin_words(adaptive)}), seed "
                f"{seed}, the same incidents for every candidate. MTTR means mean time to restore service.")
    else:
        size = (f"{replications} incidents per candidate, seed {seed}, the same incidents for every candidate. "
                "MTTR means mean time to restore service.")
    lines = [
        f"Cheapest staffing for {scenario} meeting {target.text} with {confidence:.0%} confidence ({rule}).",
        size,
        f"Search: {result['search']['method']}.",
    ]
    check = result["monotonicity"]
    if result["search"]["assumption"]:
        held = "it held" if not check["violations"] else f"{len(check['violations'])} pairs broke it"
        lines.append(f"Pruning assumes more people on call is never slower; checked on {check['pairs_checked']} "
                     f"pairs of simulated candidates: {held}.")
    lines.append("")
    rows = []
    chosen = (result["chosen"] or {}).get("name")
    for c in result["candidates"]:
        ci = (f"[{_bound(c.get('ci_low'))}, {_bound(c.get('ci_high'))}]"
              if c.get("ci_low") is not None or c.get("ci_high") is not None else "")
        mark = " <- chosen" if c["name"] == chosen else (" (frontier)" if c["on_frontier"] else "")
        row = [c["name"] + mark, f"{c['staffing_cost_per_year']:,.0f}",
               f"{c['value']:.1f}" if c.get("value") is not None else "-", ci, c["status"],
               c["reason"][:60] + ("..." if len(c["reason"]) > 60 else "")]
        if adaptive:
            row.insert(4, f"{c['replications']:,}" if c.get("replications") else "")
        rows.append(row)
    statistic = f"{target.statistic}({target.metric})"
    header = ["candidate", "staffing/yr", statistic, f"{confidence:.0%} CI", "status", "note"]
    if adaptive:
        header.insert(4, "incidents")
    lines.append(table(header, rows, "lrrlrll" if adaptive else "lrrlll"))
    lines.append("(A candidate's name gives each chosen role as on_call/rota: 'sre 2/14' is 2 on call from a rota of 14.)")
    skipped = result["search"]["skipped_combinations"]
    if skipped:
        lines += ["", f"Left out {len(skipped)} combinations: "
                      + "; ".join(f"{s['label']} ({s['reason']})" for s in skipped[:5])]
    why = [c for c in result["candidates"] if c.get("explanation") and _needs_explaining(c, target.limit, chosen)]
    if why:
        lines += ["", "Why the close ones count as they do:"]
        lines += [f"  {c['name']}: {c['explanation']}" for c in why]
    lines.append("")
    frontier = [c["name"] for c in result["candidates"] if c["on_frontier"]]
    if frontier:
        lines.append("Frontier (no cheaper simulated candidate is as fast): " + "; ".join(frontier))
    lines.append(result["verdict"])
    if adaptive:
        lines.append(f"Adaptive: {adaptive['total_replications']:,} incidents simulated in all, against "
                     f"{adaptive['fixed_replications']:,} for a fixed {adaptive['max_replications']:,} per simulated "
                     f"candidate. Method: {adaptive['method']} (references in the JSON).")
    return "\n".join(lines)
