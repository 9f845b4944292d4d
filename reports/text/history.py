"""The answers of `warroom history import`, `history kpi` and `history fit`."""

from __future__ import annotations

from .tables import table

__all__ = ["history_fit_text", "history_import_text", "history_kpi_text", "selection_line", "classification_lines",
           "first_wrong_line", "NOT_IN_EXPORT"]

NOT_IN_EXPORT = "not in this export"


def history_import_text(imported) -> str:
    """How many incidents were read, how many are drills, how many rows were left out, and
    how many rows have each milestone (`imported` is what `read_history` returns)."""
    total = len(imported.table)
    lines = [f"Read {total} incident{'s' if total != 1 else ''} from {imported.file} ({imported.source}, "
             f"{imported.shape}): {imported.drills} flagged as drill{'s' if imported.drills != 1 else ''} or test, "
             f"{len(imported.skipped_rows)} row{'s' if len(imported.skipped_rows) != 1 else ''} left out."]
    rows = [[column, str(count), f"{count / total:.0%}" if total else "-"]
            for column, count in imported.coverage().items()]
    lines += ["", table(["milestone (UTC)", "rows with it", "share"], rows, "lrr")]
    return "\n".join(lines)


def selection_line(counts: dict, hint: bool = True) -> str:
    """Which incidents an analysis used and which it left out (`counts`: the artifact's
    "incidents"); `hint` names the option that keeps drills."""
    left_out = []
    if counts.get("drills_excluded"):
        left_out.append(f"{counts['drills_excluded']} drills/tests left out"
                        + (" (--include-drills to keep them)" if hint else ""))
    if counts.get("other_services_excluded"):
        left_out.append(f"{counts['other_services_excluded']} of other services left out")
    if counts.get("not_major_excluded"):
        left_out.append(f"{counts['not_major_excluded']} not major left out")
    return f"{counts['used']} incidents used of {counts['rows']}" + (f"; {'; '.join(left_out)}" if left_out else "")


def _majors_per_month_line(kpis: dict, last: int = 12) -> str:
    """Major incidents in each of the last `last` months that had any incident (UTC)."""
    majors = {m["period"]: m["count"] for m in kpis["majors"]["per_month"]}
    months = [m["period"] for m in kpis["all_incidents"]["per_month"] if m["count"]][-last:]
    shown = ", ".join(f"{month}: {majors.get(month, 0)}" for month in months) or "none"
    return f"Major incidents per month (last {last} months with incidents, UTC): {shown}."


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def classification_lines(classification: dict | None) -> list[str]:
    """The classification figures of a key-figures artifact in sentences (terminal,
    Markdown and HTML say the same); what the export does not carry is said to be
    NOT_IN_EXPORT, never shown as zero."""
    from reports.templating import minutes as shown

    c = classification or {}
    if not c.get("incidents"):
        return [f"Classification changes: {NOT_IN_EXPORT} (no incident's export says how its severity or priority "
                "changed: PagerDuty REST incidents with their log entries, ServiceNow with sys_audit rows, or canonical "
                "first_severity carry it)."]
    changed, under, over = c["changed"], c["under_classified"], c["over_classified"]
    lines = [
        f"Classification: {c['incidents']} incidents say how they were classified"
        + (f" ({c['not_in_export']} do not: {NOT_IN_EXPORT})" if c["not_in_export"] else "") + ". "
        f"Severity or priority changed for {changed['count']} ({_pct(changed['share'])}; {changed['changes']} changes).",
        f"Under-classified at first (major in the end, first below the major line): {under['count']} "
        f"({_pct(under['share'])} of incidents, {_pct(under['share_of_major'])} of {c['major']} major); "
        f"over-classified at first (first at or above the line, not major in the end): {over['count']} "
        f"({_pct(over['share'])}).",
    ]
    final, raised = c["time_to_final"], c["raised_after"]
    lines.append(f"Time to the final classification (from {final['from']}): "
                 + (f"median {shown(final['p50'])}, p90 {shown(final['p90'])} (n {final['n']})" if final["n"]
                    else NOT_IN_EXPORT) + "; "
                 + "raised to the major line after the first classification: "
                 + (f"median {shown(raised['p50'])}, p90 {shown(raised['p90'])} (n {raised['n']})" if raised["n"]
                    else "none raised") + ".")
    declare = c["declare"]
    late, once = declare["raised_later"], declare["at_once"]
    if not under["count"]:
        lines.append("Declaration of late-raised incidents: none was raised late.")
    elif not late["n"] or not once["n"]:
        lines.append(f"Declaration of late-raised incidents against those classified major at once: {NOT_IN_EXPORT} "
                     f"(declared times for {late['n']} late-raised and {once['n']} classified at once).")
    else:
        lines.append(f"Declared: late-raised median {shown(late['p50'])} after detection (n {late['n']}), classified "
                     f"major at once median {shown(once['p50'])} (n {once['n']}): "
                     f"{shown(abs(declare['median_later_by']))} {'later' if declare['median_later_by'] >= 0 else 'earlier'}.")
    return lines


