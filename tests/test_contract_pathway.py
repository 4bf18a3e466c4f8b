"""The breach pathway, at-scale contract holders and the arrangement format
that documents them: docs/arrangement-format.md's example is a valid
arrangement under the shipped schema, and gives every new kind of fact."""

from __future__ import annotations

import re

from rules_engine.base.values import Outcome

from conftest import ROOT

DOC = (ROOT / "docs" / "arrangement-format.md").read_text(encoding="utf-8")


def test_the_documented_arrangement_is_valid(engine):
    text = re.search(r"```yaml\n(.*?)```", DOC, re.S).group(1)
    arrangement = engine.load_arrangement("docs/arrangement-format.md", text)
    result = engine.evaluate(arrangement)
    # The example's at-scale holder and breach events are read, not ignored.
    assert result.result("gms.holder-eligibility", "holder:FED01").outcome is Outcome.PASS
    assert result.result("gms.termination-grounds", "practice:D82001").outcome is Outcome.PASS
    assert result.result("gms.remedial-notice-content", "remedial_notice:D82001/1").outcome is Outcome.PASS
    assert result.result("gms.sanction-suspension-limit", "sanction:D82001/1").outcome is Outcome.PASS


def test_as_of_in_a_rule_is_the_evaluation_date(engine):
    """Regression: `as_of` in an expression read the arrangement's `as_of`
    fact, so an arrangement without one (the date given by --as-of or a
    scenario) made gms.accountable-gp-notice unknown, and --as-of did not
    win over the fact as documented."""
    import datetime as dt
    text = ("practices:\n  - ods_code: R00001\n"
            "    registrations: [{accepted: 2025-05-01}]\n")
    arrangement = engine.load_arrangement("a.yaml", text)
    # 21 days from 1 May is 22 May: not yet notified on 22 May passes, on 23 May fails.
    on_time = engine.evaluate(arrangement, dt.date(2025, 5, 22))
    late = engine.evaluate(arrangement, dt.date(2025, 5, 23))
    assert on_time.result("gms.accountable-gp-notice").outcome is Outcome.PASS
    assert late.result("gms.accountable-gp-notice").outcome is Outcome.FAIL
    dated = engine.load_arrangement("b.yaml", "as_of: 2025-05-22\n" + text)
    assert engine.evaluate(dated, dt.date(2025, 5, 23)).result(
        "gms.accountable-gp-notice").outcome is Outcome.FAIL
