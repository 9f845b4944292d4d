"""Charts for reports, drawn with matplotlib and embedded as inline SVG so that an HTML
report needs no network and no files beside it, and prints sharply."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.ticker

from scenarios.formats import histogram_edges, histogram_quantile

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["svg", "metrics_chart", "swimlane_chart", "cadence_chart", "percentile_chart", "ecdf_chart", "box_chart",
           "difference_chart", "pareto_chart", "trend_chart"]

INK, MUTED, MET, MISSED, ACCENT = "#1d2433", "#8a91a3", "#1e7b34", "#b3261e", "#2f5fb3"
# Names and titles come from documents: "$" in a staffing name is text, never mathtext.
plt.rcParams.update({"text.parse_math": False, "font.size": 9, "axes.edgecolor": MUTED, "axes.labelcolor": INK,
                     "xtick.color": INK, "ytick.color": INK, "svg.fonttype": "none", "svg.hashsalt": "warroom"})


def svg(figure) -> str:
    """The figure as an inline SVG element (deterministic ids, no XML prolog)."""
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "warroom"})
    plt.close(figure)
    text = out.getvalue()
    text = text[text.index("<svg"):]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if start != -1 and end != -1:
        text = text[:start] + text[end + len("</metadata>"):]
    return text


def metrics_chart(metrics: dict) -> str | None:
    """Each target metric: actual against target, green when met, red when missed."""
    rows = [(m["title"], m.get("scored_min", m["actual_min"]), m["target_min"], m["met"]) for m in metrics.values()
            if m["target_min"] is not None]
    if not rows:
        return None
    figure, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 0.8))
    labels = [r[0] for r in rows][::-1]
    for y, (_, actual, target, met) in enumerate(rows[::-1]):
        if actual is None:
            ax.text(0, y, "  never reached", va="center", color=MISSED)
        else:
            ax.barh(y, actual, color=MET if met else MISSED, height=0.55)
        ax.plot([target, target], [y - 0.38, y + 0.38], color=INK, linewidth=2)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("scenario minutes (bar: the team; line: the target)")
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


def swimlane_chart(events: list[dict], milestones: dict) -> str | None:
    """Injects and actions on one lane per role, milestones as vertical lines."""
    lanes: dict[str, list[tuple[float, str]]] = {}
    for e in events:
        if e["kind"] == "action":
            lanes.setdefault(e["role"], []).append((e["t"], "action"))
        elif e["kind"] in ("inject", "adhoc_inject"):
            for role in e["detail"].get("to") or ["everyone"]:
                lanes.setdefault(role, []).append((e["t"], "inject"))
    if not lanes:
        return None
    order = sorted(lanes, key=lambda r: (r == "everyone", min(t for t, _ in lanes[r])))
    end = max([t for marks in lanes.values() for t, _ in marks] + [m["t"] for m in milestones.values()] + [1])
    figure, ax = plt.subplots(figsize=(9, 0.5 * len(order) + 1.4))
    for y, role in enumerate(order):
        actions = [t for t, kind in lanes[role] if kind == "action"]
        injects = [t for t, kind in lanes[role] if kind == "inject"]
        ax.scatter(injects, [y] * len(injects), marker="v", color=ACCENT, s=40, label="inject" if y == 0 else None,
                   zorder=3)
        ax.scatter(actions, [y] * len(actions), marker="o", color=INK, s=30, label="action" if y == 0 else None,
                   zorder=3)
    for name, m in milestones.items():
        if name in ("declared", "restored", "identified", "workaround_applied", "fixed", "resolved"):
            ax.axvline(m["t"], color=MET if name == "restored" else MUTED, linestyle="--", linewidth=1)
            ax.text(m["t"], len(order) - 0.4, name.replace("_", " "), rotation=90, va="bottom", ha="right",
                    fontsize=8, color=MUTED)
    ax.set_yticks(range(len(order)), [r.replace("_", " ") for r in order])
    ax.set_xlim(-end * 0.02, end * 1.03)
    ax.set_xlabel("scenario minutes")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower right", frameon=False, handles=[
        plt.Line2D([], [], marker="v", color=ACCENT, linestyle="", label="inject received"),
        plt.Line2D([], [], marker="o", color=INK, linestyle="", label="action taken")])
    return svg(figure)


def cadence_chart(update_times: list[float], declared: float | None, restored: float | None, end: float,
                  cadence: float) -> str | None:
    """Stakeholder updates as ticks, with the longest allowed gap shaded after each."""
    if declared is None:
        return None
    stop = restored if restored is not None else end
    figure, ax = plt.subplots(figsize=(9, 1.5))
    points = [declared, *[t for t in update_times if declared <= t <= stop], stop]
    for a, b in zip(points, points[1:]):
        ax.barh(0, b - a, left=a, height=0.5, color=MET if b - a <= cadence + 1e-9 else MISSED, alpha=0.35)
    ax.scatter(update_times, [0] * len(update_times), marker="|", s=400, color=INK, zorder=3)
    ax.axvline(declared, color=MUTED, linestyle="--")
    ax.text(declared, 0.35, "declared", fontsize=8, color=MUTED)
    if restored is not None:
        ax.axvline(restored, color=MET, linestyle="--")
        ax.text(restored, 0.35, "restored", fontsize=8, color=MET)
    ax.set_yticks([])
    ax.set_xlabel(f"scenario minutes (ticks: updates; green gaps within the {cadence:g}-minute cadence, red beyond)")
    ax.spines[["top", "right", "left"]].set_visible(False)
    return svg(figure)


def percentile_chart(percentiles: dict, titles: dict) -> str | None:
    """How the team ranked among simulated teams, metric by metric."""
    if not percentiles:
        return None
    keys = list(percentiles)[::-1]
    figure, ax = plt.subplots(figsize=(7, 0.4 * len(keys) + 0.8))
    values = [percentiles[k]["percentile"] for k in keys]
    ax.barh(range(len(keys)), values, color=[MET if v >= 50 else MISSED for v in values], height=0.55)
    ax.axvline(50, color=MUTED, linestyle="--", linewidth=1)
    ax.set_yticks(range(len(keys)), [titles.get(k, k) for k in keys])
    ax.set_xlim(0, 100)
    ax.set_xlabel("faster than this share of simulated teams (%)")
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


PALETTE = ["#2f5fb3", "#b3261e", "#1e7b34", "#b36b00", "#6b3fb3", "#00798c", "#8a5a44", "#444c5e"]


def ecdf_chart(histograms: dict[str, dict], bins: dict, target: float | None, xlabel: str) -> str | None:
    """The share of incidents restored within x minutes, one line per option (from each option's
    fixed-bin histogram, so it needs no per-incident table)."""
    figure, ax = plt.subplots(figsize=(8, 3.6))
    drawn = False
    for k, (name, histogram) in enumerate(histograms.items()):
        if not histogram or not histogram.get("counts"):
            continue
        x, y = histogram_edges(histogram)
        ax.step(x, y, where="post", color=PALETTE[k % len(PALETTE)], label=name, linewidth=1.6)
        drawn = True
    if not drawn:
        plt.close(figure)
        return None
    if target is not None:
        ax.axvline(target, color=INK, linestyle="--", linewidth=1)
        ax.text(target, 0.02, f" target {target:g}m", fontsize=8)
    ax.set_ylim(0, 1.01)
    ax.set_ylabel("share of incidents")
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


def box_chart(options: list[dict], bins: dict, metrics: list[str], titles: dict) -> str | None:
    """One panel per milestone metric: each option's distribution as a box plot (box p25-p75,
    whiskers p5-p95), read off the results' histograms."""
    def stats(option: dict, metric: str) -> dict | None:
        described = option["metrics"].get(metric)
        histogram = option.get("histograms", {}).get(metric)
        if not described or not histogram or not histogram.get("counts"):
            return None
        at = {q: histogram_quantile(histogram, q, described["min"], described["max"])
              for q in (0.05, 0.25, 0.5, 0.75, 0.95)}
        return {"whislo": at[0.05], "q1": at[0.25], "med": at[0.5], "q3": at[0.75], "whishi": at[0.95],
                "fliers": [], "label": option["name"]}

    metrics = [m for m in metrics if any(stats(o, m) for o in options)]
    if not metrics:
        return None
    names = [o["name"] for o in options]
    cols = 2
    rows = (len(metrics) + cols - 1) // cols
    figure, axes = plt.subplots(rows, cols, figsize=(9, 1.2 + 1.0 * rows * max(1, len(names)) * 0.55), squeeze=False)
    for ax, metric in zip(axes.ravel(), metrics):
        boxes = [stats(o, metric) for o in options]
        drawn = [(k, b) for k, b in enumerate(boxes) if b is not None]
        box = ax.bxp([b for _, b in drawn], positions=[k + 1 for k, _ in drawn], orientation="horizontal",
                     showfliers=False, patch_artist=True, widths=0.6)
        for (k, _), patch in zip(drawn, box["boxes"]):
            patch.set_facecolor(PALETTE[k % len(PALETTE)])
            patch.set_alpha(0.45)
        ax.set_yticks(range(1, len(names) + 1), names, fontsize=7)
        ax.set_title(titles.get(metric, metric), fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.ravel()[len(metrics):]:
        ax.set_visible(False)
    figure.tight_layout()
    return svg(figure)


def difference_chart(differences: list[dict], metric_titles: dict) -> str | None:
    """Paired differences against the baseline (p90), with 95% confidence intervals."""
    rows = [d for d in differences if d.get("p90_diff") is not None and d.get("p90_ci95") and d["p90_ci95"][0] is not None]
    if not rows:
        return None
    figure, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.0))
    for y, d in enumerate(rows[::-1]):
        low, high = d["p90_ci95"]
        color = MISSED if low > 0 else MET if high < 0 else MUTED
        ax.plot([low, high], [y, y], color=color, linewidth=2)
        ax.scatter([d["p90_diff"]], [y], color=color, zorder=3, s=18)
    ax.axvline(0, color=INK, linewidth=1)
    ax.set_yticks(range(len(rows)), [f"{d['option']}: {metric_titles.get(d['metric'], d['metric'])}" for d in rows[::-1]],
                  fontsize=7)
    ax.set_xlabel("change in p90 minutes against the baseline (95% CI); left is faster")
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


