"""Documents state their currency and how uncertain their estimates are: the currency is an
ISO 4217 code that a staffing and a scenario run together must share; a scenario's
frequency_range and a delay's range are checked where they are written."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pydantic import TypeAdapter, ValidationError

from cli import main
from scenarios import DocumentError, bundled, load_text
from scenarios.crosscheck import check_together
from scenarios.currency import CURRENCIES, format_money
from scenarios.distributions import Distribution

DISTRIBUTION = TypeAdapter(Distribution)

STAFFING = """kind: staffing
version: 1
name: eu-oncall
{currency}roles:
  incident_manager: {{on_call: 1, hourly_rate: 90}}
  technical_lead: {{on_call: 1}}
resolver_groups:
  sre: {{on_call: 3}}
"""


def staffing(currency: str = "") -> str:
    return STAFFING.format(currency=f"currency: {currency}\n" if currency else "")


def test_money_is_written_with_its_currency_at_a_readable_size():
    assert format_money(3_449_600, "USD") == "USD 3.4 M"
    assert format_money(425_000, "EUR") == "EUR 425 k"
    assert format_money(999_600, "EUR") == "EUR 1.0 M"       # rounds into the next unit, not "1000 k"
    assert format_money(4_000, "GBP") == "GBP 4,000"
    assert format_money(2.5e9, "USD") == "USD 2.5 bn"
    assert format_money(-728_000, "USD") == "USD -728 k"
    assert format_money(728_000, "USD", signed=True) == "USD +728 k"
    assert format_money(3_449_600, "USD", exact=True) == "USD 3,449,600"
    assert format_money(3_449_600, None) == "3.4 M"
    assert format_money(None, "USD") == format_money(float("nan"), "USD") == "-"


def test_currency_is_an_iso_code_held_in_capitals():
    assert load_text(staffing("eur"), "s.yaml").document.currency == "EUR"
    assert load_text(staffing(), "s.yaml").document.currency == "USD"   # the documented default
    with pytest.raises(DocumentError) as bad:
        load_text(staffing("XYZ"), "s.yaml")
    assert "s.yaml:4: currency: expected an ISO 4217 currency code such as USD, EUR or GBP, got 'XYZ'" in str(bad.value)
    assert {"USD", "EUR", "GBP", "JPY", "CHF", "INR"} <= CURRENCIES and "XAU" not in CURRENCIES


def test_every_bundled_staffing_and_scenario_states_its_currency(library):
    for name, path in bundled().items():
        doc = library(name, load_text(path.read_text(), str(path)).document.kind).document
        if doc.kind in ("staffing", "scenario"):
            assert "currency" in doc.model_fields_set and doc.currency == "USD", name


def test_a_staffing_in_another_currency_is_refused_where_it_says_so(cloudflare, playbook):
    euros = load_text(staffing("EUR"), "eu-oncall.yaml")
    (problem,) = check_together(cloudflare, euros, playbook)
    assert (problem.file, problem.line, problem.path) == ("eu-oncall.yaml", 4, "currency")
    assert "staffing 'eu-oncall' is in EUR but scenario 'cloudflare-2019-waf' is in USD" in problem.message
    assert "got EUR" in problem.message
    assert check_together(cloudflare, load_text(staffing("USD"), "us.yaml"), playbook) == []


def test_an_unstated_currency_is_named_as_the_default(playbook):
    scenario = load_text(open(bundled()["cloudflare-2019-waf"]).read().replace("currency: USD\n", "currency: GBP\n"),
                         "uk.yaml")
    (problem,) = check_together(scenario, load_text(staffing(), "plain.yaml"), playbook)
    # the scenario states GBP, the staffing states nothing: the problem is the scenario's line
    assert problem.file == "uk.yaml" and problem.path == "currency" and problem.line == 4
    assert "it states no currency: USD is the default" in problem.message


def test_validate_and_compare_refuse_mixed_currencies_with_exit_2(tmp_path):
    path = tmp_path / "eu-oncall.yaml"
    path.write_text(staffing("EUR"))
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", "cloudflare-2019-waf", str(path)])
    assert checked.exit_code == 2 and f"{path}:4: currency: staffing 'eu-oncall' is in EUR" in checked.output
    ran = runner.invoke(main, ["compare", "cloudflare-2019-waf", "--staffing", "cloudflare-2019-sre",
                               "--staffing", str(path), "-n", "20", "-q"])
    assert ran.exit_code == 2 and "currency" in ran.output and "Traceback" not in ran.output


def scenario_with(frequency_lines: str) -> str:
    text = open(bundled()["cloudflare-2019-waf"]).read()
    start = text.index("frequency: 1/year")
    end = text.index("start: uniform_week")
    return text[:start] + frequency_lines + text[end:]


def test_frequency_range_is_read_in_any_rate_unit_and_must_hold_the_frequency():
    loaded = load_text(scenario_with("frequency: 2/year\nfrequency_range: [1/year, 0.25/week]\n"), "s.yaml")
    assert loaded.document.frequency_range == (1.0, pytest.approx(13.0357, rel=1e-4))
    assert loaded.document.frequency_bounds == loaded.document.frequency_range
    unranged = load_text(scenario_with("frequency: 2/year\n"), "s.yaml").document
    assert unranged.frequency_range is None and unranged.frequency_bounds == (2.0, 2.0)
    text = scenario_with("frequency: 5/year\nfrequency_range: [1/year, 3/year]\n")
    line = text.splitlines().index("frequency_range: [1/year, 3/year]") + 1
    with pytest.raises(DocumentError) as outside:
        load_text(text, "s.yaml")
    assert f"s.yaml:{line}: frequency_range: must contain frequency (5/year), got [1/year, 3/year]" in str(outside.value)
    with pytest.raises(DocumentError) as backwards:
        load_text(scenario_with("frequency: 2/year\nfrequency_range: [3/year, 1/year]\n"), "s.yaml")
    assert "frequency_range: give the lowest rate first, got [3/year, 1/year]" in str(backwards.value)


def test_a_delay_range_moves_every_parameter_together_on_a_log_scale():
    delay = DISTRIBUTION.validate_python({"dist": "lognormal", "median": "9m", "p90": "20m",
                                          "range": {"median": ["6m", "13.5m"], "p90": ["15m", "30m"]}})
    low, high, middle = delay.at(0), delay.at(1), delay.at(0.5)
    assert (low.median, low.p90, high.median, high.p90) == (6, 15, 13.5, 30)
    assert middle.median == pytest.approx(9.0) and middle.p90 == pytest.approx(15 * 2 ** 0.5)  # geometric means
    assert low.range is None and delay.ranged() == {"median": (6, 13.5), "p90": (15, 30)}
    # a range reaching zero is read on a straight scale
    fixed = DISTRIBUTION.validate_python({"dist": "fixed", "value": "2m", "range": {"value": ["0m", "4m"]}})
    assert fixed.at(0.5).value == 2
    # a family's own parameters without a range: the delay itself
    assert DISTRIBUTION.validate_python({"dist": "gamma", "mean": "20m", "sd": "10m"}).at(0.3).mean == 20


@pytest.mark.parametrize("spec, message", [
    ({"dist": "lognormal", "median": "9m", "p90": "20m", "range": {"median": ["10m", "13m"]}},
     "range.median: must contain median (9), got [10, 13]"),
    ({"dist": "lognormal", "median": "9m", "p90": "20m", "range": {"median": ["6m", "25m"], "p90": ["14m", "21m"]}},
     "range: its high ends do not make a valid delay: p90 must be >= median"),
    ({"dist": "exponential", "mean": "9m", "range": {"mean": ["0m", "13m"]}},
     "range: its low ends do not make a valid delay: mean: Input should be greater than 0"),
    ({"dist": "triangular", "min": "1m", "mode": "2m", "max": "5m", "range": {"max": ["6m", "4m"]}},
     "range.max: give the low end first, got [6, 4]"),
    ({"dist": "empirical", "samples": ["1m", "2m"], "range": {"samples": ["1m", "2m"]}}, "Extra inputs are not permitted"),
])
def test_a_range_that_cannot_hold_is_refused(spec, message):
    with pytest.raises(ValidationError) as bad:
        DISTRIBUTION.validate_python(spec)
    assert message in str(bad.value)


def test_a_bad_range_in_a_document_is_located(tmp_path):
    text = open(bundled()["cloudflare-2019-waf"]).read().replace("median: 9m, p90: 20m, range: {median: [6m, 14m]",
                                                                  "median: 9m, p90: 20m, range: {median: [10m, 14m]")
    with pytest.raises(DocumentError) as bad:
        load_text(text, "s.yaml")
    (problem,) = bad.value.problems
    assert problem.path.startswith("diagnosis.time") and problem.line is not None
    assert "range.median: must contain median (9), got [10, 14]" in problem.message


def test_the_schema_names_the_new_fields():
    runner = CliRunner()
    scenario = json.loads(runner.invoke(main, ["schema", "scenario"]).output)
    staffing_schema = json.loads(runner.invoke(main, ["schema", "staffing"]).output)
    for schema in (scenario, staffing_schema):
        assert "ISO 4217" in schema["properties"]["currency"]["description"]
        assert schema["properties"]["currency"]["default"] == "USD"
    assert "frequency_range" in scenario["properties"]
    assert "LogNormalRange" in json.dumps(scenario["$defs"])
