"""Load on the live drill server: N participants connected over loopback.

    python bench/drill_load.py [--participants 200] [--injects 20] [--actions 10]

Starts `warroom drill serve` in its own process on a fresh journal, opens one
server-sent-event stream per participant, then:

- fan-out latency: the facilitator sends an inject to everyone; for each participant, the
  time from the POST to its arrival on that participant's stream (p50, p99), and for each
  inject the time until the last participant had it;
- actions: every participant posts `--actions` log entries at once; accepted actions per
  second, and a check against the journal that none was lost.

Prints one JSON object. Not a CI test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drills import DrillDocuments, DrillStore  # noqa: E402
from drills.interfaces.web import open_web_drill  # noqa: E402
from scenarios import load_text, resolve  # noqa: E402

WARROOM = str(Path(sys.executable).with_name("warroom"))


def roster(participants: int) -> str:
    roles = ["incident_manager", "technical_lead", "communications_lead", "scribe", "sre", "service_desk"]
    people = "\n".join(f"  - {{name: Player {i:03d}, role: {roles[i % len(roles)]}}}" for i in range(participants))
    return f"kind: roster\nversion: 1\nname: load\nteam: Load test\nparticipants:\n{people}\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def main_async(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="warroom-load-"))
    store = DrillStore(work / "drills.db")
    docs = DrillDocuments.resolve(resolve("cloudflare-2019-waf", "scenario"),
                                  load_text(roster(args.participants), "load-roster.yaml"))
    session, grants = open_web_drill(store, docs, speed=1)
    drill_id = session.record.id
    fac = next(g.token for g in grants if g.capability == "facilitator")
    players = [g.token for g in grants if g.capability == "participant"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([WARROOM, "drill", "serve", "--port", str(port), "--store", str(work / "drills.db")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        limits = httpx.Limits(max_connections=args.participants + 20, max_keepalive_connections=args.participants + 20)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            for _ in range(200):
                try:
                    await client.get("/")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
            await client.post(f"/api/{fac}/control", json={"name": "start"})
            await client.post(f"/api/{fac}/control", json={"name": "next"})  # detected: actions allowed

            sent: dict[str, float] = {}
            arrivals: dict[str, list[float]] = {}
            connected = 0
            all_connected = asyncio.Event()
            done = asyncio.Event()

            async def listen(token: str):
                nonlocal connected
                async with client.stream("GET", f"/api/{token}/stream", timeout=None) as response:
                    connected += 1
                    if connected == len(players):
                        all_connected.set()
                    async for line in response.aiter_lines():
                        if line.startswith("data: "):
                            event = json.loads(line[6:])
                            subject = event.get("detail", {}).get("subject", "")
                            if event["kind"] == "adhoc_inject" and subject in sent:
                                arrivals.setdefault(subject, []).append(time.perf_counter() - sent[subject])
                                if len(arrivals) == args.injects and all(len(v) == len(players) for v in arrivals.values()):
                                    done.set()

            listeners = [asyncio.create_task(listen(t)) for t in players]
            await asyncio.wait_for(all_connected.wait(), 60)
            await asyncio.sleep(0.5)
            for k in range(args.injects):
                subject = f"load inject {k}"
                sent[subject] = time.perf_counter()
                response = await client.post(f"/api/{fac}/inject", json={"subject": subject, "content": "x" * 200})
                assert response.status_code == 200, response.text
                await asyncio.sleep(0.25)
            await asyncio.wait_for(done.wait(), 120)
            per_participant = [v for values in arrivals.values() for v in values]
            per_inject_last = [max(values) for values in arrivals.values()]

            async def act(token: str) -> int:
                accepted = 0
                for i in range(args.actions):
                    response = await client.post(f"/api/{token}/action",
                                                 json={"action": "log", "fields": {"text": f"load entry {i}"}})
                    accepted += response.status_code == 200
                return accepted

            start = time.perf_counter()
            accepted = sum(await asyncio.gather(*(act(t) for t in players)))
            elapsed = time.perf_counter() - start
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
    finally:
        server.terminate()
        server.wait(10)
    logged = sum(1 for e in DrillStore(work / "drills.db").events(drill_id) if e.kind == "action" and e.name == "log")
    return {
        "participants": len(players),
        "injects": args.injects,
        "fanout_latency_ms": {"p50": round(1000 * percentile(per_participant, 50), 1),
                              "p99": round(1000 * percentile(per_participant, 99), 1),
                              "max": round(1000 * max(per_participant), 1)},
        "inject_to_last_participant_ms": {"p50": round(1000 * percentile(per_inject_last, 50), 1),
                                          "p99": round(1000 * percentile(per_inject_last, 99), 1)},
        "actions_posted": len(players) * args.actions,
        "actions_accepted": accepted,
        "actions_in_journal": logged,
        "actions_lost": accepted - logged,
        "actions_per_second": round(accepted / elapsed, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--injects", type=int, default=20)
    parser.add_argument("--actions", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