def pareto_chart(points: list[tuple[str, float, float]], currency: str | None = None) -> str | None:
    """Options by yearly staffing cost and expected outage cost; the frontier joined up. Options
    with no outage cost (no incident in the run) are left out."""
    points = [p for p in points if p[1] is not None and p[2] is not None]
    if not points:
        return None
    figure, ax = plt.subplots(figsize=(7, 4))
    for k, (name, staffing, outage) in enumerate(points):
        ax.scatter([staffing], [outage], color=PALETTE[k % len(PALETTE)], s=60, zorder=3)
        ax.annotate(name, (staffing, outage), textcoords="offset points", xytext=(6, 6), fontsize=8)
    frontier, best = [], float("inf")
    for name, staffing, outage in sorted(points, key=lambda p: (p[1], p[2])):
        if outage < best:
            frontier.append((staffing, outage))
            best = outage
    if len(frontier) > 1:
        ax.plot(*zip(*frontier), color=MUTED, linestyle="--", linewidth=1, label="no option is better on both")
        ax.legend(frameon=False)
    unit = f" ({currency})" if currency else ""
    ax.set_xlabel(f"staffing cost per year{unit}")
    ax.set_ylabel(f"expected outage cost per year{unit}")
    ax.ticklabel_format(style="plain")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


