"""The national contract library: the catalogue's ids, its flexibility, its
documentation, its examples and the local layers, valid and invalid."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from rules_engine import InvalidInput
from rules_engine.syntax import nodes as n
from tools.catalogue import DOCUMENT, render_catalogue
from rules_engine.queries.lint import lint_paths
from rules_engine.run.results import report_json

from conftest import ROOT

#: The stable ids of the rule catalogue (shared/rule-catalogue.md).
CATALOGUE_REQUIREMENTS = (
    "gms.core-hours", "gms.cqc-registered", "gms.patient-participation-group",
    "gms.friends-and-family-test", "gms.online-consultation-core-hours",
    "gms.online-records-access", "gms.online-registration", "gms.premium-rate-numbers",
    "gms.list-closure-period", "des.pcn.minimum-population", "des.pcn.clinical-director",
    "des.pcn.network-agreement", "des.ea.capacity", "des.ea.standard-hours",
    "des.arrs.eligible-role", "des.arrs.gp-eligibility", "des.arrs.nurse-prior-post",
    "des.arrs.role-cap",
)
CATALOGUE_VALUES = (
    "des.ea.required-minutes", "des.arrs.reimbursable", "pay.global-sum", "pay.ooh-deduction",
    "pay.enhanced-access", "pay.arrs-sum", "pay.casp", "pay.caip", "pay.core-pcn",
    "qof.achievement.{code}", "qof.points.{code}", "qof.points-total", "qof.payment",
    "qof.aspiration",
)
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
INVALID = sorted((ROOT / "contracts" / "local" / "invalid").glob("*.rules"))
INLINE = re.compile(r"#\s*error:\s*(E-[A-Z]+-\d{3})")


@pytest.fixture(scope="module")
def library(engine):
    return engine.library


def national_forms(library, name):
    return [f for f in library.forms.get(name, ()) if not f.layer.is_local]


def reported_ids(library) -> set[str]:
    return {f.term.report.id for forms in library.forms.values() for f in forms
            if isinstance(f.term, n.DefineDecl) and f.term.report is not None}


# ------------------------------------------------------------- catalogue ids

@pytest.mark.parametrize("rule_id", CATALOGUE_REQUIREMENTS)
def test_catalogue_requirement_exists_with_a_clause(library, rule_id):
    forms = national_forms(library, rule_id)
    assert forms, f"{rule_id} is not a national requirement"
    for form in forms:
        assert isinstance(form.term, n.RequirementDecl)
        assert form.term.reference is not None, f"{rule_id} has no `ref`"
        assert form.term.title


@pytest.mark.parametrize("value_id", CATALOGUE_VALUES)
def test_catalogue_value_is_reported(library, value_id):
    assert value_id in reported_ids(library)


def test_catalogue_flexibility(library):
    def flex(name):
        return {f.describe_flexibility() for f in national_forms(library, name)}

    assert flex("des.ea.standard-hours") == {"waivable with a reason"}
    assert flex("arrs_roles") == {"an ICB may add rows"}
    # The PCN minimum is locked in the DES itself; how far an ICB may lower it
    # is flexibility policy: today's envelope, marked provisional.
    assert flex("min_pcn_population") == {"locked"}
    envelope = library.envelope_on(dt.date(2025, 6, 1))
    allow = envelope.allow("vary", "min_pcn_population")
    assert (envelope.name, allow.bound.low.value, allow.bound.high.value) == (
        "todays_powers", 20000, 30000)
    assert "policy assumption" in allow.provisional.reason
    assert flex("ea_minutes_per_1000") == {"flexible at least 60 minutes"}
    for rule_id in CATALOGUE_REQUIREMENTS:
        if rule_id != "des.ea.standard-hours":
            assert flex(rule_id) == {"locked"}, rule_id


def test_catalogue_effective_periods(library):
    def period(name):
        return sorted((f.period.start, f.period.end) for f in national_forms(library, name)
                      if f.period is not None)

    assert period("gms.online-consultation-core-hours")[0][0] == dt.date(2025, 10, 1)
    assert period("gms.online-records-access")[0][0] == dt.date(2023, 10, 31)
    assert period("gms.online-registration")[0][0] == dt.date(2024, 10, 1)
    assert period("des.arrs.gp-eligibility")[0][0] == dt.date(2024, 10, 1)
    assert period("des.arrs.nurse-prior-post")[0][0] == dt.date(2025, 4, 1)


# ------------------------------------------------------------- documentation

def test_national_library_document_is_current(engine):
    assert DOCUMENT.exists(), "run python -m tools.catalogue --write"
    assert DOCUMENT.read_text(encoding="utf-8") == render_catalogue(engine), \
        "docs/national-library.md is out of date: run python -m tools.catalogue --write"


def test_every_catalogue_id_has_a_scenario(engine):
    text = DOCUMENT.read_text(encoding="utf-8")
    for term_id in CATALOGUE_REQUIREMENTS + CATALOGUE_VALUES:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{term_id}` |"))
        assert not row.endswith("| none |"), f"no scenario names {term_id}"


# ----------------------------------------------------------------- examples

@pytest.fixture(scope="module")
def example_json(engine):
    return report_json(engine.check_files(EXAMPLES))


def test_there_are_examples_for_each_year():
    names = {p.name for p in EXAMPLES}
    assert {"pcn-2023-24.yaml", "pcn-2024-25.yaml", "pcn-2025-26.yaml",
            "pcn-2025-26-passing.yaml", "pcn-2025-26-failing.yaml", "practice-no-pcn.yaml",
            "pcn-2025-26-missing-facts.yaml"} <= names


def test_examples_say_what_they_show():
    for path in EXAMPLES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# "), f"{path.name} does not open with a comment"


@pytest.mark.parametrize("term_id", CATALOGUE_REQUIREMENTS + CATALOGUE_VALUES)
def test_every_catalogue_id_is_in_an_example(example_json, term_id):
    pattern = re.compile("^" + re.escape(term_id).replace(r"\{code\}", "[A-Z0-9]+") + "$")
    seen = {item["id"] for a in example_json["arrangements"]
            for item in a["results"] + a["values"]}
    assert any(pattern.match(i) for i in seen), f"no example reports {term_id}"


def test_example_outcomes(example_json):
    by_id = {a["id"]: a["outcome"] for a in example_json["arrangements"]}
    assert by_id["U61234"] == "pass"       # pcn-2025-26-passing.yaml
    assert by_id["U70123"] == "fail"       # pcn-2025-26-failing.yaml
    assert by_id["H85099"] == "pass"       # practice-no-pcn.yaml
    assert by_id["U77701"] == "unknown"    # pcn-2025-26-missing-facts.yaml
    assert by_id["U50123"] == "fail"       # pcn-2023-24.yaml
    assert by_id["U52468"] == "fail"       # pcn-2024-25.yaml
    assert by_id["U53579"] == "pass"       # pcn-2025-26.yaml


def test_examples_serialise_money_as_exact_strings(example_json):
    passing = next(a for a in example_json["arrangements"] if a["id"] == "U61234")
    values = {(v["id"], v["subject"]): v for v in passing["values"]}
    global_sum = values[("pay.global-sum", "practice:G82003")]
    assert (global_sum["value"], global_sum["unit"]) == ("1669409.98", "GBP")
    json.dumps(example_json)


# ------------------------------------------------------------- local layers

def test_shipped_library_lints_clean():
    result = lint_paths([])
    assert result.terms > 0
    local = {Path(f).name for f in result.files if "/local/" in f}
    assert {"qmm.rules", "qop.rules", "qe1.rules", "qhm.rules"} <= local


@pytest.mark.parametrize("path", sorted((ROOT / "contracts" / "local").glob("*.rules")),
                         ids=lambda p: p.name)
def test_each_local_layer_lints_clean(path):
    lint_paths([path])


def test_one_invalid_file_per_kind_of_forbidden_variation():
    codes = {m.group(1) for p in INVALID for m in INLINE.finditer(p.read_text(encoding="utf-8"))}
    assert {"E-LAYER-001", "E-LAYER-002", "E-LAYER-003", "E-LAYER-004", "E-LAYER-005",
            "E-LAYER-006", "E-LAYER-008", "E-LAYER-009", "E-LAYER-010"} <= codes
    assert len(INVALID) >= 10


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_local_layer_is_rejected_with_its_code(path):
    expected = {(number, m.group(1))
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                for m in INLINE.finditer(line)}
    assert expected, f"{path.name} has no `# error: CODE` expectation"
    with pytest.raises(InvalidInput) as raised:
        lint_paths([path])
    found = {(d.span.line, d.code) for d in raised.value.diagnostics if d.span is not None}
    assert found == expected, f"{path.name}: expected {sorted(expected)}, got {sorted(found)}"


def test_vary_of_an_unknown_name_suggests_the_right_one():
    path = ROOT / "contracts" / "local" / "invalid" / "vary-unknown-name.rules"
    with pytest.raises(InvalidInput) as raised:
        lint_paths([path])
    assert "did you mean `min_pcn_population`" in (raised.value.diagnostics[0].hint or "")
