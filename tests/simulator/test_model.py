"""The model behaves like a real response: calendars, role effects, headcount, randomness."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import bundled, load, load_text
from scenarios.scenario import FixedStart
from simulator import compare, simulate

STAFFING = """
kind: staffing
version: 1
name: {name}
roles:
  incident_manager:
    on_call: 1
    coverage: {coverage}
    acknowledge:
      in_hours: {{dist: lognormal, median: 2m, p90: 5m}}
      out_of_hours: {{dist: lognormal, median: 12m, p90: 30m}}
  technical_lead:
    on_call: 1
    coverage: {coverage}
    acknowledge:
      in_hours: {{dist: lognormal, median: 1m, p90: 3m}}
      out_of_hours: {{dist: lognormal, median: 10m, p90: 25m}}
{extra_roles}
resolver_groups:
  sre:
    on_call: {sre_on_call}
    rota: 6
    coverage: {coverage}
    call_in: 40m
    acknowledge:
      in_hours: {{dist: lognormal, median: 1m, p90: 3m}}
      out_of_hours: {{dist: lognormal, median: 10m, p90: 25m}}
"""


def staffing_doc(write, name, coverage="24x7", sre_on_call=2, extra_roles=""):
    return load(write(f"{name}.yaml", STAFFING.format(
        name=name, coverage=coverage, sre_on_call=sre_on_call, extra_roles=extra_roles)))


BUSINESS = "{type: business_hours, timezone: Europe/London, hours: '09:00-17:00'}"


def at(weekday_time: str) -> FixedStart:
    day, time = weekday_time.split()
    return FixedStart(policy="fixed", weekday=day, time=time, timezone="Europe/London")


def test_out_of_hours_pages_are_answered_slower_under_business_hours_cover(write, cloudflare):
    office = staffing_doc(write, "office", coverage=BUSINESS)
    night = simulate(cloudflare, office, replications=600, keep_incidents=True, seed=5, start=at("tue 03:00"))
    day = simulate(cloudflare, office, replications=600, keep_incidents=True, seed=5, start=at("tue 11:00"))
    ack_night = night.options[0].metrics["time_to_acknowledge"]["p50"]
    ack_day = day.options[0].metrics["time_to_acknowledge"]["p50"]
    assert ack_night > 3 * ack_day
    assert night.options[0].metrics["time_to_restore"]["p50"] > day.options[0].metrics["time_to_restore"]["p50"]


def test_round_the_clock_cover_answers_alike_at_any_hour(write, cloudflare):
    always = staffing_doc(write, "always", coverage="24x7")
    night = simulate(cloudflare, always, replications=600, keep_incidents=True, seed=5, start=at("tue 03:00"))
    day = simulate(cloudflare, always, replications=600, keep_incidents=True, seed=5, start=at("tue 11:00"))
    # Same random numbers, same calendar answer: identical incidents, minute for minute.
    for metric in ("time_to_acknowledge", "time_to_restore"):
        assert np.array_equal(night.options[0].incidents[metric], day.options[0].incidents[metric])


def test_no_pager_waits_for_the_next_shift(write, cloudflare):
    no_pager = staffing_doc(write, "nopager", coverage="{type: business_hours, timezone: UTC, hours: '09:00-17:00', pager: false}")
    result = simulate(cloudflare, no_pager, replications=200, keep_incidents=True, seed=2, start=FixedStart(policy="fixed", weekday="tue", time="03:00"))
    acknowledged = result.options[0].incidents["acknowledged"]
    # Nobody answers before 09:00, six hours after the 03:00 start.
    assert (acknowledged >= 6 * 60).all()
    assert (acknowledged < 6 * 60 + 30).mean() > 0.9


def test_removing_the_communications_lead_changes_first_update_by_the_documented_factor(write, cloudflare, playbook):
    comms = "  communications_lead:\n    on_call: 1\n    acknowledge: {in_hours: 0m, out_of_hours: 0m}\n"
    with_lead = staffing_doc(write, "with-lead", extra_roles=comms)
    without = staffing_doc(write, "without-lead")
    result = compare(cloudflare, [with_lead, without], playbook, replications=500, keep_incidents=True, seed=9)
    # Without a lead the incident manager writes it; the IM's slowdown is the product of
    # every missing role it stands in for, from the ITIL playbook's role effects:
    # communications lead 1.5 x scribe 1.1 = 1.65.
    from scenarios import who_does

    substitute, factor = who_does("communications_lead", without.document, playbook.document)
    assert substitute == "incident_manager"
    assert factor == pytest.approx(1.65)
    a = result.options[0].incidents["time_to_first_update"].to_numpy()
    b = result.options[1].incidents["time_to_first_update"].to_numpy()
    # The lead answers at once, so the update takes its drawn time; the incident manager
    # writes the same update, from the same random draw, `slowdown` times slower.
    np.testing.assert_allclose(b, factor * a, rtol=1e-12)
    diff = result.difference("without-lead", "time_to_first_update")
    assert diff["ci95"][0] > 0


def test_an_incident_needing_two_with_one_on_call_waits_for_the_second(write, cloudflare):
    one = staffing_doc(write, "one-sre", sre_on_call=1)
    two = staffing_doc(write, "two-sre", sre_on_call=2)
    result = compare(cloudflare, [two, one], replications=400, keep_incidents=True, seed=4, start=at("wed 11:00"))
    assembled_two = result.options[0].incidents["time_to_assemble"]
    assembled_one = result.options[1].incidents["time_to_assemble"]
    assert (assembled_one >= 40 - 1e-9).all()  # the second SRE is called in: 40 minutes
    assert assembled_two.median() < 10
    assert result.difference("one-sre", "time_to_restore")["p50_diff"] > 0


def test_same_seed_same_numbers_any_jobs(cloudflare, staffing):
    options = [staffing("cloudflare-2019-sre"), staffing("business-hours-pager")]
    one = compare(cloudflare, options, replications=1200, keep_incidents=True, seed=11, jobs=1)
    two = compare(cloudflare, options, replications=1200, keep_incidents=True, seed=11, jobs=2)
    assert one.incidents.equals(two.incidents)
    assert one.differences == two.differences
    other = compare(cloudflare, options, replications=1200, keep_incidents=True, seed=12, jobs=1)
    assert not one.incidents["time_to_restore"].equals(other.incidents["time_to_restore"])


def test_more_replications_extend_the_same_incidents(cloudflare, staffing):
    short = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=700, keep_incidents=True, seed=3).incidents
    long = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=1100, keep_incidents=True, seed=3).incidents
    assert long.iloc[:700].equals(short)


def test_options_share_common_random_numbers(cloudflare, staffing):
    result = compare(cloudflare, [staffing("cloudflare-2019-sre"), staffing("24x7-comms-lead")], replications=500, keep_incidents=True, seed=21)
    a, b = (o.incidents for o in result.options)
    # Staffing does not change when the monitoring fires or where in the week it starts.
    assert np.array_equal(a["time_to_detect"], b["time_to_detect"])
    assert np.array_equal(a["start_time_utc"], b["start_time_utc"])


def test_uniform_start_spreads_incidents_over_the_week(cloudflare, staffing):
    frame = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=2000, keep_incidents=True, seed=1).incidents
    counts = frame["start_weekday"].value_counts()
    assert set(counts.index) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    assert counts.min() > 2000 / 7 * 0.8


def test_monitoring_and_user_reports_both_detect(cloudflare, staffing):
    frame = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=3000, keep_incidents=True, seed=8).incidents
    share = (frame["detection_path"] == "user_report").mean()
    # The alert misses 2% of the time; then users' reports are triaged.
    assert 0.01 < share < 0.06


ORDER = [
    ("detected", "acknowledged"), ("acknowledged", "declared"), ("declared", "first_update"),
    ("declared", "assembled"), ("acknowledged", "identified"), ("identified", "workaround_applied"),
    ("assembled", "workaround_applied"), ("workaround_applied", "restored"), ("workaround_applied", "fixed"),
    ("fixed", "resolved"), ("first_update", "resolved"), ("resolved", "review_held"), ("declared", "problem_recorded"),
]


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**31),
    option=st.sampled_from(["cloudflare-2019-sre", "business-hours-pager", "24x7-comms-lead", "follow-the-sun"]),
    mode=st.sampled_from(["single", "stream"]),
)
def test_time_never_runs_backwards(cloudflare, staffing, seed, option, mode):
    kwargs = {"replications": 60} if mode == "single" else {"replications": 2, "horizon": 60 * 24 * 365.0}
    if mode == "stream":
        cloudflare = load_text_with_frequency(cloudflare, "2/day")
    frame = simulate(cloudflare, staffing(option), keep_incidents=True, seed=seed, mode=mode, **kwargs).incidents
    assert len(frame) > 0
    assert (frame["detected"] >= 0).all()
    for before, after in ORDER:
        assert (frame[after] >= frame[before] - 1e-9).all(), (before, after)


def load_text_with_frequency(loaded, frequency):
    from scenarios import load_text

    # the plausible range of the old frequency goes with it
    return load_text(loaded.text.replace("frequency: 1/year", f"frequency: {frequency}")
                     .replace("frequency_range: [0.5/year, 3/year]\n", ""), "busy.yaml")


def test_stream_mode_makes_incidents_contend_for_people(cloudflare, write):
    busy = load_text_with_frequency(cloudflare, "6/day")
    thin = staffing_doc(write, "thin")
    result = simulate(busy, thin, mode="stream", replications=2, horizon=60 * 24 * 120.0, keep_incidents=True, seed=3)
    frame = result.options[0].incidents
    # About 6 a day for 120 days in each of 2 horizons.
    assert 1200 < len(frame) < 1700
    # With one incident manager for several incidents a day, some wait to be declared.
    quiet = simulate(cloudflare, thin, replications=300, keep_incidents=True, seed=3).options[0].metrics["time_to_acknowledge"]["p90"]
    assert result.options[0].metrics["time_to_declare"]["p90"] > quiet
    assert result.to_dict()["settings"]["horizon_minutes"] == 60 * 24 * 120.0


def test_cost_of_outage_and_staffing(cloudflare, staffing):
    result = simulate(cloudflare, staffing("cloudflare-2019-sre"), replications=300, keep_incidents=True, seed=1)
    option = result.options[0]
    # SPEC 3.4 with the scenario's figures: 25,000 a minute x 0.8 of traffic lost = 20,000 for
    # each minute until service is restored.
    assert option.outage_cost_per_incident == pytest.approx(20_000 * option.incidents["time_to_restore"].mean())
    # rota x hourly rate x paid hours (24x7 cover is paid a 2080-hour working year) + on-call pay,
    # from cloudflare-2019-sre.yaml:
    #   incident managers  6 x (95 x 2080 + 4,000) =  6 x 201,600 = 1,209,600
    #   technical leads    8 x (100 x 2080)        =  8 x 208,000 = 1,664,000
    #   SREs              20 x (90 x 2080)         = 20 x 187,200 = 3,744,000
    #                                                       total   6,617,600
    assert option.staffing_cost_per_year == 6_617_600


def test_stream_mix_draws_scenarios_by_frequency(cloudflare, staffing):
    from scenarios import load_text

    busy = load_text_with_frequency(cloudflare, "3/day")
    other = load_text(load_text_with_frequency(cloudflare, "1/day").text.replace("name: cloudflare-2019-waf", "name: rarer"),
                      "rarer.yaml")
    result = simulate([busy, other], staffing("cloudflare-2019-sre"), mode="stream", replications=2, keep_incidents=True,
                      horizon=60 * 24 * 200.0, seed=5)
    counts = result.options[0].incidents["scenario"].value_counts()
    assert set(counts.index) == {"cloudflare-2019-waf", "rarer"}
    share = counts["rarer"] / counts.sum()
    assert share == pytest.approx(0.25, abs=0.04)
    assert result.options[0].incidents_per_year == pytest.approx(4 * 365, rel=0.05)


def test_weekly_profile_shapes_stream_arrivals(cloudflare, staffing):
    from scenarios import load_text

    text = load_text_with_frequency(cloudflare, "1/year").text.replace("frequency: 1/year", "frequency: 4/day\nweekly_profile:\n  days: {sat: 0, sun: 0}\n  hours: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 3, 0, 0, 0, 0, 0, 0, 0]")
    busy = load_text(text, "weekdays.yaml")
    frame = simulate(busy, staffing("cloudflare-2019-sre"), mode="stream", replications=2, horizon=60 * 24 * 140.0, keep_incidents=True, seed=2).incidents
    assert set(frame["start_weekday"]) == {"mon", "tue", "wed", "thu", "fri"}
    hours = frame["start_time_utc"].str[:2].astype(int)
    assert hours.between(9, 16).all()
    # Hour 16 has three times the weight of each other open hour: 3/10 of arrivals.
    assert (hours == 16).mean() == pytest.approx(0.3, abs=0.04)
    # The profile redistributes arrivals; the average rate stays 4 a day.
    assert len(frame) / 2 == pytest.approx(4 * 140, rel=0.08)


def test_a_run_leaves_no_reference_cycles(cloudflare, staffing, playbook):
    """The engine pauses the cyclic garbage collector while it runs; that is only safe
    while finished incidents are freed by reference counting alone."""
    import gc

    from simulator.model.engine import run_single_block, run_stream
    from simulator.model.plan import compile_plan

    busy = load_text_with_frequency(cloudflare, "20/day")
    plan = compile_plan(busy.document, staffing("cloudflare-2019-sre").document, playbook.document)
    gc.collect()
    run_stream([plan], 1, 0, 60 * 24 * 30.0)
    run_single_block(plan, 1, 0, 500, None)
    assert gc.collect() < 200  # thousands of incidents ran; almost nothing was left in cycles


def test_updates_keep_the_playbook_cadence_until_restored(cloudflare, staffing, playbook):
    frame = simulate(cloudflare, staffing("business-hours-pager"), replications=300, keep_incidents=True, seed=6).incidents
    cadence = playbook.document.update_cadence
    assert cadence == 30
    late = frame[frame["first_update"] > frame["restored"]]
    assert (late["updates_sent"] == 1).all()
    long = frame[frame["restored"] - frame["first_update"] >= 65]
    assert len(long) > 0
    expected = 1 + ((long["restored"] - long["first_update"]) // cadence)
    assert (long["updates_sent"] == expected).all() and (long["updates_sent"] >= 3).all()


@pytest.mark.parametrize("name", sorted(bundled("scenario")))
@pytest.mark.parametrize("mode", ["single", "stream"])
def test_no_incident_is_resolved_before_service_is_restored(name, mode, library):
    """SPEC 3.1: `resolved` never precedes `restored`, with or without a fix in the
    scenario (GitLab 2017 has none) and whatever the workaround's take-effect time."""
    scenario = library(name, "scenario")
    kwargs = {"replications": 400} if mode == "single" else {"replications": 2, "horizon": 60 * 24 * 365.0}
    if mode == "stream":
        scenario = load_text(re.sub(r"(?m)^frequency_range: .*\n", "",
                                    re.sub(r"(?m)^frequency: .*$", "frequency: 30/year", scenario.text)), "busy.yaml")
    staffing = library(scenario.document.reference_staffing, "staffing")
    frame = simulate(scenario, staffing, keep_incidents=True, seed=7, mode=mode, **kwargs).incidents
    assert len(frame) > 0 and frame["resolved"].notna().all()
    assert (frame["resolved"] >= frame["restored"]).all()


