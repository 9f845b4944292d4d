"""The condition language of conditional injects: parses safely, says where it is wrong,
evaluates against a drill's state, and unknown names are validation errors."""

import pytest

from scenarios import DocumentError, load_text
from scenarios.conditions import ConditionError, parse_condition


class State:
    def __init__(self, values, calls=None):
        self.values, self.calls = values, calls or {}

    def value(self, name):
        return self.values.get(name)

    def call(self, function, argument):
        return self.calls.get((function, argument))


@pytest.mark.parametrize("text, values, calls, expected", [
    ("not declared and elapsed >= 15m", {"declared": False, "elapsed": 15.0}, {}, True),
    ("not declared and elapsed >= 15m", {"declared": False, "elapsed": 14.75}, {}, False),
    ("not declared and elapsed >= 15m", {"declared": True, "elapsed": 20.0}, {}, False),
    ("elapsed > 1h30m", {"elapsed": 91.0}, {}, True),
    ("elapsed > 90s", {"elapsed": 1.0}, {}, False),
    ("since(declared) >= 10m", {}, {("since", "declared"): None}, False),  # not declared yet: false
    ("not since(declared) >= 10m", {}, {("since", "declared"): None}, True),
    ("a or b and c", {"a": False, "b": True, "c": False}, {}, False),  # and binds tighter than or
    ("(a or b) and c", {"a": True, "b": False, "c": True}, {}, True),
    ("cost > 100000 - 1", {"cost": 100000.0}, {}, True),
    ("count(update) == 0", {}, {("count", "update"): 0}, True),
    ("true", {}, {}, True),
])
def test_conditions_evaluate(text, values, calls, expected):
    assert parse_condition(text).holds(State(values, calls)) is expected


@pytest.mark.parametrize("text, message", [
    ("elapsed >=", "expected a value at column 11"),
    ("declared and", "expected a value"),
    ("(declared", "expected ')'"),
    ("elapsed >= 15m )", "unexpected ')' at column 16"),
    ("__import__('os')", "unexpected"),
    ("open(x)", "unknown function 'open'"),
    ("elapsed ; 1", "unexpected ';"),
    ("", "empty condition"),
])
def test_bad_conditions_say_where(text, message):
    with pytest.raises(ConditionError) as err:
        parse_condition(text)
    assert message in str(err.value)


def test_condition_names_are_checked_against_the_scenario(cloudflare):
    text = cloudflare.text.replace("when: not declared\n", "when: not declard and delivered(cto_cal)\n", 1)
    text = text.replace("when: started(kill_waf_globally)\n", "when: started(kill_waf_globally) and (\n", 1)
    text = text.replace("when: restored\n", "when: restored and started(reboot_the_internet)\n", 1)
    with pytest.raises(DocumentError) as err:
        load_text(text, "cf.yaml")
    messages = [str(p) for p in err.value.problems]
    assert any("injects[" in m and ".when: condition does not parse" in m for m in messages), messages
    assert any("unknown name 'declard'" in m for m in messages), messages
    assert any("delivered(cto_cal)" in m for m in messages), messages
    assert any("started(reboot_the_internet)" in m and "unknown 'reboot_the_internet'" in m for m in messages), messages
    # Every problem is located on its line.
    assert all(p.line for p in err.value.problems)


@pytest.mark.parametrize("text,required", [
    ("delivered(a)", {"a"}),
    ("delivered(a) and declared", {"a"}),
    ("delivered(a) or elapsed > 5m", set()),
    ("delivered(a) or (delivered(b) and delivered(a))", {"a"}),
    ("since(a) > 2m", {"a"}),
    ("not delivered(a)", set()),
    ("since(a) > 2m or (delivered(a) and declared)", {"a"}),
])
def test_a_condition_knows_what_must_have_happened(text, required):
    assert parse_condition(text).requires() == required
