"""The answers of `warroom sensitivity` and `warroom optimize`, from their result artifacts."""

from __future__ import annotations

from scenarios.currency import DEFAULT_CURRENCY, format_money

from .adaptive import margin_words
from .tables import paragraph, table

__all__ = ["optimize_text", "sensitivity_findings", "sensitivity_sections", "per_cost_text", "sensitivity_text"]


def _ci_text(low, high) -> str:
    return "" if low is None or high is None else f"[{low:+.1f}, {high:+.1f}]"


def _bound(value) -> str:
    """An interval end, or 'unbounded' when the data cannot give one at the asked confidence."""
    return "unbounded" if value is None else f"{value:.1f}"


SHORT_MOVE = 30   # a change's "from -> to" shows in the terminal table when it is this short


def _what(row: dict, short: bool = False) -> str:
    """A change as a reader names it: `sre: people on call -1 (3 (rota 20) -> 2 (rota 14))`;
    `short` leaves out a long from -> to (a delay's distribution: the factor says it)."""
    moved = f"{row['before']} -> {row['after']}" if row["before"] or row["after"] else ""
    if moved and not (short and len(moved) > SHORT_MOVE):
        return f"{row['label']} {row['change']} ({moved})"
    return f"{row['label']} {row['change']}"


def _signed_ci(row: dict, statistic: str = "p90") -> str:
    low, high = row[f"{statistic}_diff_ci_low"], row[f"{statistic}_diff_ci_high"]
    return "" if low is None or high is None else f"95% CI {low:+.1f} to {high:+.1f}"


def _cur(result: dict) -> str:
    return result.get("currency", DEFAULT_CURRENCY)


def _money(value: float, result: dict, signed: bool = False) -> str:
    """An amount in the artifact's currency."""
    return format_money(value, result.get("currency", DEFAULT_CURRENCY), signed=signed)


def per_cost_text(row: dict, saved_when: str) -> str:
    """Minutes of p90 per 100k a year of staffing cost, fitting the row's group: `saved_when`
    is "spent" for improvements (minutes saved per 100k spent) or "saved" for harms (minutes
    added per 100k saved)."""
    cost = row["staffing_cost_diff"]
    slope = row.get("p90_diff_per_100k")
    if cost == 0 or slope is None:
        return "-"
    if (saved_when == "spent") == (cost > 0):
        return f"{abs(slope):.2f}"
    return "cheaper too" if saved_when == "spent" else "dearer too"


def _gap_finding(result: dict) -> str:
    """How far the baseline is from the sweep's target, and the change that closes most of
    that gap per unit of cost (the artifact's `closing_lever`)."""
    target, lever = result["target"], result.get("closing_lever")
    statistic, limit = target["statistic"], target["limit_minutes"]
    value = result["baseline"][statistic]
    if value is not None and value <= limit:
        return (f"Target {target['text']}: the baseline's estimate, {value:.1f} min, is already within it "
                f"(whether it is with 95% confidence, warroom optimize says).")
    gap = f"Target {target['text']}: the baseline is {value - limit:.1f} min over ({value:.1f} min)."
    if not lever:
        return gap + " No single change clearly closes any of it: it takes several changes, or levers beyond these."
    cost = lever["staffing_cost_diff"]
    if cost > 0:
        price = (f"for {_money(cost, result, signed=True)} a year ({lever['minutes_per_100k']:.2f} min of the gap closed per {_cur(result)} 100k a year)")
    elif cost < 0:
        price = f"and saves {_money(-cost, result)} a year"
    else:
        price = "at no added staffing cost (its price, such as training or tooling, is not in the documents)"
    low, high = lever["saves_ci"]
    reach = ("enough on its own" if lever["closes_gap"]
             else f"{lever['closes'] / lever['gap']:.0%} of the gap")
    return (f"{gap} The change that closes most of it per unit of cost: {_what(lever)}, "
            f"{lever['saves']:.1f} min off {statistic} (95% CI {low:.1f} to {high:.1f}), {reach}, {price}.")


