"""The answers of `warroom history import`, `history kpi` and `history fit`."""

from __future__ import annotations

from .tables import table

__all__ = ["history_fit_text", "history_import_text", "history_kpi_text", "selection_line"]


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
    lines += [f"note: {note}" for note in kpis["notes"]]
    if kpis["detectability"]:
        lines.append(kpis["detectability"]["sentence"])
    return "\n".join(lines)


def history_fit_text(fit, file: str, source: str) -> str:
    """The incidents used and, per stage, its counts and the chosen distribution (median, p90,
    AIC against the other families, KS p) or why it was not fitted; then what change the
    history could show. `fit` is what `fit_history` returns for FILE from SOURCE."""
    lines = [f"{file} ({source}): {selection_line(fit.selection)}"]
    for stage in fit.stages:
        d = stage.data
        counts = f"n {d.n} (missing {d.missing}, still open {d.censored.size}, bad {d.negative})"
        if getattr(d, "open_at_as_of", 0):
            counts = counts[:-1] + f", opened at the as-of time {d.open_at_as_of})"
        if stage.chosen is None:
            lines.append(f"{stage.stage.name:<12} {counts}: {stage.note}")
            continue
        c = stage.chosen
        others = ", ".join(f"{o.family} +{o.aic - c.aic:.1f}" for o in stage.candidates[1:])
        lines.append(f"{stage.stage.name:<12} {counts}: {c.family} median {c.median:.1f}m p90 {c.p90:.1f}m "
                     f"(AIC {c.aic:.1f}; {others}; KS p {c.ks_pvalue:.2f})")
        if stage.note:
            lines.append(f"{'':<13}{stage.note}")
    if fit.detectability:
        lines.append(fit.detectability["sentence"])
    return "\n".join(lines)
