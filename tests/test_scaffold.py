"""`contract-rules new layer --icb CODE` (rules_engine/queries/scaffold.py): the two
files pass lint, vary-check and test as written, and so does each commented
example once uncommented; a file that exists is never replaced."""

import datetime as dt
import os

import pytest
from click.testing import CliRunner

from rules_engine.cli import cli
from rules_engine.queries.scaffold import contract_year, layer_scaffold


def _split(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def made(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _split("new", "layer", "--icb", "qxx", "--as-of", "2025-06-01")
    assert code == 0, err
    assert "wrote qxx_proposal.rules (the local layer qxx_proposal for ICB QXX)" in out
    return tmp_path


def test_the_scaffold_passes_lint_vary_check_and_test_as_written(made):
    layer = (made / "qxx_proposal.rules").read_text()
    assert 'local layer qxx_proposal "ICB QXX: local variations 2025/26 (proposal)" for icb QXX' in layer
    assert "effective 2025-04-01 to 2026-03-31" in layer
    assert _split("lint", "qxx_proposal.rules")[0] == 0
    code, out, _ = _split("vary-check", "qxx_proposal.rules")
    assert code == 0 and out.startswith("qxx_proposal (ICB QXX): permitted; no variations")
    code, out, _ = _split("test", "qxx_proposal.yaml")
    assert (code, out) == (0, "2 passed, 0 failed\n")


def _examples(text):
    """The commented examples: `# vary ...` up to the next bare `#`, uncommented."""
    examples, current = [], None
    for line in text.splitlines():
        if line.startswith(("# vary ", "# waive ", "# add requirement ")):
            current = [line[2:]]
            examples.append(current)
        elif current is not None and line.startswith("#   "):
            current.append(line[2:])
        else:
            current = None
    return ["\n".join(lines) for lines in examples]


def test_each_commented_example_is_permitted_once_uncommented(made):
    text = (made / "qxx_proposal.rules").read_text()
    examples = _examples(text)
    assert [e.split()[0] for e in examples] == ["vary", "waive", "add"]
    for example in examples:
        (made / "qxx_proposal.rules").write_text(text + "\n" + example + "\n")
        assert _split("lint", "qxx_proposal.rules")[0] == 0, example
        code, out, err = _split("vary-check", "qxx_proposal.rules")
        assert code == 0 and "1 of 1 variation permitted" in " ".join(out.split()), (example, out, err)
        assert _split("test", "qxx_proposal.yaml")[:2] == (0, "2 passed, 0 failed\n"), example


def test_the_scenarios_fail_when_the_layer_changes_what_they_state(made):
    # The scenarios check something: lowering the minimum makes 29,999 pass.
    with open(made / "qxx_proposal.rules", "a") as layer:
        layer.write('\nvary min_pcn_population = 25000\n  because "A rural ICB"\n')
    code, out, _ = _split("test", "qxx_proposal.yaml")
    assert code == 1 and "0 passed, 2 failed" in out  # the layer each comes from, and 29,999's outcome
    assert "des.pcn.minimum-population (pcn:U00002): expected outcome 'fail', got 'pass'" in out


def test_existing_files_are_never_replaced(made):
    (made / "qxx_proposal.yaml").write_text("mine\n")
    os.remove(made / "qxx_proposal.rules")
    code, out, err = _split("new", "layer", "--icb", "QXX", "--as-of", "2025-06-01")
    assert code == 2 and out == ""
    assert "qxx_proposal.yaml: error[E-WRITE-002]: qxx_proposal.yaml exists" in err
    assert (made / "qxx_proposal.yaml").read_text() == "mine\n"
    assert not (made / "qxx_proposal.rules").exists()  # nothing written, not half the scaffold
    assert sorted(p.name for p in made.iterdir()) == ["qxx_proposal.yaml"]  # no temporary file
    code, out, _ = _split("new", "layer", "--icb", "QXX", "--name", "qxx_2025", "--as-of", "2025-06-01")
    assert code == 0 and (made / "qxx_2025.rules").exists() and (made / "qxx_2025.yaml").exists()
    assert "local: qxx_2025.rules" in (made / "qxx_2025.yaml").read_text()


@pytest.mark.parametrize("args, message", [
    (["--icb", "1QX"], "`1QX` is not an ICB code"),
    (["--icb", "QXX", "--name", "my-layer"], "`my-layer` is not a layer name"),
    (["--icb", "QXX", "--extends", "network_dess"], "`network_dess` is not a national contract"),
    (["--icb", "QXX", "--as-of", "2030-01-01"], "no national contract is in force on 2030-01-01")])
def test_bad_options_are_usage_errors(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _split("new", "layer", *args)
    assert code == 2 and message in err and not list(tmp_path.iterdir())


@pytest.mark.parametrize("day, year", [(dt.date(2025, 3, 31), (dt.date(2024, 4, 1), dt.date(2025, 3, 31))),
                                       (dt.date(2025, 4, 1), (dt.date(2025, 4, 1), dt.date(2026, 3, 31)))])
def test_the_contract_year_turns_on_the_first_of_april(day, year):
    assert contract_year(day) == year
    assert f"effective {year[0]} to {year[1]}" in layer_scaffold("QXX", as_of=day).files[0].text
