"""The breach pathway, at-scale contract holders and the arrangement format
that documents them: docs/arrangement-format.md's example is a valid
arrangement under the shipped schema, and gives every new kind of fact."""

from __future__ import annotations

import re

from rules_engine.values import Outcome

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
