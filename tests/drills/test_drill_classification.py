"""Classify before you declare: the policy's classification at every minute, the team's
calls, and the scorecard's verdict on them (a decoy that is over-declared scores lower than
one classified right; a major incident classified late or too low scores lower)."""

from __future__ import annotations

import pytest
from test_drill_scoring import GOOD, IM, drill

from drills import ActionRejected, DrillDocuments, DrillSession, DrillStore, Journal, play, score
from drills.classification import correct_over_time
from scenarios import resolve

DECOYS = [("batch-disk-alert-storm", "batch-storm-calm", "batch-storm-overreaction"),
          ("promo-code-glitch", "promo-glitch-calm", "promo-glitch-overreaction")]
POLICY = resolve("itil-impact-urgency", "classification").document


def card_of(tmp_path, scenario: str, responses: str) -> dict:
    docs = DrillDocuments.resolve(resolve(scenario, "scenario"), resolve("harbor-team", "roster"))
    session = play(DrillStore(tmp_path / f"{responses}.db"), docs, resolve(responses, "responses"))
    return score(Journal.from_store(session.store, session.record.id)).to_dict()


@pytest.mark.parametrize("scenario,calm,overreaction", DECOYS)
def test_over_declaring_a_decoy_scores_far_below_classifying_it_right(tmp_path, scenario, calm, overreaction):
    right, wrong = card_of(tmp_path, scenario, calm), card_of(tmp_path, scenario, overreaction)
    assert right["grade"] == "A" and right["score"] >= 95
    assert wrong["score"] <= right["score"] - 30 and wrong["grade"] in ("D", "F")
    assert right["classification"]["major_needed"] is False and right["classification"]["calls"][0]["right"]
    assert right["harms"]["over_declaration"]["points"] == 0 and right["harms"]["misclassification"]["points"] == 0
    assert wrong["harms"]["over_declaration"]["points"] == -20
    assert wrong["harms"]["misclassification"]["points"] < 0
    assert wrong["checks"]["classification"]["value"] == 0
    # Declaring is not expected of a decoy: its declaration metrics are not scored either way.
    for card in (right, wrong):
        assert card["components"]["time_to_first_update"]["status"] == "not_applicable"
    sentences = " ".join(p["why"] for p in wrong["points"])
    assert "by the policy it never was one" in sentences


def test_a_major_incident_classified_late_or_too_low_scores_below_one_classified_right(tmp_path, cloudflare_drill):
    right = score(drill(tmp_path, cloudflare_drill, name="right")).to_dict()
    late_steps = [s if s[2] != "classify" else (28, "incident_manager", "classify", s[3], IM) for s in GOOD]
    late = score(drill(tmp_path, cloudflare_drill, late_steps, name="late")).to_dict()
    low = {"severity": "sev2", "priority": "P2", "major": "no"}
    under_steps = [s if s[2] != "classify" else (5, "incident_manager", "classify", low, IM) for s in GOOD]
    under = score(drill(tmp_path, cloudflare_drill, under_steps, name="under")).to_dict()
    assert right["checks"]["classification"]["passed"] and right["harms"]["misclassification"]["points"] == 0
    assert late["checks"]["classification"]["value"] < right["checks"]["classification"]["value"]
    assert late["score"] < right["score"] and under["score"] < late["score"]
    assert under["classification"]["under_classified_min"] > 0 and under["harms"]["misclassification"]["points"] < 0
    assert under["checks"]["classification"]["value"] == 0
    assert "the policy said sev1/P1, major" in " ".join(under["checks"]["classification"]["evidence"])


def test_the_right_classification_follows_the_impact_as_it_grows(tmp_path, library):
    """Internal DNS alone is a P3; once login and booking fall with it, a P1 and major."""
    docs = DrillDocuments.resolve(library("internal-dns-outage", "scenario"), library("marlow-team", "roster"))
    session = play(DrillStore(tmp_path / "d.db"), docs, resolve("marlow-dns-replay", "responses"))
    steps = correct_over_time(session.events(), docs.scenario.document, POLICY)
    assert steps[0][0] == 0.0 and steps[0][1].text() == "sev3/P3, not major"
    assert any(c.text() == "sev1/P1, major" for _, c in steps)
    assert steps[-1][1].major is False        # everything back at the end
    card = score(Journal.from_store(session.store, session.record.id)).to_dict()
    assert card["classification"]["major_needed"] and card["classification"]["calls"][0]["right"]


def test_a_classification_outside_the_policy_is_refused(tmp_path, cloudflare_drill):
    session = DrillSession.create(DrillStore(tmp_path / "d.db"), cloudflare_drill)
    session.start()
    session.advance_to(4)
    for fields, message in (({"severity": "sev9", "priority": "P1", "major": "yes"}, "unknown severity 'sev9'"),
                            ({"severity": "sev1", "priority": "P0", "major": "yes"}, "unknown priority 'P0'"),
                            ({"severity": "sev1", "priority": "P1", "major": "maybe"}, "major is yes or no")):
        with pytest.raises(ActionRejected, match=message):
            session.act("incident_manager", "classify", fields)
    session.act("incident_manager", "classify", {"severity": "sev1", "priority": "P1", "major": "yes"})


def test_an_over_declaration_becomes_an_improvement_item_against_the_policy(tmp_path):
    from reports.aar import improvement_items

    items = {i["id"]: i for i in improvement_items(card_of(tmp_path, "promo-code-glitch", "promo-glitch-overreaction"))}
    assert {"classification", "misclassification", "over_declaration"} <= set(items)
    assert "criteria" in items["over_declaration"]["action"] and items["over_declaration"]["element"] == "planning"
    assert "never was one" in items["over_declaration"]["observation"]
    calm = {i["id"] for i in improvement_items(card_of(tmp_path, "promo-code-glitch", "promo-glitch-calm"))}
    assert not {"classification", "misclassification", "over_declaration"} & calm