def history_kpi_text(kpis: dict, file: str, source: str) -> str:
    """The incidents used, a table of each metric (n, missing, bad, median, p90, mean), MTBF,
    major incidents per quarter and month, reviews, repeats, notes and what change the history
    could show. `kpis` is the key-figures artifact (warroom.history-kpis) of FILE from SOURCE."""
    from reports.templating import minutes as shown

    rows = [[m["title"], str(m["n"]), str(m["missing"]), str(m["negative"]), shown(m["p50"]), shown(m["p90"]),
             shown(m["mean"])] for m in kpis["metrics"].values()]
    mtbf = kpis["mtbf"]["overall"]["mean_days"]
    quarters = ", ".join(f"{q['period']}: {q['count']}" for q in kpis["majors"]["per_quarter"]) or "none"
    review, repeats = kpis["review"], kpis["repeats"]
    lines = [
        f"{file} ({source}): {selection_line(kpis['incidents'])}",
        table(["metric (minutes)", "n", "missing", "bad", "median", "p90", "mean"], rows),
        f"MTTR is mean time to restore service. MTBF {'-' if mtbf is None else f'{mtbf:.1f} days'}. "
        f"Major incidents per quarter: {quarters}.",
        _majors_per_month_line(kpis),
        f"Post-incident review completed: {review['with_review']} of {review['incidents']}. "
        f"Repeats (same service within {repeats['window_days']:g} days): {repeats['repeats']} of "
        f"{repeats['incidents_considered']}.",
    ]
    lines += classification_lines(kpis.get("classification"))
    lines += [f"note: {note}" for note in kpis["notes"]]
    if kpis["detectability"]:
        lines.append(kpis["detectability"]["sentence"])
    return "\n".join(lines)


def history_fit_text(fit, file: str, source: str) -> str:
    """The incidents used and, per stage, its counts and the chosen distribution (median, p90,
    AIC against the other families, KS p) or why it was not fitted; then what change the
    history could show. `fit` is what `fit_history` returns for FILE from SOURCE."""
    lines = [f"{file} ({source}): {selection_line(fit.selection)}"]
    stages = []
    for stage in fit.stages:
        d = stage.data
        counts = f"n {d.n} (missing {d.missing}, still open {d.censored.size}, bad {d.negative})"
        if getattr(d, "open_at_as_of", 0):
            counts = counts[:-1] + f", opened at the as-of time {d.open_at_as_of})"
        if stage.chosen is None:
            stages.append([stage.stage.name, f"{counts}: {stage.note}"])
            continue
        c = stage.chosen
        others = ", ".join(f"{o.family} +{o.aic - c.aic:.1f}" for o in stage.candidates[1:])
        stages.append([stage.stage.name, f"{counts}: {c.family} median {c.median:.1f}m p90 {c.p90:.1f}m "
                                         f"(AIC {c.aic:.1f}; {others}; KS p {c.ks_pvalue:.2f})"
                                         + (f". {stage.note}" if stage.note else "")])
    if stages:
        lines.append(table(None, stages, "ll"))
    lines.append(first_wrong_line(getattr(fit, "classification", None)))
    if fit.detectability:
        lines.append(fit.detectability["sentence"])
    return "\n".join(lines)


def first_wrong_line(classification: dict | None) -> str:
    """The fitted `first_wrong` of the classification's triage, in a sentence."""
    c = classification or {}
    if c.get("first_wrong") is None:
        reason = ("no major incident among those that say" if c.get("with_classification")
                  else NOT_IN_EXPORT)
        return f"Classification triage first_wrong: not fitted ({reason})."
    return (f"Classification triage first_wrong {c['first_wrong']:.3f}: {c['first_wrong_count']} of "
            f"{c['major_with_classification']} major incidents first classified below the major line"
            + (f" ({c['not_in_export']} incidents do not say how they were classified)" if c.get("not_in_export")
               else "") + ".")
