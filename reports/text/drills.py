"""The answers of the drill commands: the journal's drills, a live drill's links, a scored drill."""

from __future__ import annotations

from .scorecard import scorecard_text
from .tables import table

__all__ = ["chat_commands_text", "drill_list_text", "links_text", "scored_drill_text", "web_drill_text"]


def drill_list_text(drills: list[dict]) -> str:
    """One row per drill: the dicts `warroom drill list --json` prints (id, scenario, team,
    mode, status, created, events, scenario_minute, score)."""
    if not drills:
        return "No drills yet."
    rows = [[d["id"], d["scenario"], d["team"], d["mode"], d["status"], d["created"][:16].replace("T", " "),
             str(d["events"]), f"{d['scenario_minute']:.1f}", "" if d["score"] is None else f"{d['score']:.0f}"]
            for d in drills]
    return table(["drill", "scenario", "team", "mode", "state", "created (UTC)", "events", "minute", "score"], rows,
                 "llllllrrr")


def _link_lines(links) -> list[str]:
    lines = []
    for access, url in links:
        who = f"{access.person} ({access.role})" if access.role else access.person
        lines.append(f"  {access.capability:<12} {who:<44} {url}")
    return lines


def links_text(links) -> str:
    """One line per link: capability, person (and role), URL. `links` are (access, url) pairs
    as `drills.interfaces.web.links` gives them; empty when there are none."""
    return "\n".join(_link_lines(links))


def web_drill_text(drill_id: str, title: str, links) -> str:
    """A live drill just created: its id and title, everyone's link, and how to hand them out."""
    return "\n".join([f"Drill {drill_id}: {title}", *_link_lines(links),
                      "Send each person only their own link. Start the clock from the facilitator page."])


def chat_commands_text(url: str, signers) -> str:
    """Where participants' `/warroom` chat commands go, and each participant's signing secret.
    `signers` are (access, secret) pairs as `DrillStore.chat_signers` gives them; empty when none."""
    if not signers:
        return ""
    lines = [f"Chat commands (/warroom ACTION ...): request URL {url}, signed with each person's own secret:"]
    lines += [f"  {access.person + ' (' + access.role + ')':<57} {secret}" for access, secret in signers]
    return "\n".join(lines)


def scored_drill_text(card: dict, out_file: str | None = None, store: str | None = None) -> str:
    """The scorecard of a drill (the scorecard artifact), where it was written (`out_file`),
    and the command that exports the drill's journal (`store`: the --store to name in it,
    None for the default journal)."""
    lines = [scorecard_text(card)]
    if out_file:
        lines += ["", f"Scorecard written to {out_file}"]
    where = "" if store is None else f" --store {store}"
    lines.append(f"Journal: warroom drill export {card['drill']['id']}{where}")
    return "\n".join(lines)
