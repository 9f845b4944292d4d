"""Key figures of a real incident history: every metric on the incidents that have its
milestones, fall-backs said out loud, bad data counted, drills left out unless asked."""

import json

import numpy as np
import pandas as pd
import pytest

from reports.history import render_history_kpis
from scenarios.history import canonical_frame
from simulator.history.kpi import history_kpis, quantile_ci


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def minutes_after(start: str, **offsets) -> dict:
    """Milestones at minutes after `start` (None: missing)."""
    base = at(start)
    return {k: (None if v is None else base + pd.Timedelta(minutes=v)) for k, v in offsets.items()}


ROWS = [
    # id, service, major, milestones (minutes from the first one given)
    dict(id="INC-1", service="payments", is_major=True,
         **minutes_after("2024-01-05 10:00", impact_started=0, detected=4, acknowledged=6, declared=10,
                         assembled=25, mitigated=60, resolved=120),
         postmortem_completed=at("2024-01-09 10:00")),
    dict(id="INC-2", service="payments", is_major=True,
         **minutes_after("2024-01-20 08:00", impact_started=0, detected=10, acknowledged=12, declared=30,
                         assembled=40, mitigated=90, resolved=200)),
    # no impact start: restore measured from detection
    dict(id="INC-3", service="search", is_major=False,
         **minutes_after("2024-03-02 22:00", detected=0, created=1, acknowledged=5, mitigated=45, resolved=50),
         postmortem_completed=at("2024-03-10 12:00")),
    # only created: restore measured from creation; acknowledged before detection is bad data
    dict(id="INC-4", service="search", is_major=True,
         **minutes_after("2024-03-20 03:00", created=0, mitigated=30, resolved=31)),
    dict(id="INC-5", service="payments", is_major=True,
         **minutes_after("2024-04-02 12:00", impact_started=0, detected=6, acknowledged=3, mitigated=20)),
    dict(id="DRILL-1", service="payments", is_major=True, is_drill=True,
         **minutes_after("2024-02-01 09:00", impact_started=0, detected=1, acknowledged=2, mitigated=5)),
]


@pytest.fixture
def table():
    return canonical_frame(ROWS)


def test_each_metric_counts_its_incidents_missing_and_bad(table):
    k = history_kpis(table)
    m = k["metrics"]
    assert k["incidents"] == {**k["incidents"], "rows": 6, "drills_excluded": 1, "used": 5, "major": 4}
    assert (m["time_to_detect"]["n"], m["time_to_detect"]["missing"]) == (3, 2)
    assert m["time_to_detect"]["p50"] == 6 and m["time_to_detect"]["mean"] == pytest.approx(20 / 3)
    # INC-5 was acknowledged before it was detected: counted, named, left out
    ack = m["time_to_acknowledge"]
    assert (ack["n"], ack["missing"], ack["negative"], ack["negative_ids"]) == (3, 1, 1, ["INC-5"])
    assert ack["p50"] == 2 and ack["mean"] == 3
    assert any("INC-5" in note and "bad data" in note for note in k["notes"])
    assert (m["time_to_declare"]["n"], m["time_to_assemble"]["n"]) == (2, 2)
    assert m["time_to_assemble"]["p50"] == pytest.approx(12.5)


def test_restore_falls_back_to_detection_or_creation_and_says_so(table):
    k = history_kpis(table)
    restore = k["metrics"]["time_to_restore"]
    assert restore["n"] == 5
    assert restore["start_used"] == {"impact_started": 3, "detected": 1, "created": 1}
    values = [60, 90, 45, 30, 20]
    assert restore["p50"] == np.percentile(values, 50) and restore["p90"] == pytest.approx(np.percentile(values, 90))
    assert restore["mean"] == pytest.approx(np.mean(values))
    said = [n for n in k["notes"] if n.startswith("time_to_restore")]
    assert said == ["time_to_restore: 1 incident(s) measured from detected, 1 incident(s) measured from created "
                    "because impact_started is missing"]


def test_drills_are_left_out_unless_asked(table):
    assert history_kpis(table)["metrics"]["time_to_restore"]["n"] == 5
    with_drills = history_kpis(table, include_drills=True)
    assert with_drills["incidents"]["drills_excluded"] == 0 and with_drills["incidents"]["drills_included"] == 1
    assert with_drills["metrics"]["time_to_restore"]["n"] == 6 and with_drills["metrics"]["time_to_restore"]["min"] == 5


def test_one_service(table):
    k = history_kpis(table, service="search")
    assert k["incidents"]["used"] == 2 and k["incidents"]["other_services_excluded"] == 3
    assert k["metrics"]["time_to_restore"]["n"] == 2
    with pytest.raises(ValueError, match=r"no incidents of service 'billing' in this history \(services: payments, search\)"):
        history_kpis(table, service="billing")


