"""The facilitator console under a real terminal (a pty): injects appear live, above the
prompt, without garbling what the facilitator is typing; commands with tab completion are
journaled; ending shows progress while the scorecard is made and the prompt still answers;
and a console killed mid-drill resumes with every acknowledged action intact."""

from __future__ import annotations

import os
import re
import signal
import sys
import textwrap
from pathlib import Path

import pexpect
import pytest

from drills import DrillSession, DrillStore
from drills.interfaces.console import Console

WARROOM = str(Path(sys.executable).with_name("warroom"))
REPO = Path(__file__).resolve().parents[2]
needs_warroom = pytest.mark.skipif(not Path(WARROOM).exists(),
                                   reason="the warroom command is not installed in this environment")


def spawn(args, tmp_path, program=WARROOM):
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="140", LINES="40",
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    child = pexpect.spawn(program, [str(a) for a in args], env=env, encoding="utf-8", timeout=30,
                          dimensions=(40, 140), cwd=str(tmp_path))
    child.logfile_read = open(tmp_path / "console.log", "a", encoding="utf-8")
    return child


def finished(child) -> str:
    """Wait for the program to exit; everything it wrote to the terminal."""
    child.expect(pexpect.EOF)
    child.close()
    child.logfile_read.close()
    with open(child.logfile_read.name, encoding="utf-8", newline="") as log:  # keep the CRs: they move the cursor
        return log.read()


_TOKEN = re.compile(r"\x1b\[([?0-9;]*)([@-~])|\x1b[()][0-9A-Za-z]|\x1b.|(.)", re.S)


def screen(raw: str) -> list[str]:
    """The rows a terminal shows after `raw`, scrollback included: the part of VT100 that
    prompt_toolkit draws a (non-full-screen) prompt with: text, CR, LF, BS, relative cursor
    moves, erase. Enough to see whether text landed on top of the prompt line."""
    rows: list[list[str]] = [[]]
    row = col = 0
    for match in _TOKEN.finditer(raw):
        params, final, char = match.group(1), match.group(2), match.group(3)
        if final is not None:
            n = int(params) if params.isdigit() else None
            if final == "A":
                row = max(0, row - (n or 1))
            elif final == "B":
                row += n or 1
            elif final == "C":
                col += n or 1
            elif final == "D":
                col = max(0, col - (n or 1))
            elif final == "G":
                col = (n or 1) - 1
            elif final == "K" and not n:
                del rows[row][col:]
            elif final == "J" and not n:
                del rows[row][col:]
                del rows[row + 1:]
        elif char == "\r":
            col = 0
        elif char == "\n":
            row += 1
        elif char == "\b":
            col = max(0, col - 1)
        elif char is not None and char.isprintable():
            while len(rows) <= row:
                rows.append([])
            line = rows[row]
            line.extend(" " * (col - len(line)))
            line[col:col + 1] = [char]
            col += 1
        while len(rows) <= row:
            rows.append([])
    return ["".join(r).rstrip() for r in rows]


def test_the_screen_model_sees_text_printed_over_a_prompt():
    assert screen("drill> tl ac[   3.0m] ALERT\r\n") == ["drill> tl ac[   3.0m] ALERT", ""]
    assert screen("drill> tl ac\x1b[12D\x1b[J[   3.0m] ALERT\r\ndrill> tl ac") == ["[   3.0m] ALERT", "drill> tl ac"]


@needs_warroom
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
    resumed.expect(r"Scoring the drill\.\.\.", timeout=1)  # said at once, before the scorecard
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


@needs_warroom
def test_an_inject_arriving_while_the_facilitator_types_goes_above_the_prompt(tmp_path):
    store_path = tmp_path / "drills.db"
    child = spawn(["drill", "run", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--console",
                   "--speed", "60", "--store", store_path, "--baseline", "0"], tmp_path)
    child.expect("drill>")
    child.sendline("start")
    child.expect("The clock is running")
    child.expect("drill>")
    child.send("tl ac")  # half a command: the first page arrives three seconds after start
    child.expect("PAGE: external WAF probe failing")
    child.expect("Alert storm")  # the next inject, half a second later, while still typing
    child.send("k\r")
    child.expect(r"technical_lead: acknowledge")
    child.sendline("quit")
    rows = screen(finished(child))

    page = next(i for i, r in enumerate(rows) if "PAGE: external WAF probe failing" in r)
    storm = next(i for i, r in enumerate(rows) if "Alert storm" in r)
    assert rows[page].startswith("[   3.0m] ALERT"), rows[page]  # its own line, nothing typed on it
    assert rows[storm].startswith("[   3.5m] DASHBOARD"), rows[storm]
    assert not any("tl ac[" in r or "drill> tl ac" in r and "]" in r for r in rows), rows
    typed = rows.index("drill> tl ack")  # the half-typed command survived, below the injects
    assert page < storm < typed
    assert re.match(r"\[ *[0-9.]+m\] technical_lead: acknowledge$", rows[typed + 1]), rows[typed:typed + 2]
    (record,) = DrillStore(store_path).list()
    assert [e.name for e in DrillStore(store_path).events(record.id) if e.kind == "action"] == ["acknowledge"]


