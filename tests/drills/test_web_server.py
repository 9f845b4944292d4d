"""The real server in its own process: injects reach a participant live over server-sent
events, and a server killed with SIGKILL mid-drill comes back with every acknowledged
action, at the right scenario minute, and streams resume without losing or repeating."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

WARROOM = str(Path(sys.executable).with_name("warroom"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            httpx.get(base + "/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


def start(args, tmp_path) -> subprocess.Popen:
    return subprocess.Popen([WARROOM, *map(str, args)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def read_links(process: subprocess.Popen) -> dict:
    links = {}
    while True:
        line = process.stdout.readline()
        assert line, "the server printed no links"
        match = re.search(r"(http://\S+/(play|facilitate|evaluate)/(\S+))", line)
        if match:
            role = re.search(r"\((\w+)\)", line)
            links[role[1] if role and match[2] == "play" else match[2]] = match[3]
        if line.startswith("Send each person"):
            return links


def sse_events(base: str, token: str, after: int, want: int, timeout: float = 15) -> list[dict]:
    """Read the stream until `want` events arrived (or time runs out)."""
    found = []
    with httpx.stream("GET", f"{base}/api/{token}/stream", headers={"Last-Event-ID": str(after)},
                      timeout=httpx.Timeout(timeout)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        deadline = time.time() + timeout
        for line in response.iter_lines():
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
                if len(found) >= want:
                    break
            if time.time() > deadline:
                break
    return found


@pytest.mark.skipif(not Path(WARROOM).exists(), reason="the warroom command is not installed in this environment")
def test_live_stream_and_kill_and_resume(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = tmp_path / "drills.db"
    server = start(["drill", "start", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--web",
                    "--speed", "30", "--port", port, "--store", store], tmp_path)
    try:
        links = read_links(server)
        wait_until_up(base)
        fac, tl = links["facilitate"], links["technical_lead"]
        assert httpx.post(f"{base}/api/{fac}/control", json={"name": "start"}).status_code == 200
        # The page at 3 scenario minutes arrives live: six wall seconds at 30x.
        live = sse_events(base, tl, after=0, want=4)
        kinds = [(e["kind"], e["name"]) for e in live]
        assert ("inject", "synthetic_waf_test") in kinds, kinds
        ack = httpx.post(f"{base}/api/{tl}/action", json={"action": "acknowledge"})
        assert ack.status_code == 200
        ack_seq = ack.json()["events"][0]["seq"]
        declare = httpx.post(f"{base}/api/{links['incident_manager']}/action", json={"action": "declare"})
        assert declare.status_code == 200
        last_minute = httpx.get(f"{base}/api/{fac}/state").json()["drill"]["now"]
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(10)

    again = start(["drill", "serve", "--port", port, "--store", store], tmp_path)
    try:
        wait_until_up(base)
        events = httpx.get(f"{base}/api/{fac}/events").json()
        actions = [(e["name"], e["role"]) for e in events if e["kind"] == "action"]
        assert actions == [("acknowledge", "technical_lead"), ("declare", "incident_manager")]
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        state = httpx.get(f"{base}/api/{fac}/state").json()
        assert state["drill"]["status"] == "running"
        # It carries on from the last recorded minute; the clock did not run while it was down.
        assert events[-1]["t"] <= state["drill"]["now"] < last_minute + 1.5
        # A browser that saw everything up to the acknowledgement reconnects and gets only what followed.
        resumed = sse_events(base, tl, after=ack_seq, want=2, timeout=5)
        assert resumed and all(e["seq"] > ack_seq for e in resumed)
        assert len({e["seq"] for e in resumed}) == len(resumed)
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(10)


def listening_addresses(port: int) -> set[str]:
    """The local addresses listening on `port`, from the kernel's own table (/proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@pytest.mark.skipif(not Path(WARROOM).exists(), reason="the warroom command is not installed in this environment")
def test_the_server_binds_to_localhost_by_default(tmp_path):
    port = free_port()
    server = start(["drill", "serve", "--port", port, "--store", tmp_path / "d.db"], tmp_path)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)


@pytest.mark.skipif(not Path(WARROOM).exists(), reason="the warroom command is not installed in this environment")
def test_open_streams_per_link_are_limited_and_released(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(["drill", "start", "cloudflare-2019-waf", "--roster", "cloudflare-2019-team", "--web",
                    "--port", port, "--store", tmp_path / "d.db", "--max-streams", 2], tmp_path)
    try:
        links = read_links(server)
        wait_until_up(base)
        tl, im = links["technical_lead"], links["incident_manager"]
        assert httpx.post(f"{base}/api/{links['facilitate']}/control", json={"name": "start"}).status_code == 200
        with httpx.Client(timeout=10) as client, contextlib.ExitStack() as held:
            first = held.enter_context(client.stream("GET", f"{base}/api/{tl}/stream"))
            second = held.enter_context(client.stream("GET", f"{base}/api/{tl}/stream"))
            assert (first.status_code, second.status_code) == (200, 200)
            third = httpx.get(f"{base}/api/{tl}/stream", timeout=5)
            assert third.status_code == 429 and "at most 2" in third.json()["error"]
            # Another person's link has its own allowance.
            with httpx.stream("GET", f"{base}/api/{im}/stream", timeout=5) as other:
                assert other.status_code == 200
            first.close()
            deadline = time.time() + 10
            while time.time() < deadline:  # the server notices the closed stream at its next write
                with httpx.stream("GET", f"{base}/api/{tl}/stream", timeout=5) as again:
                    if again.status_code == 200:
                        break
                time.sleep(0.5)
            assert again.status_code == 200
            second.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