def sensitivity_findings(result: dict) -> list[str]:
    """What a decision takes from a sweep, one sentence each: the gap to the target, if one
    was given, and the change closing most of it per unit of cost; the largest improvement adding no
    staffing cost, the best per unit of staffing cost, the largest saving with no clear effect
    and the largest harm (a change leaving a role with nobody is not among them)."""
    rows = result["rows"]
    improvements = [r for r in rows if r["group"] == "improvement"]
    found = [_gap_finding(result)] if result.get("target") else []
    free = next((r for r in improvements if r["staffing_cost_diff"] <= 0), None)
    lever = result.get("closing_lever") or {}
    if free and (free["parameter"], free["direction"]) != (lever.get("parameter"), lever.get("direction")):
        price = (f"; it also saves {_money(-free['staffing_cost_diff'], result)} a year" if free["staffing_cost_diff"] < 0
                 else "; its price (training, tooling or process work) is not in the documents")
        found.append(f"Largest improvement at no added staffing cost: {_what(free)}, p90 time to restore "
                     f"{free['p90_diff']:+.1f} min ({_signed_ci(free)}){price}.")
    priced = next((r for r in improvements if r["staffing_cost_diff"] > 0), None)
    if priced:
        found.append(f"Best value for staffing money: {_what(priced)}, p90 {priced['p90_diff']:+.1f} min "
                     f"({_signed_ci(priced)}) for {_money(priced['staffing_cost_diff'], result, signed=True)} a year: "
                     f"{abs(priced['p90_diff_per_100k']):.2f} min saved per {_cur(result)} 100k a year.")
    elif any(r["staffing_cost_diff"] > 0 and r["group"] != "role_removed" for r in rows):
        found.append("No change that adds staffing clearly shortens p90 time to restore.")
    saving = next((r for r in rows if r["group"] == "no_clear_effect" and r["staffing_cost_diff"] < 0), None)
    if saving:
        found.append(f"Largest saving with no clear effect on p90: {_what(saving)} saves "
                     f"{_money(-saving['staffing_cost_diff'], result)} a year (p90 {saving['p90_diff']:+.1f} min, "
                     f"{_signed_ci(saving)}). These are single incidents: what overlapping incidents need "
                     f"shows in stream mode.")
    harm = next((r for r in rows if r["group"] == "harm"), None)
    if harm:
        cost = (f", while saving {_money(-harm['staffing_cost_diff'], result)} a year" if harm["staffing_cost_diff"] < 0
                else "")
        found.append(f"Largest harm: {_what(harm)}, p90 {harm['p90_diff']:+.1f} min ({_signed_ci(harm)}){cost}.")
    return found


_SECTIONS = {
    "improvement": ("Improvements: p90 time to restore falls. Best value first: no added staffing cost, "
                    "then min/100k, the minutes saved per 100k a year of staffing.", "spent"),
    "harm": ("Harms: p90 time to restore rises, largest first; min/100k: minutes added per 100k a year saved.",
             "saved"),
    "no_clear_effect": ("No clear effect on p90, with a change in staffing cost: largest saving first.", None),
    "role_removed": ("Doing without a role (kept out of the ranking above: the playbook's stand-in does its "
                     "work); min/100k: minutes added per 100k a year saved.", "saved"),
}


def sensitivity_sections(result: dict) -> list[dict]:
    """The sweep's rows by group, in order, each with its `title`, `group`, `rows` and
    `saved_when` ("spent", "saved" or None: how its min/100k column reads, see
    `per_cost_text`). Changes with no clear effect and an unchanged staffing cost are left
    out of the tables: they are listed by name (`unmoved`) in the no-clear-effect section."""
    sections = []
    for group, (title, saved_when) in _SECTIONS.items():
        rows = [r for r in result["rows"] if r["group"] == group]
        unmoved = []
        if group == "no_clear_effect":
            unmoved = [r for r in rows if r["staffing_cost_diff"] == 0]
            rows = [r for r in rows if r["staffing_cost_diff"] != 0]
        if rows or unmoved:
            sections.append({"group": group, "title": title, "rows": rows, "saved_when": saved_when,
                             "unmoved": unmoved})
    return sections


def _unmoved_text(rows: list[dict]) -> str:
    names: dict = {}
    for r in rows:
        names.setdefault(r["label"], []).append(r["change"])
    return "; ".join(f"{label} {', '.join(changes)}" for label, changes in names.items())