SLOW_ENDING = textwrap.dedent("""
    import sys
    import time
    from pathlib import Path

    from drills import DrillDocuments, DrillSession, DrillStore
    from drills.clock import DrillClock
    from drills.interfaces.console import run_console
    from scenarios import resolve

    store, release, outcome = DrillStore(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    documents = DrillDocuments.resolve(resolve("cloudflare-2019-waf", "scenario"),
                                       resolve("cloudflare-2019-team", "roster"))
    session = DrillSession.create(store, documents, mode="console", speed=60, clock=DrillClock(speed=60))

    def score_slowly(step):
        step("Simulating the comparison")
        while not release.exists():  # the test says when the long work is over
            time.sleep(0.05)
        if outcome == "fail":
            raise RuntimeError("the simulator fell over")
        return "SCORECARD: made"

    sys.exit(0 if run_console(session, finish=score_slowly) else 1)
""")


def slow_ending(tmp_path, outcome):
    """A console whose scoring lasts until the test creates the returned file."""
    script, release = tmp_path / "slow_ending.py", tmp_path / "release"
    script.write_text(SLOW_ENDING, encoding="utf-8")
    child = spawn([script, tmp_path / "drills.db", release, outcome], tmp_path, program=sys.executable)
    child.expect("drill>")
    child.sendline("start")
    child.expect("-- start")
    child.sendline("end")
    child.expect("-- end")
    child.expect(r"Scoring the drill\.\.\.", timeout=1)
    child.expect(r"Simulating the comparison\.\.\.", timeout=1)
    return child, release


def test_ending_shows_progress_and_the_prompt_answers_until_the_scorecard_is_ready(tmp_path):
    child, release = slow_ending(tmp_path, "ok")
    child.sendline("status")  # the scoring has not finished (it waits for `release`), yet the console answers
    child.expect(r"scenario minute [0-9.]+, ended", timeout=2)
    child.sendline("tl ack")
    child.expect("the drill has ended and its scorecard is being made", timeout=2)
    child.send("dash")  # half-typed when the scorecard arrives: the console closes all the same
    release.touch()
    child.expect("SCORECARD: made", timeout=5)
    output = finished(child)
    assert child.exitstatus == 0
    assert "Traceback" not in output
    assert output.index("Simulating the comparison...") < output.index("scenario minute") < output.index("SCORECARD")


def test_a_failed_ending_is_a_message_and_exit_status_1(tmp_path):
    child, release = slow_ending(tmp_path, "fail")
    release.touch()
    child.expect("error: the scorecard could not be made: RuntimeError: the simulator fell over", timeout=5)
    child.expect("try again with: warroom drill score ")
    output = finished(child)
    assert child.exitstatus == 1
    assert "Traceback" not in output


def test_quitting_while_scoring_leaves_at_once(tmp_path):
    child, release = slow_ending(tmp_path, "ok")
    child.sendline("quit")
    child.expect("Left before the scorecard was ready", timeout=2)
    child.expect(pexpect.EOF, timeout=3)  # the worker is not waited for
    assert not release.exists()


def test_the_bottom_bar_shows_the_ending_while_it_runs(tmp_path, cloudflare_drill):
    session = DrillSession.create(DrillStore(tmp_path / "drills.db"), cloudflare_drill, mode="console")
    said = []
    console = Console(session, said.append, finish=lambda step: "card")
    console.execute("start")
    console.execute("end")
    assert said[-1] == "Scoring the drill..."
    assert "Scoring the drill... 0 s |" in console.toolbar()
    console.execute("speed 4")
    assert said[-1].startswith("the drill has ended and its scorecard is being made")
    console.ending.run()
    assert console.ending.text == "card" and "Scoring" not in console.toolbar()
    console.execute("speed fast")
    assert said[-1] == "refused: speed is a number, e.g. speed 4; got 'fast'"