def test_mtbf_overall_and_per_service(table):
    k = history_kpis(table)
    starts = [at("2024-01-05 10:00"), at("2024-01-20 08:00"), at("2024-03-02 22:00"), at("2024-03-20 03:00"),
              at("2024-04-02 12:00")]
    gaps = np.diff([s.value for s in starts]) / 60e9
    assert k["mtbf"]["overall"]["intervals"] == 4
    assert k["mtbf"]["overall"]["mean_minutes"] == pytest.approx(gaps.mean())
    payments = [starts[0], starts[1], starts[4]]
    assert k["mtbf"]["per_service"]["payments"]["mean_days"] == pytest.approx(
        (payments[-1] - payments[0]).total_seconds() / 86400 / 2)
    assert k["mtbf"]["per_service"]["search"]["intervals"] == 1


def test_major_incidents_per_month_and_quarter_show_empty_periods(table):
    k = history_kpis(table)
    assert k["majors"]["per_month"] == [{"period": "2024-01", "count": 2}, {"period": "2024-02", "count": 0},
                                        {"period": "2024-03", "count": 1}, {"period": "2024-04", "count": 1}]
    assert k["majors"]["per_quarter"] == [{"period": "2024-Q1", "count": 3}, {"period": "2024-Q2", "count": 1}]
    assert k["all_incidents"]["per_month"][2] == {"period": "2024-03", "count": 2}
    assert k["majors"]["per_service"] == [{"service": "payments", "count": 3}, {"service": "search", "count": 1}]


def test_review_share_and_repeats(table):
    k = history_kpis(table)
    assert k["review"]["with_review"] == 2 and k["review"]["share"] == pytest.approx(2 / 5)
    assert k["review"]["major"]["with_review"] == 1 and k["review"]["major"]["incidents"] == 4
    after = [at("2024-01-09 10:00") - at("2024-01-05 12:00"), at("2024-03-10 12:00") - at("2024-03-02 22:50")]
    assert k["review"]["median_days_after_resolved"] == pytest.approx(np.mean([d.total_seconds() / 86400 for d in after]))
    # payments: INC-2 came 15 days after INC-1 (a repeat within 30 days); INC-5 73 days after INC-2 (not)
    # search: INC-4 came 17 days after INC-3
    repeats = k["repeats"]
    assert [r["id"] for r in repeats["list"]] == ["INC-2", "INC-4"]
    assert repeats["repeats"] == 2 and repeats["share"] == pytest.approx(2 / 5)
    assert repeats["list"][0]["previous_id"] == "INC-1"
    assert repeats["list"][0]["days_after"] == pytest.approx((at("2024-01-20 08:00") - at("2024-01-05 10:00")).total_seconds() / 86400)
    tighter = history_kpis(table, repeat_window_days=16)
    assert [r["id"] for r in tighter["repeats"]["list"]] == ["INC-2"]
    with pytest.raises(ValueError, match="repeat window"):
        history_kpis(table, repeat_window_days=0)


def test_detectability_is_stated_with_the_figures(table):
    k = history_kpis(table)
    found = k["detectability"]
    assert found["based_on"] == "time_to_restore"
    assert found["sentence"].startswith("With ") and "in MTTR would reliably show up" in found["sentence"]
    assert found["incidents"] == pytest.approx(5 / k["incidents"]["span_years"])


def test_the_result_is_plain_json(table):
    k = history_kpis(table, source={"file": "incidents.csv", "system": "pagerduty"})
    text = json.dumps(k, allow_nan=False)
    assert json.loads(text)["format"] == "warroom.history-kpis/1"
    assert k["source"]["system"] == "pagerduty" and k["tool_version"]


def test_majors_only_and_empty_selection(table):
    majors = history_kpis(table, majors_only=True)
    assert majors["incidents"]["used"] == 4 and majors["incidents"]["not_major_excluded"] == 1
    only_drills = canonical_frame([ROWS[-1]])
    empty = history_kpis(only_drills)
    assert empty["incidents"]["used"] == 0 and empty["metrics"]["time_to_restore"]["n"] == 0
    assert empty["detectability"] is None and empty["majors"]["per_month"] == []
    json.dumps(empty, allow_nan=False)


def test_not_a_canonical_table():
    with pytest.raises(ValueError, match="not a canonical incident table: missing columns"):
        history_kpis(pd.DataFrame({"id": ["x"], "detected": [at("2024-01-01")]}))


def test_quantile_intervals_cover_as_stated():
    rng = np.random.default_rng(5)
    true_median, true_p90 = np.log(2) * 30, np.log(10) * 30
    covered = np.zeros(2)
    for _ in range(1000):
        sample = np.sort(rng.exponential(30, 60))
        low, high = quantile_ci(sample, 0.5)
        covered[0] += low <= true_median <= high
        low, high = quantile_ci(sample, 0.9)
        covered[1] += low <= true_p90 <= high
    # order-statistic intervals are exact-or-wider: at least 95% less simulation noise (sd 0.7%)
    assert np.all(covered / 1000 >= 0.93) and np.all(covered / 1000 <= 0.995)
    assert quantile_ci(np.array([1.0, 2.0]), 0.9) == [1.0, None]  # two values cannot bound a p90 from above


