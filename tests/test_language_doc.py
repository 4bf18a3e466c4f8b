"""docs/language.md: every example in the language reference is checked."""

import re

import pytest

from rules_engine import InvalidInput
from rules_engine.queries.lint import lint_sources
from rules_engine.static.load import default_sources, run_until
from rules_engine.base.source import SourceFile

from conftest import ROOT

DOC = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
BLOCKS = [(m.group(1), m.group(2), DOC[:m.start()].count("\n") + 2)
          for m in re.finditer(r"```(rules|rules-error)\n(.*?)```", DOC, re.S)]
#: The stages `lint_sources` runs before its warning checks (queries/lint.py).
LINT_STAGES = "population types"
HEADER = 'national contract docs_example "Documentation example"\n'


def sources_for(text: str, line: int) -> list[SourceFile]:
    national = [s for s in default_sources() if s.path.startswith("contracts/national/")]
    first = next((l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")), "")
    body = text if first.startswith(("national", "local")) else HEADER + text
    return national + [SourceFile(f"docs/language.md:{line}", body)]


def test_there_are_examples():
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize("kind, text, line", BLOCKS, ids=[f"line-{b[2]}" for b in BLOCKS])
def test_example(kind, text, line):
    """Each example through the static stages, as `lint` runs them: a valid
    one checks, an error one gives its documented code."""
    if kind == "rules":
        run_until(LINT_STAGES, sources_for(text, line))
        return
    code = re.search(r"#\s*(E-[A-Z]+-\d{3})", text).group(1)
    with pytest.raises(InvalidInput) as raised:
        run_until(LINT_STAGES, sources_for(text, line))
    assert code in [d.code for d in raised.value.diagnostics]


# The whole lint of each valid example (its warning checks, the solver's
# conditions over the national library among them: about 0.4 s of CPU an
# example) in the slow tier; the fast tier lints the first and every fourth.
VALID = [b for b in BLOCKS if b[0] == "rules"]


@pytest.mark.parametrize("text, line", [
    pytest.param(text, line, id=f"line-{line}", marks=() if index % 4 == 0 else pytest.mark.slow)
    for index, (_, text, line) in enumerate(VALID)])
def test_example_lints(text, line):
    result = lint_sources(sources_for(text, line))
    assert result.files[-1] == f"docs/language.md:{line}" and result.terms > 0


def limits_table() -> str:
    """The Limits table of docs/language.md, as `limits.TABLE` says it."""
    from rules_engine.base import limits
    lines = ["| limit | code | default | what it bounds |", "|---|---|---|---|"]
    for limit in limits.TABLE:
        default = str(limit.default) if limit.unit == "year" else f"{limit.default:,}"
        lines.append(f"| `{limit.name}` | {limit.code} | {default} {limit.unit} | {limit.meaning} |")
    return "\n".join(lines) + "\n"


def test_every_limit_is_documented_as_the_table_says():
    marker = "<!-- limits table: checked against rules_engine.base.limits.TABLE by tests/test_language_doc.py -->\n"
    assert marker in DOC
    after = DOC.split(marker, 1)[1]
    documented = after[:after.index("\n\n") + 1] if "\n\n" in after else after
    assert documented == limits_table(), "docs/language.md's limits table should read:\n" + limits_table()
