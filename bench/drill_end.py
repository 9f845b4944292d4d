"""How long from a live drill's end to its scorecard, as the server answers it.

    python bench/drill_end.py [--rounds 3]

Plays the bundled Cloudflare 2019 drill through the live server's API in this process
(Starlette's test client): start, the first injects, a few actions, end, then the
scorecard. `warm` is the product as shipped (the simulated baseline is computed while the
drill runs); `cold` clears it just before the end, which is what every end cost before. The
figure that matters is warm's seconds against the bar of one second, and warm / cold.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drills import DrillDocuments, DrillStore  # noqa: E402
from drills.baseline import clear_baselines  # noqa: E402
from drills.interfaces.web import create_app, open_web_drill  # noqa: E402
from scenarios import resolve  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def one_end(seed: int, cold: bool) -> float:
    documents = DrillDocuments.resolve(resolve("cloudflare-2019-waf", "scenario"),
                                       resolve("cloudflare-2019-team", "roster"))
    with tempfile.TemporaryDirectory() as folder:
        store = DrillStore(Path(folder) / "d.db")
        session, grants = open_web_drill(store, documents, seed=seed, speed=60)
        t = {g.capability if g.capability != "participant" else g.role: g.token for g in grants}
        app = create_app(store)
        with TestClient(app) as client:
            fac = f"/api/{t['facilitator']}"
            client.post(f"{fac}/control", json={"name": "start"})
            for _ in range(3):
                client.post(f"{fac}/control", json={"name": "next"})
            client.post(f"/api/{t['technical_lead']}/action", json={"action": "acknowledge"})
            client.post(f"/api/{t['incident_manager']}/action", json={"action": "declare"})
            client.post(f"/api/{t['technical_lead']}/action", json={"action": "identify",
                                                                    "fields": {"cause": "bad_waf_rule"}})
            live = app.state.server.hub.drills[session.record.id]
            live.baseline.join()          # the drill ran long enough for it (minutes, in a real room)
            if cold:
                clear_baselines()
            began = time.perf_counter()
            client.post(f"{fac}/control", json={"name": "end"})
            card = client.get(f"{fac}/scorecard")
            took = time.perf_counter() - began
            assert card.status_code == 200 and "score" in card.json(), card.text
        store.close()
    return took


def drill_end_benchmark(rounds: int) -> dict:
    warm = [one_end(seed, cold=False) for seed in range(1, rounds + 1)]
    cold = [one_end(seed + 100, cold=True) for seed in range(1, rounds + 1)]
    return {"warm_s": statistics.median(warm), "cold_s": statistics.median(cold),
            "ratio": statistics.median(warm) / statistics.median(cold), "target_s": 1.0, "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    result = drill_end_benchmark(parser.parse_args().rounds)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
