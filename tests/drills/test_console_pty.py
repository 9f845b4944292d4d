"""The facilitator console under a real terminal (a pty): injects appear live, commands
with tab completion are journaled, and a console killed mid-drill resumes with every
acknowledged action intact."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pexpect
import pytest

from drills import DrillStore

WARROOM = str(Path(sys.executable).with_name("warroom"))


def spawn(args, tmp_path):
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="140", LINES="40")
    child = pexpect.spawn(WARROOM, [str(a) for a in args], env=env, encoding="utf-8", timeout=30,
                          dimensions=(40, 140), cwd=str(tmp_path))
    child.logfile_read = open(tmp_path / "console.log", "a", encoding="utf-8")
    return child


@pytest.mark.skipif(not Path(WARROOM).exists(), reason="the warroom command is not installed in this environment")
def test_console_in_a_pty_survives_a_kill_and_resumes(tmp_path):
    store_path = tmp_path / "drills.db"
    child = spawn(["drill", "run", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--console",
                   "--speed", "60", "--store", store_path, "--baseline", "0"], tmp_path)
    child.expect("drill>")
    child.sendline("start")
    child.expect("PAGE: external WAF probe failing")  # three scenario minutes = three seconds at 60x
    child.sendline("tl ack")
    child.expect(r"\* acknowledged")
    child.send("im decl\t")  # tab completes 'declare'
    child.expect("declare")
    child.sendline("")
    child.expect(r"\* declared")
    child.sendline("tl page sre")
    child.expect("technical_lead: page target=sre")
    child.sendline("pause")
    child.expect("-- pause")

    store = DrillStore(store_path)
    (record,) = store.list()
    before = store.events(record.id)
    acknowledged = [(e.kind, e.name, e.t) for e in before if e.kind == "action"]
    assert [a[1] for a in acknowledged] == ["acknowledge", "declare", "page"]
    assert record.status == "paused"

    child.kill(signal.SIGKILL)
    child.close()

    resumed = spawn(["drill", "resume", record.id, "--store", store_path, "--baseline", "0"], tmp_path)
    resumed.expect("Resumed drill")
    resumed.expect("paused")
    resumed.expect("drill>")
    after_resume = store.events(record.id)
    assert [(e.seq, e.kind, e.name, e.t) for e in after_resume] == [(e.seq, e.kind, e.name, e.t) for e in before]
    resumed.sendline("resume")
    resumed.expect("-- resume")
    resumed.sendline("sre wa kill_waf_globally")
    resumed.expect(r"\* workaround applied")
    resumed.sendline("end")
    resumed.expect("Score ")
    resumed.expect(pexpect.EOF)

    final = store.events(record.id)
    assert [(e.seq, e.kind, e.name, e.t) for e in final[:len(before)]] == \
        [(e.seq, e.kind, e.name, e.t) for e in before]
    actions = [e.name for e in final if e.kind == "action"]
    assert actions == ["acknowledge", "declare", "page", "apply_workaround"]
    assert [e.seq for e in final] == list(range(1, len(final) + 1))
    # The clock did not run while the console was down: the pause minute is where it resumed.
    pause = next(e for e in final if e.kind == "control" and e.name == "pause")
    resume = next(e for e in final if e.kind == "control" and e.name == "resume")
    assert resume.t == pytest.approx(pause.t)
    assert store.get(record.id).status == "ended"
