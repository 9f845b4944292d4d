"""Invariants of any drill, whatever the team does (Hypothesis): the journal is numbered
without gaps, time never runs backwards, and a crash at any point followed by a resume
gives exactly the journal an uninterrupted drill would have written."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills import ActionRejected, DrillSession, DrillStore
from drills.clock import DrillClock

ROLES = ["incident_manager", "technical_lead", "sre", "communications_lead", "change_manager"]
MOVES = [
    ("acknowledge", {}), ("declare", {}), ("open_bridge", {}), ("page", {"target": "sre"}),
    ("page", {"target": "communications_lead"}), ("update", {"audience": "public", "text": "news"}),
    ("hypothesis", {"cause": "ddos_attack"}), ("identify", {"cause": "waf_regex"}),
    ("identify", {"cause": "edge_release"}), ("request_info", {"topic": "cpu_profile"}),
    ("apply_workaround", {"workaround": "kill_waf_globally"}), ("apply_workaround", {"workaround": "restart_edge_fleet"}),
    ("log", {"text": "we did the thing", "claims_workaround": "kill_waf_globally"}),
    ("approve_change", {}), ("implement_fix", {}), ("problem_record", {}), ("resolve", {}),
    ("schedule_review", {"within": 4320.0}),
]
step = st.tuples(st.floats(0, 12, allow_nan=False).map(lambda x: round(x, 2)), st.sampled_from(ROLES),
                 st.sampled_from(MOVES), st.sampled_from(["act", "pause", "resume", "jump", "accept", "allow_fix"]))


def _play(store: DrillStore, docs, steps, crash_at: int | None) -> list[tuple]:
    session = DrillSession.create(store, docs, seed=4, drill_id="d", clock=DrillClock(wall=lambda: 0.0))
    session.start()
    t = 0.0
    for k, (gap, role, (action, fields), kind) in enumerate(steps):
        if crash_at is not None and k == crash_at:
            session = DrillSession.resume(store, "d", clock=DrillClock(wall=lambda: 0.0))
            if session.status == "running":
                session.clock.resume()
        t += gap
        session.clock.jump_to(t)
        try:
            if kind == "act":
                session.act(role, action, dict(fields))
            elif kind == "pause":
                session.pause()
            elif kind == "resume":
                session.resume_clock()
            elif kind == "jump":
                session.jump_to_next_inject()
                t = max(t, session.now())
            elif kind == "allow_fix":
                session.allow_fix("the facilitator lets the fix go ahead")
            else:
                session.adjudicate(1, True, "ok")
        except ActionRejected:
            pass
    session.clock.jump_to(t + 30)
    if session.status == "running":
        session.advance_to()
    return [(e.seq, e.t, e.kind, e.name, e.role, dict(e.detail)) for e in store.events("d")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=14), data=st.data())
def test_any_drill_resumed_anywhere_writes_the_same_journal(cloudflare_drill, steps, data):
    crash_at = data.draw(st.integers(0, len(steps) - 1))
    with tempfile.TemporaryDirectory() as tmp:
        straight = _play(DrillStore(Path(tmp) / "a.db"), cloudflare_drill, steps, None)
        resumed = _play(DrillStore(Path(tmp) / "b.db"), cloudflare_drill, steps, crash_at)
    assert resumed == straight
    assert [row[0] for row in straight] == list(range(1, len(straight) + 1))
    times = [row[1] for row in straight]
    assert times == sorted(times), "time never runs backwards"
