"""A golden summary.json: `warroom simulate` on a bundled scenario with a fixed seed gives,
number for number, the summary committed under tests/golden. Any change to the model, the
random streams or the statistics shows here; when the change is intended, regenerate the
file (tests/golden/README.md) and let the diff show what moved."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REGENERATE = "WARROOM_REGENERATE_GOLDEN"
# Floats agree to 7 significant digits: any change to the model or the statistics moves them
# far more, while a last-digit difference in a platform's maths library does not fail the test.
REL = 1e-7


def comparable(summary: dict) -> dict:
    """The summary without what describes the run rather than its results: the tool version,
    the timestamps, and the inputs' paths, hashes and copies (their kinds and names stay)."""
    out = {k: v for k, v in summary.items() if k not in ("tool_version", "started", "finished")}
    out["inputs"] = [{"kind": i["kind"], "name": i["name"]} for i in summary["inputs"]]
    return out


def differences(expected, actual, where: str = "$") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}.{k}: missing" for k in expected if k not in actual]
        out += [f"{where}.{k}: not in the golden file" for k in actual if k not in expected]
        for k in expected:
            if k in actual:
                out += differences(expected[k], actual[k], f"{where}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(actual)} items, golden has {len(expected)}"]
        return [d for k, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{k}]")]
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        if math.isclose(expected, actual, rel_tol=REL, abs_tol=1e-12):
            return []
    elif type(expected) is type(actual) and expected == actual:
        return []
    return [f"{where}: {actual!r}, golden has {expected!r}"]


@pytest.mark.parametrize("name, args", [
    ("simulate-cloudflare-2019-waf", ["simulate", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre",
                                      "-n", "300", "--seed", "2019"]),
])
def test_summary_matches_the_golden_file(name, args, tmp_path):
    ran = CliRunner().invoke(main, [*args, "--out", str(tmp_path), "--no-incidents", "-q"])
    assert ran.exit_code == 0, ran.output
    actual = comparable(json.loads((tmp_path / "summary.json").read_text()))
    path = GOLDEN / f"{name}.summary.json"
    if os.environ.get(REGENERATE) == "1":
        path.write_text(json.dumps(actual, indent=1) + "\n", encoding="utf-8")
        pytest.skip(f"{REGENERATE}=1: wrote {path.relative_to(GOLDEN.parent.parent)}; review the diff and commit it")
    assert path.exists(), f"no golden file {path}; create it with {REGENERATE}=1 (see tests/golden/README.md)"
    found = differences(json.loads(path.read_text()), actual)
    if found:
        pytest.fail(
            f"summary.json of `warroom {' '.join(args)}` differs from {path.name} in {len(found)} places:\n  "
            + "\n  ".join(found[:15]) + ("\n  ..." if len(found) > 15 else "")
            + f"\nIf the change is intended, regenerate: {REGENERATE}=1 python -m pytest tests/simulator/test_golden.py "
            "and commit the new file with the change (tests/golden/README.md).",
            pytrace=False,
        )


def test_the_comparison_sees_every_kind_of_change():
    """The golden test can fail: a moved figure, a count, a missing or extra key, a changed
    type each show; only a difference beyond the 7th significant digit is let through."""
    golden = {"metrics": {"p90": 43.29482993987266, "ci95": [29.3, 31.6]}, "counts": [0, 2, 1], "status": "ok"}
    assert differences(golden, json.loads(json.dumps(golden))) == []
    assert differences(golden, {**golden, "metrics": {"p90": 43.29482993987266 * (1 + 1e-12), "ci95": [29.3, 31.6]}}) == []
    assert differences(golden, {**golden, "metrics": {"p90": 43.2958, "ci95": [29.3, 31.6]}}) == [
        "$.metrics.p90: 43.2958, golden has 43.29482993987266"]
    assert differences(golden, {**golden, "counts": [0, 2, 2]}) == ["$.counts[2]: 2, golden has 1"]
    assert differences(golden, {**golden, "counts": [0, 2]}) == ["$.counts: 2 items, golden has 3"]
    assert differences(golden, {"metrics": golden["metrics"], "counts": [0, 2, 1]}) == ["$.status: missing"]
    assert differences(golden, {**golden, "verdict": "new"}) == ["$.verdict: not in the golden file"]
    assert differences({"n": 300}, {"n": 300.0}) == ["$.n: 300.0, golden has 300"]
    assert differences({"x": None}, {"x": 0.0}) == ["$.x: 0.0, golden has None"]


def test_results_record_what_defines_the_streams_and_the_intervals(cloudflare, staffing):
    from simulator import simulate
    from simulator.run.runner import BLOCK_SIZE, SECTION

    summary = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=100, seed=1).to_dict()
    assert summary["settings"]["streams"] == {"block_size": BLOCK_SIZE, "section_size": SECTION}