def test_a_playbook_may_close_on_restore_and_fix_afterwards(library):
    """`after:` may name a milestone: here the incident is resolved once service is back
    and the first update is out, and the fix follows as problem management's work."""
    text = library("itil-major-incident", "playbook").text
    assert "    after: [fix, first_update]\n" in text
    text = text.replace("    after: [fix, first_update]\n", "    after: [restored, first_update]\n")
    close_first = load_text(text.replace("name: itil-major-incident", "name: close-first"), "close-first.yaml")
    cloudflare = library("cloudflare-2019-waf", "scenario")
    staffing = library("cloudflare-2019-sre", "staffing")
    frame = simulate(cloudflare, staffing, close_first, keep_incidents=True, seed=3, replications=300).incidents
    assert (frame["resolved"] >= frame["restored"]).all()
    assert (frame["resolved"] < frame["fixed"]).mean() > 0.9   # the fix takes longer than closing
    default = simulate(cloudflare, staffing, library("itil-major-incident", "playbook"), keep_incidents=True,
                       seed=3, replications=300).incidents
    assert (default["resolved"] > default["fixed"]).all()


def test_a_step_waiting_for_a_milestone_no_step_reaches_is_refused(library):
    from scenarios import DocumentError
    from scenarios.crosscheck import check_together

    text = library("itil-major-incident", "playbook").text
    assert "    milestone: problem_recorded\n" in text
    text = text.replace("    after: [fix, first_update]\n", "    after: [fix, first_update, problem_recorded]\n")
    stalls = load_text(text.replace("    milestone: problem_recorded\n", ""), "stalls.yaml")
    gitlab = library("gitlab-2017-database", "scenario")
    staffing = library(gitlab.document.reference_staffing, "staffing")
    problems = check_together(gitlab, staffing, stalls)
    assert any("step 'resolve' would never start: it waits for problem_recorded" in p.message for p in problems)
    with pytest.raises(DocumentError, match="would never start"):
        simulate(gitlab, staffing, stalls, replications=5)


