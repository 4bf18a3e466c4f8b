"""examples/README.md states each example's figures; this holds them.

Each section of the README that names an example (`### FILE.yaml: ...`)
gives the command that checks it (an indented `contract-rules check ...`
line), its outcome and exit code (`**Outcome pass, exit 0.**`) and a table
of figures:

    | id | subject | figure | worked |
    |---|---|---|---|
    | pay.global-sum | practice:D82001 | £2,565,472.00 | 20,800 x £123.34 |
    | des.ea.capacity | pcn:U12345 | pass | 3,350 >= 3,241 |

A figure is a value as `check` shows it (`£1,234.56`, `19 points`,
`62.5%`, `3,241 minutes`, `unknown`), or the outcome of a result (`pass`,
`fail`, `not_applicable`, `unknown`). A value marked `(assumed)` must read an
assumption. Where the worked column is plain arithmetic (numbers, `£`, `%`,
`x`, `/`, `+`, `-` and brackets), it is worked here too, exactly, and must
come to the figure (money to the penny, half up): so a figure in the README
is both what the engine prints and what its arithmetic gives.
"""

from __future__ import annotations

import json
import re
import shlex
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules_engine.cli import cli
from rules_engine.base.numbers import show_value

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "examples" / "README.md"

SECTION = re.compile(r"^### (?P<file>[\w.-]+\.yaml)\b.*$", re.MULTILINE)
COMMAND = re.compile(r"^    (contract-rules check .+)$", re.MULTILINE)
OUTCOME = re.compile(r"\*\*Outcome (?P<outcome>\w+), exit (?P<exit>\d)\.\*\*")
ROW = re.compile(r"^\| (?P<id>[a-z][\w{}-]*\.[\w.{}-]+) \| (?P<subject>[^|]+?) \| (?P<figure>[^|]+?) \| (?P<worked>[^|]*?) ?\|$",
                 re.MULTILINE)
OUTCOMES = {"pass", "fail", "not_applicable", "unknown"}


def sections():
    text = README.read_text(encoding="utf-8")
    starts = list(SECTION.finditer(text))
    for here, after in zip(starts, starts[1:] + [None]):
        body = text[here.end():after.start() if after else len(text)]
        yield here.group("file"), body


def checked_sections():
    found = []
    for name, body in sections():
        command, outcome = COMMAND.search(body), OUTCOME.search(body)
        rows = [m.groupdict() for m in ROW.finditer(body)]
        if command and outcome and rows:
            found.append(pytest.param(name, command.group(1), outcome.groupdict(), rows, id=name))
    return found


CASES = checked_sections()


def test_the_readme_states_figures_for_the_examples():
    names = {case.values[0] for case in CASES}
    # the README's first example and the complete examples of each year
    assert {"pcn-passing.yaml", "pcn-2025-26-passing.yaml", "pcn-2024-25.yaml",
            "pcn-2025-26-failing.yaml", "practice-no-pcn.yaml"} <= names
    for name in names:
        assert (ROOT / "examples" / name).is_file(), name


# ------------------------------------------------------------------ arithmetic

_TOKEN = re.compile(r"\s*(?:(?P<number>£?\d[\d,]*(?:\.\d+)?%?)|(?P<op>[x/+()\-]))")


def arithmetic(text: str) -> Decimal | None:
    """The value of plain arithmetic (`20,800 x £123.34 - 4.75% x 1,000`), or
    None when the text is prose. Multiplication and division bind tighter."""
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            return None
        if match.group("number"):
            raw = match.group("number").lstrip("£").replace(",", "")
            tokens.append(Decimal(raw[:-1]) / 100 if raw.endswith("%") else Decimal(raw))
        else:
            tokens.append(match.group("op"))
        position = match.end()
    if not any(isinstance(t, Decimal) for t in tokens) or not any(isinstance(t, str) for t in tokens):
        return None
    result, rest = _sum(tokens)
    return result if not rest else None


def _sum(tokens):
    value, tokens = _product(tokens)
    while tokens and tokens[0] in ("+", "-"):
        op, (right, tokens) = tokens[0], _product(tokens[1:])
        value = value + right if op == "+" else value - right
    return value, tokens


def _product(tokens):
    value, tokens = _atom(tokens)
    while tokens and tokens[0] in ("x", "/"):
        op, (right, tokens) = tokens[0], _atom(tokens[1:])
        value = value * right if op == "x" else value / right
    return value, tokens


def _atom(tokens):
    if tokens and tokens[0] == "(":
        value, rest = _sum(tokens[1:])
        assert rest and rest[0] == ")", "unbalanced brackets"
        return value, rest[1:]
    if tokens and isinstance(tokens[0], Decimal):
        return tokens[0], tokens[1:]
    raise AssertionError(f"not arithmetic: {tokens}")