def trend_chart(cards: list[dict], metrics: list[str]) -> str | None:
    """A team's score and times over successive drills."""
    if not cards:
        return None
    labels = [c["drill"]["created"][:10] for c in cards]
    x = list(range(len(cards)))
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.2), sharex=True, gridspec_kw={"height_ratios": [1, 1.5]})
    top.plot(x, [c["score"] for c in cards], marker="o", color=INK)
    top.set_ylim(0, 100)
    top.set_ylabel("score")
    for k, metric in enumerate(metrics):
        values = [c["metrics"][metric].get("scored_min", c["metrics"][metric]["actual_min"]) for c in cards]
        if all(v is None for v in values):
            continue
        bottom.plot(x, [float("nan") if v is None else v for v in values], marker="o",
                    color=PALETTE[k % len(PALETTE)], label=cards[-1]["metrics"][metric]["title"])
    bottom.set_ylabel("scenario minutes")
    bottom.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    bottom.legend(frameon=False, fontsize=8)
    for ax in (top, bottom):
        ax.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return svg(figure)


# -- incident history ----------------------------------------------------------------------------

def incidents_per_period_chart(all_incidents: list[dict], majors: list[dict], xlabel: str) -> str | None:
    """Incidents per calendar period as bars, the major ones drawn over them."""
    if not all_incidents:
        return None
    labels = [p["period"] for p in all_incidents]
    major = {p["period"]: p["count"] for p in majors}
    figure, ax = plt.subplots(figsize=(max(5.0, min(10.0, 0.35 * len(labels) + 2)), 2.8))
    x = list(range(len(labels)))
    ax.bar(x, [p["count"] for p in all_incidents], color=MUTED, alpha=0.45, label="all incidents")
    ax.bar(x, [major.get(label, 0) for label in labels], color=MISSED, width=0.55, label="major incidents")
    step = max(1, len(labels) // 16)
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right", fontsize=7)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("incidents")
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


def qq_chart(qq: dict | None, chosen: str | None, title: str) -> str | None:
    """Observed durations against each fitted family's quantiles, log-log: points on the
    diagonal mean the family describes the history; the chosen family is drawn solid."""
    if not qq or not qq.get("observed"):
        return None
    import numpy as np

    observed = np.asarray(qq["observed"], dtype=float)
    figure, ax = plt.subplots(figsize=(4.2, 3.6))
    values = [observed]
    for k, (family, fitted) in enumerate(qq["fitted"].items()):
        fitted = np.asarray(fitted, dtype=float)
        values.append(fitted)
        ax.scatter(fitted, observed, s=10 if family == chosen else 6, color=PALETTE[k % len(PALETTE)],
                   alpha=0.9 if family == chosen else 0.35, label=family + (" (chosen)" if family == chosen else ""),
                   zorder=3 if family == chosen else 2)
    every = np.concatenate(values)
    every = every[np.isfinite(every) & (every > 0)]
    low, high = float(every.min()) * 0.8, float(every.max()) * 1.25
    ax.plot([low, high], [low, high], color=INK, linewidth=1, linestyle="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel("fitted quantile, minutes")
    ax.set_ylabel("observed, minutes")
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(frameon=False, fontsize=7, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


# -- sensitivity and optimize ---------------------------------------------------------------------

def tornado_chart(rows: list[dict], limit: int = 15) -> str | None:
    """A tornado of one-at-a-time changes: for each parameter (largest p90 effect on top), the
    paired change in p90 and in p50 time to restore (MTTR) when it moves down and up, with 95%
    confidence intervals. Parameters with no effect on either are left to the table."""
    by_parameter: dict[str, dict] = {}
    for row in rows:
        by_parameter.setdefault(row["parameter"], {"label": row["label"]})[row["direction"]] = row

    def size(parameter: str, key: str) -> float:
        return max((abs(r.get(key) or 0.0) for d, r in by_parameter[parameter].items() if d != "label"), default=0.0)

    ordered = sorted(by_parameter, key=lambda p: (-size(p, "p90_diff"), -size(p, "p50_diff"), p))
    shown = [p for p in ordered if size(p, "p90_diff") > 0 or size(p, "p50_diff") > 0][:limit]
    if not shown:
        return None
    colors = {"down": ACCENT, "up": PALETTE[3]}
    figure, axes = plt.subplots(1, 2, figsize=(10, 0.46 * len(shown) + 1.4), sharey=True)
    for ax, quantile in zip(axes, ("p90", "p50")):
        for y, parameter in enumerate(reversed(shown)):
            for direction, offset in (("down", 0.19), ("up", -0.19)):
                row = by_parameter[parameter].get(direction)
                if row is None or row.get(f"{quantile}_diff") is None:
                    continue
                ax.barh(y + offset, row[f"{quantile}_diff"], height=0.36, color=colors[direction], alpha=0.8)
                low, high = row.get(f"{quantile}_diff_ci_low"), row.get(f"{quantile}_diff_ci_high")
                if low is not None and high is not None:
                    ax.plot([low, high], [y + offset, y + offset], color=INK, linewidth=1)
        ax.axvline(0, color=INK, linewidth=1)
        ax.set_title(f"{quantile} time to restore (MTTR)", fontsize=9, loc="left")
        ax.set_xlabel("change in minutes against the baseline (95% CI)")
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_yticks(range(len(shown)), [by_parameter[p]["label"] for p in reversed(shown)], fontsize=7)
    axes[1].legend(frameon=False, fontsize=7, loc="lower right", handles=[
        matplotlib.patches.Patch(color=colors["down"], label="moved down (one person fewer, or smaller)"),
        matplotlib.patches.Patch(color=colors["up"], label="moved up (one person more, or larger)")])
    figure.tight_layout()
    return svg(figure)


def frontier_chart(points: list[dict], limit: float, ylabel: str, currency: str | None = None) -> str | None:
    """Simulated staffing candidates by yearly staffing cost and the target's statistic (with
    its confidence interval); the target as a horizontal line, the frontier (no cheaper
    candidate is as fast) joined up, the chosen candidate ringed. Each point is a dict with
    name, cost, value, low, high, meets, frontier and chosen."""
    points = [p for p in points if p.get("value") is not None]
    if not points:
        return None
    figure, ax = plt.subplots(figsize=(8, 4.2))
    for p in points:
        color = MET if p["meets"] else MISSED
        if p.get("low") is not None and p.get("high") is not None:
            ax.plot([p["cost"], p["cost"]], [p["low"], p["high"]], color=color, linewidth=1, alpha=0.6)
        ax.scatter([p["cost"]], [p["value"]], color=color, s=28, zorder=3)
        if p.get("chosen"):
            ax.scatter([p["cost"]], [p["value"]], facecolors="none", edgecolors=INK, s=160, linewidths=1.5, zorder=4)
            ax.annotate(p["name"], (p["cost"], p["value"]), textcoords="offset points", xytext=(8, 8), fontsize=8)
    frontier = sorted((p["cost"], p["value"]) for p in points if p.get("frontier"))
    if len(frontier) > 1:
        ax.plot(*zip(*frontier), color=MUTED, linestyle="--", linewidth=1, label="frontier: no cheaper candidate is faster")
    ax.axhline(limit, color=INK, linestyle=":", linewidth=1, label=f"target {limit:g} min")
    ax.set_xlabel("staffing cost per year" + (f" ({currency})" if currency else ""))
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return svg(figure)


__all__ += ["tornado_chart", "frontier_chart"]