def sensitivity_text(result: dict, *, scenario: str, staffing: str, playbook: str, change: float,
                     replications: int, seed: int) -> str:
    """The baseline, what a decision takes from the sweep, then every change grouped
    (improvements, harms, no clear effect, doing without a role) with its effect on p90 time
    to restore, its staffing cost per year and its effect per 100k a year; the changes not
    run. Fits the terminal (tables and prose). `result` is the sensitivity artifact
    (warroom.sensitivity); the others name the documents and settings it was run with."""
    base = result["baseline"]
    lines = [
        paragraph(f"Sensitivity of time to restore (MTTR = mean time to restore service): {scenario} with "
                  f"{staffing}, playbook {playbook}."),
        paragraph(f"Each parameter moved down and up on its own by {change:.0%}; people on call by one, with the "
                  f"rota in step, so each person keeps their share of on-call time and the staffing cost moves too "
                  f"(written on call/rota: 3/20 is 3 on call from a rota of 20). "
                  f"{replications} incidents per variant, seed {seed}, common random numbers; 95% CIs of paired "
                  f"differences."),
        "",
        paragraph(f"Baseline: p50 {base['p50']:.1f} min [{base['p50_ci_low']:.1f}, {base['p50_ci_high']:.1f}], "
                  f"p90 {base['p90']:.1f} min [{base['p90_ci_low']:.1f}, {base['p90_ci_high']:.1f}]; "
                  f"staffing {_money(base['staffing_cost_per_year'], result)} a year."),
    ]
    findings = sensitivity_findings(result)
    if findings:
        lines += ["", *(paragraph(f, "* ", "  ") for f in findings)]
    unmoved = []
    for section in sensitivity_sections(result):
        saved_when, rows = section["saved_when"], section["rows"]
        unmoved += section["unmoved"]
        if not rows:
            continue
        header = ["#", "change", "p90 chg", "95% CI", "staffing/yr", "vs base"] + (["min/100k"] if saved_when else [])
        body = []
        for r in rows:
            cells = [str(r["rank"]), _what(r, short=True),
                     f"{r['p90_diff']:+.1f}" if r["p90_diff"] is not None else "-",
                     _ci_text(r["p90_diff_ci_low"], r["p90_diff_ci_high"]),
                     _money(r["staffing_cost_per_year"], result), _money(r["staffing_cost_diff"], result, signed=True)]
            body.append(cells + ([per_cost_text(r, saved_when)] if saved_when else []))
        lines += ["", paragraph(section["title"]), table(header, body, "rl" + "r" * (len(header) - 2))]
    if unmoved:
        lines += ["", paragraph(f"No clear effect on p90 and staffing cost unchanged "
                                f"({_money(base['staffing_cost_per_year'], result)} a year): {_unmoved_text(unmoved)}.")]
    if any(r["staffing_cost_diff"] == 0 for r in result["rows"]):
        lines += ["", paragraph("A change whose staffing cost does not move (vs base +0) still has a price the "
                                "documents do not state, such as training, tooling or process work. p50 effects "
                                "and every change's from -> to are in --json and --report.")]
    if result["skipped"]:
        reasons: dict = {}
        for s in result["skipped"]:
            reasons.setdefault((s["label"], s["reason"]), []).append(s["change"])
        lines += ["", f"Not run ({len(result['skipped'])} changes):"]
        lines += [paragraph(f"{label} ({', '.join(changes)}): {reason}", "  ", "    ")
                  for (label, reason), changes in reasons.items()]
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
        row = [c["name"] + mark, format_money(c["staffing_cost_per_year"], result.get("currency", DEFAULT_CURRENCY)),
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
    lines.append(paragraph("(A candidate's name gives each chosen role as on_call/rota: 'sre 2/14' is 2 on call from a "
                           "rota of 14.)"))
    skipped = result["search"]["skipped_combinations"]
    if skipped:
        lines += ["", f"Left out {len(skipped)} combinations: "
                      + "; ".join(f"{s['label']} ({s['reason']})" for s in skipped[:5])]
    why = [c for c in result["candidates"] if c.get("explanation") and _needs_explaining(c, target.limit, chosen)]
    if why:
        lines += ["", "Why the close ones count as they do:"]
        lines += [paragraph(f"{c['name']}: {c['explanation']}", "  ", "    ") for c in why]
    lines.append("")
    frontier = [c["name"] for c in result["candidates"] if c["on_frontier"]]
    if frontier:
        lines.append("Frontier (no cheaper simulated candidate is as fast): " + "; ".join(frontier))
    lines.append(paragraph(result["verdict"]))
    if adaptive:
        lines.append(paragraph(f"Adaptive: {adaptive['total_replications']:,} incidents simulated in all, against "
                               f"{adaptive['fixed_replications']:,} for a fixed {adaptive['max_replications']:,} per "
                               f"simulated candidate. Method: {adaptive['method']} (references in the JSON)."))
    return "\n".join(lines)