def test_arithmetic_is_worked_exactly():
    assert arithmetic("20,800 x £123.34") == Decimal("2565472.00")
    assert arithmetic("4.75% x £1,880,935") == Decimal("89344.4125")
    assert arithmetic("(62.5 - 40) / 45 x 38") == Decimal("19")
    assert arithmetic("2 x £1,418.43 + 4 x £2,151.96") == Decimal("11444.70")
    assert arithmetic("income-protected at 4 points") is None
    assert arithmetic("3,408") is None  # a bare number is no working


def figure_of(expected: str, worked: Decimal, unit: str) -> str:
    """The worked amount shown as the figure is shown, for comparison."""
    if unit == "GBP":
        return show_value(worked.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), unit)
    return show_value(worked, unit)


# -------------------------------------------------------------------- the test

@pytest.mark.parametrize("name, command, outcome, rows", CASES)
def test_each_stated_figure(name, command, outcome, rows, in_root):
    args = shlex.split(command)[2:] + ["--format", "json"]
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exit_code == int(outcome["exit"]), result.output
    arrangement = json.loads(result.stdout)["arrangements"][0]
    assert arrangement["outcome"] == outcome["outcome"]
    values = {(v["id"], v["subject"]): v for v in arrangement["values"]}
    results = {(r["id"], r["subject"]): r for r in arrangement["results"]}
    worked_rows = 0
    for row in rows:
        key = (row["id"], row["subject"].strip())
        figure = row["figure"].strip()
        assumed = figure.endswith("(assumed)")
        figure = figure.removesuffix("(assumed)").strip()
        if key in results and figure in OUTCOMES:
            assert results[key]["outcome"] == figure, (name, key)
            continue
        assert key in values, f"{name}: no value {key} (results: {key in results})"
        value = values[key]
        shown = "unknown" if value["value"] is None else show_value(value["value"], value["unit"])
        assert shown == figure, f"{name}: {key} is {shown}, the README says {figure}"
        assert bool(value.get("assumed")) == assumed, (name, key, value.get("assumed"))
        worked = arithmetic(row["worked"])
        if worked is not None and value["value"] is not None:
            worked_rows += 1
            assert figure_of(figure, worked, value["unit"]) == figure, (
                f"{name}: {key}: {row['worked']} comes to {worked}, not {figure}")
    assert worked_rows >= 1 or len(rows) <= 2, f"{name}: no figure has its arithmetic"


# ------------------------------------------------------ population terms

POPULATION_SECTION = re.compile(r"^### (?P<file>[\w.-]+\.jsonl)\b.*$", re.MULTILINE)
POPULATION_COMMAND = re.compile(r"^    (contract-rules check --population .+)$", re.MULTILINE)
POPULATION_ROW = re.compile(r"^\| (?P<term>[a-z]\w*) \| (?P<field>[a-z_]+) \| (?P<group>\w+) \| "
                            r"(?P<figure>[^|]+?) \| (?P<worked>[^|]*?) ?\|$", re.MULTILINE)


def population_sections():
    text = README.read_text(encoding="utf-8")
    for here in POPULATION_SECTION.finditer(text):
        after = text.find("\n### ", here.end())
        body = text[here.end():after if after >= 0 else len(text)]
        command, outcome = POPULATION_COMMAND.search(body), OUTCOME.search(body)
        rows = [m.groupdict() for m in POPULATION_ROW.finditer(body) if m.group("term") != "term"]
        if command and outcome and rows:
            yield pytest.param(command.group(1), outcome.groupdict(), rows, id=here.group("file"))


POPULATION_CASES = list(population_sections())


def test_the_readme_states_a_population_term():
    assert POPULATION_CASES


@pytest.mark.parametrize("command, outcome, rows", POPULATION_CASES)
def test_each_population_figure(command, outcome, rows, in_root):
    """A population section's figures are its terms' records: the outcome,
    the known total (worked exactly), the arrangements and unknown members."""
    args = shlex.split(command)[2:] + ["--format", "json"]
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exit_code == int(outcome["exit"]), result.output
    found = {(r["id"], r["group"]): r for r in (json.loads(line)["population_term"]
                                                for line in result.output.splitlines()
                                                if line.startswith('{"population_term"'))}
    worked_rows = 0
    for row in rows:
        record = found[(row["term"], row["group"])]
        figure = row["figure"].strip()
        if row["field"] == "outcome":
            assert record["outcome"] == figure == outcome["outcome"]
            continue
        value = record[row["field"]]
        if row["field"] in ("known_total", "total"):
            shown = "unknown" if value is None else show_value(Decimal(value), "GBP")
            assert shown == figure, (row, shown)
            worked = arithmetic(row["worked"])
            if worked is not None:
                worked_rows += 1
                assert figure_of(figure, worked, "GBP") == figure, (row, worked)
        else:
            assert f"{value:,}" == figure, (row, value)
    assert worked_rows >= 1