def fixed_start(loaded, weekday: str, time: str, timezone: str):
    text = re.sub(r"(?m)^start: .*$", f"start: {{policy: fixed, weekday: {weekday}, time: '{time}', "
                                      f"timezone: {timezone}}}", loaded.text)
    return load_text(text, "fixed.yaml")


def test_colleagues_at_work_answer_from_their_desks(library):
    """Eight SREs at their desks on a Tuesday at 11:00 (business hours in Los Angeles): the
    second one the scenario needs answers like a colleague, not after a call-in; on a
    Saturday night the second is still called in."""
    cloudflare, pager = library("cloudflare-2019-waf", "scenario"), library("business-hours-pager", "staffing")
    assert pager.document.pools["sre"].on_call == 1 and cloudflare.document.needs["sre"] == 2
    tuesday = simulate(fixed_start(cloudflare, "tue", "11:00", "America/Los_Angeles"), pager, replications=1000, seed=2)
    saturday = simulate(fixed_start(cloudflare, "sat", "03:00", "UTC"), pager, replications=1000, seed=2)
    assert tuesday.options[0].metrics["time_to_assemble"]["p50"] < 5          # at-work acknowledgement: median 1m
    assert saturday.options[0].metrics["time_to_assemble"]["p50"] > 15        # call-in: median 25m


