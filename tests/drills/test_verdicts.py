"""Scoring validated, not asserted (SPEC 3.7): for every bundled scenario, responses of five
known qualities derived from its replay by fixed rules (tests/drills/response_kinds.py)
must score in order, exemplary > typical > slow > wrong path, and gaming never above D."""

from __future__ import annotations

import functools

import pytest
from response_kinds import KINDS, derive

from drills import DrillDocuments, DrillStore, Journal, play, score
from scenarios import resolve
from scenarios.library import bundled

REPLAYS = sorted(bundled("responses"))


@functools.lru_cache(maxsize=None)
def scored(replay: str, kind: str, tmp: str) -> dict:
    typical = resolve(replay, "responses")
    scenario = resolve(typical.document.scenario, "scenario")
    roster = resolve(typical.document.roster, "roster")
    documents = DrillDocuments.resolve(scenario, roster)
    responses = derive(typical, scenario, documents.playbook, kind)
    store = DrillStore(f"{tmp}/{replay}-{kind}.db")
    session = play(store, documents, responses, seed=7)
    return score(Journal.from_store(store, session.record.id)).to_dict()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("verdicts"))


@pytest.mark.parametrize("replay", REPLAYS)
def test_five_kinds_of_response_score_in_order(replay, workdir):
    cards = {kind: scored(replay, kind, workdir) for kind in KINDS}
    points = {kind: card["score"] for kind, card in cards.items()}
    assert points["exemplary"] > points["typical"] > points["slow"] > points["wrong_path"], points
    assert cards["gaming"]["grade"] in ("D", "F"), (points, cards["gaming"]["grade"])


@pytest.mark.parametrize("replay", REPLAYS)
def test_the_wrong_path_is_explained_on_its_scorecard(replay, workdir):
    card = scored(replay, "wrong_path", workdir)
    text = repr(card.get("explained") or card.get("points") or card)
    scenario = resolve(resolve(replay, "responses").document.scenario, "scenario").document
    wrong = next((c for c in scenario.diagnosis.causes if not c.correct), None)
    if wrong is not None:
        assert wrong.id in text or wrong.title in text
