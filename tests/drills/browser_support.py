"""What the browser tests share: Debian's chromium and its launch flags (SPEC 5), a live
drill server running this checkout's code, and axe-core for the accessibility checks.

Nothing is downloaded here: chromium comes from apt (.ci/run), axe-core from the npm
registry through `make axe` (into .venv/axe, never committed)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("WARROOM_TEST_ARTIFACTS", ROOT / "test-artifacts"))
# `python -m cli` with this checkout first on the path: a git worktree's tests serve the
# worktree's pages even when the virtualenv's `warroom` script points at another checkout.
WARROOM = [sys.executable, "-m", "cli"]
SERVER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
AXE_CANDIDATES = [Path(os.environ["WARROOM_AXE"])] if os.environ.get("WARROOM_AXE") else []
AXE_CANDIDATES += [ROOT / ".venv/axe/node_modules/axe-core/axe.min.js",
                   Path(sys.prefix) / "axe/node_modules/axe-core/axe.min.js"]

_LINE = re.compile(r"^\s+(facilitator|evaluator|participant)\s+(.*?)\s+(http://\S+)\s*$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def axe_script() -> Path | None:
    return next((p for p in AXE_CANDIDATES if p.is_file()), None)


@dataclass
class LiveServer:
    """A `warroom drill start --web` process and the links it printed."""

    process: subprocess.Popen
    base: str
    facilitator: str = ""
    evaluator: str = ""
    by_role: dict[str, str] = field(default_factory=dict)     # participant links, one per role
    by_person: dict[str, str] = field(default_factory=dict)

    def token(self, link: str) -> str:
        return link.rsplit("/", 1)[1]

    def api(self, link: str, path: str) -> str:
        return f"{self.base}/api/{self.token(link)}/{path}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start_drill(tmp_path: Path, roster: str = "cloudflare-2019-team", speed: float = 60,
                scenario: str = "cloudflare-2019-waf") -> LiveServer:
    port = free_port()
    process = subprocess.Popen(
        [*WARROOM, "drill", "start", scenario, "--roster", roster, "--web", "--speed", str(speed),
         "--port", str(port), "--store", str(tmp_path / "d.db")],
        cwd=tmp_path, env=SERVER_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = LiveServer(process, f"http://127.0.0.1:{port}")
    printed = []
    while True:
        line = process.stdout.readline()
        printed.append(line)
        assert line, "no links printed:\n" + "".join(printed)
        match = _LINE.match(line)
        if match:
            capability, who, link = match.groups()
            if capability == "participant":
                role = re.search(r"\((\w+)\)$", who)[1]
                server.by_role.setdefault(role, link)
                server.by_person[who[: -len(role) - 2].strip()] = link
            else:
                setattr(server, capability, link)
        if line.startswith("Send each person"):
            break
    # Keep reading what the server prints, so a full pipe never blocks it.
    threading.Thread(target=lambda: [printed.append(x) for x in process.stdout], daemon=True).start()
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            httpx.get(server.base, timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError("the drill server did not answer within 20 s")
