"""Charts for reports, drawn with matplotlib and embedded as inline SVG so that an HTML
report needs no network and no files beside it, and prints sharply."""

from __future__ import annotations

import io


import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["svg", "metrics_chart", "swimlane_chart", "cadence_chart", "percentile_chart"]

INK, MUTED, MET, MISSED, ACCENT = "#1d2433", "#8a91a3", "#1e7b34", "#b3261e", "#2f5fb3"
plt.rcParams.update({"font.size": 9, "axes.edgecolor": MUTED, "axes.labelcolor": INK, "xtick.color": INK,
                     "ytick.color": INK, "svg.fonttype": "none", "svg.hashsalt": "warroom"})


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
    rows = [(m["title"], m["actual_min"], m["target_min"], m["met"]) for m in metrics.values()
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