def test_working_hours_are_separate_from_coverage(library, write):
    """A 24x7 on-call team whose rota works office hours in London: beyond those on call,
    people answer from the desk on a weekday morning there, and are called in at night."""
    text = library("cloudflare-2019-sre", "staffing").text
    assert "  sre:\n    on_call: 3\n" in text
    text = text.replace("  sre:\n    on_call: 3\n", "  sre:\n    on_call: 1\n    working_hours: "
                        "{timezone: Europe/London, days: [mon, tue, wed, thu, fri], hours: '09:00-17:00'}\n"
                        "    call_in: {dist: lognormal, median: 40m, p90: 90m}\n")
    office = load_text(text.replace("name: cloudflare-2019-sre", "name: office"), "office.yaml")
    cloudflare = library("cloudflare-2019-waf", "scenario")
    morning = simulate(fixed_start(cloudflare, "wed", "10:00", "Europe/London"), office, replications=1000, seed=2)
    night = simulate(fixed_start(cloudflare, "wed", "02:00", "Europe/London"), office, replications=1000, seed=2)
    assert morning.options[0].metrics["time_to_assemble"]["p50"] < 5
    assert night.options[0].metrics["time_to_assemble"]["p50"] > 25


def test_an_october_incident_in_utc_meets_pacific_business_hours_in_daylight_time(library):
    """16:30 UTC on Tuesday 27 October 2026 is 09:30 in Los Angeles (PDT): the pager team is
    at its desks. Read with winter offsets, as before dates were known, it was 08:30."""
    cloudflare, pager = library("cloudflare-2019-waf", "scenario"), library("business-hours-pager", "staffing")
    dated = load_text(re.sub(r"(?m)^start: .*$", "start: {policy: fixed, date: 2026-10-27, time: '16:30'}",
                             cloudflare.text), "dated.yaml")
    october = simulate(dated, pager, replications=1000, seed=5)
    undated = simulate(fixed_start(cloudflare, "tue", "16:30", "UTC"), pager, replications=1000, seed=5)
    assert october.to_dict()["settings"]["calendar_start_utc"] == "2026-10-26T00:00:00+00:00"
    assert october.options[0].metrics["time_to_acknowledge"]["p50"] < 2.5      # in hours: median 1m
    assert undated.options[0].metrics["time_to_acknowledge"]["p50"] > 5        # pager: median 7m


def test_a_stream_horizon_runs_through_the_clock_change(library):
    from scenarios.calendar import monday_of
    from simulator.model.plan import compile_plan

    cloudflare, pager = library("cloudflare-2019-waf", "scenario"), library("business-hours-pager", "staffing")
    import datetime as dt

    anchor = monday_of(dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc))
    plan = compile_plan(cloudflare.document, pager.document, library("itil-major-incident", "playbook").document,
                        anchor)
    before, after = plan.pools["sre"].week(0)[0], plan.pools["sre"].week(1)[0]
    assert before.index(True) == 17 * 60 and after.index(True) == 16 * 60      # Monday 09:00 PST, then PDT
    busy = load_text_with_frequency(cloudflare, "3/day")
    result = simulate(busy, pager, mode="stream", replications=1, horizon=60 * 24 * 28.0, seed=1,
                      horizon_start=dt.date(2026, 3, 4))
    assert result.to_dict()["settings"]["calendar_start_utc"] == anchor.isoformat()