def test_report_escapes_names_and_carries_the_sentence(table):
    hostile = table.copy()
    hostile.loc[0, "service"] = "<script>alert(1)</script> | pay"
    k = history_kpis(hostile)
    html = render_history_kpis(k, "html")
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert k["detectability"]["sentence"] in html and "<svg" in html
    md = render_history_kpis(k, "md")
    assert "\\<script\\>" in md and "\\| pay" in md
    assert k["detectability"]["sentence"] in md
    assert "| Time to restore (MTTR) |" in md
    assert json.loads(render_history_kpis(k, "json"))["format"] == "warroom.history-kpis/1"
    with pytest.raises(ValueError, match="expected a warroom.history-kpis/1 document"):
        render_history_kpis({"format": "warroom.results/3"})


# -- the command line --------------------------------------------------------------------------

FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "history"


def test_history_kpi_command(tmp_path):
    from click.testing import CliRunner

    from cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["history", "kpi", str(FIXTURES / "canonical.csv"), "--source", "canonical",
                                  "-o", str(tmp_path / "kpis.html")])
    assert result.exit_code == 0, result.output
    assert "Time to restore (MTTR)" in result.output and "drills/tests left out" in result.output
    assert "would reliably show up" in result.output
    html = (tmp_path / "kpis.html").read_text()
    assert "Incident history: key figures" in html and "<svg" in html
    as_json = runner.invoke(main, ["history", "kpi", str(FIXTURES / "canonical.csv"), "--source", "canonical",
                                   "--include-drills", "--json"])
    kpis = json.loads(as_json.output)
    assert kpis["filters"]["include_drills"] and kpis["incidents"]["drills_excluded"] == 0
    assert kpis["source"]["system"] == "canonical" and len(kpis["source"]["sha256"]) == 64


@pytest.mark.parametrize("args,message", [
    (["--service", "nope"], "no incidents of service 'nope'"),
    (["--repeat-window", "0"], "repeat window must be > 0"),
])
def test_history_kpi_refuses_bad_input_without_a_traceback(args, message):
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["history", "kpi", str(FIXTURES / "canonical.csv"), "--source", "canonical",
                                       *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def _kpi_cli(*args):
    from click.testing import CliRunner

    from cli import main

    return CliRunner().invoke(main, ["history", "kpi", *map(str, args)])


def test_majors_only_line_accounts_for_every_row_left_out():
    import re

    result = _kpi_cli(FIXTURES / "canonical.csv", "--source", "canonical", "--majors-only")
    assert result.exit_code == 0, result.output
    line = result.output.splitlines()[0]
    assert "4 incidents used of 8" in line and "2 drills/tests left out" in line and "2 not major left out" in line
    used, rows = map(int, re.search(r"(\d+) incidents used of (\d+)", line).groups())
    left_out = [int(n) for n in re.findall(r"(\d+) (?:drills/tests|not major|of other services) left out", line)]
    assert used + sum(left_out) == rows, line


def test_majors_per_month_on_the_terminal_and_in_the_markdown_report(tmp_path, table):
    from scenarios.history import write_canonical

    history = tmp_path / "history.csv"
    clean = table.copy()
    clean.loc[clean["id"] == "INC-5", "acknowledged"] = pd.NaT  # acknowledged before detection: not importable
    write_canonical(clean, history)
    result = _kpi_cli(history, "--source", "canonical", "-o", tmp_path / "kpis.md")
    assert result.exit_code == 0, result.output
    # February had only the drill (left out): months without incidents are not listed.
    assert "Major incidents per month (last 12 months with incidents, UTC): 2024-01: 2, 2024-03: 1, 2024-04: 1." \
        in result.output
    md = (tmp_path / "kpis.md").read_text(encoding="utf-8")
    assert "## Major incidents per month" in md
    assert "| 2024-01 | 2 | 2 |\n| 2024-03 | 1 | 2 |\n| 2024-04 | 1 | 1 |\n" in md
    assert "| 2024-02 |" not in md


def test_the_terminal_shows_only_the_last_twelve_months_with_incidents(tmp_path):
    from scenarios.history import write_canonical

    rows = [dict(id=f"M-{n}", service="api", is_major=n % 2 == 0,
                 **minutes_after(f"{2023 + (n // 12)}-{n % 12 + 1:02d}-10 10:00", impact_started=0, mitigated=30))
            for n in range(14)]
    history = tmp_path / "history.csv"
    write_canonical(canonical_frame(rows), history)
    result = _kpi_cli(history, "--source", "canonical")
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("Major incidents per month")]
    months = line.split(": ", 1)[1].rstrip(".").split(", ")
    assert len(months) == 12 and months[0] == "2023-03: 1" and months[-1] == "2024-02: 0"
