"""impact's text (reports/impact_report.py) and the summary it is made from:
the baseline stated, the risk first (newly failing results grouped by
requirement, the subjects named, the rest counted), unchanged values hidden
unless --all; the same data in the JSON and HTML. Golden files at 80 columns."""

import json

import pytest
from click.testing import CliRunner

from rules_engine.cli import cli, main
from rules_engine.run.impact import transition_words

from conftest import GOLDEN, check_golden

QMM = ["impact", "--population", "examples/population-qmm.jsonl", "--variation", "contracts/local/qmm.rules"]
QSL = ["impact", "--population", "examples/population-qsl.jsonl",
       "--variation", "contracts/local/qsl-diabetes-outcomes.rules"]


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _split(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name, args", [("qmm", QMM), ("qsl-diabetes-outcomes", QSL)])
def test_impact_text_golden(name, args, in_root, capsys, update_golden):
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0
    assert max(map(len, captured.out.splitlines())) <= 80
    check_golden(GOLDEN / "impact" / f"{name}.expected",
                 f"exit {code}\n--- stdout\n{captured.out}--- stderr\n{captured.err}", update_golden)


def test_the_risk_comes_first_naming_the_pcns(in_root):
    code, out, _ = _split(*QMM)
    assert code == 0
    lines = out.splitlines()
    assert lines[2] == "before: national; after: national + qmm"
    assert lines[3] == "22 arrangements checked, 22 changed"
    assert lines[4] == "qmm applied to 22 arrangements of 22 (those in ICB QMM)"
    assert lines[6] == "22 PCNs would newly fail des.ea.capacity (pass -> fail)"
    flat = " ".join(out.split())
    # the first five named, the other seventeen counted
    assert ("U21001 (Marshgate and Brookworth PCN), U21002 (North Walhurst PCN), U21003 (Bramwick Health "
            "Network), U21004 (Ferngate and Stanfield PCN), U21005 (Coldcombe PCN), and 17 more") in flat
    assert "why, e.g. pcn:U21001: pcn.enhanced_access.minutes_per_week 1,923 minutes < " \
           "required_ea_minutes 2,119 minutes; needs 196 more minutes" in flat
    # the good news after the risk
    assert out.index("would newly fail") < out.index("1 PCN would newly pass des.pcn.minimum-population")
    # unchanged values hidden; the changed one shown
    assert "des.ea.required-minutes: 66,488 minutes -> 77,569 minutes (+11,081 minutes)" in flat
    assert "pay.global-sum" not in out and "31 values unchanged (--all lists them)" in flat
    assert "Changed arrangements (the first 10 of 22;" in flat and "U21011" not in out.split("Changed")[1]


def test_all_lists_every_subject_value_and_arrangement(in_root):
    _, out, _ = _split(*QMM, "--all")
    flat = " ".join(out.split())
    assert "U21020 (" in flat.split("would newly fail")[1].split("why")[0]  # the first 20 named
    assert ", and 2 more" in flat  # 22 PCNs, 20 named in the summary
    assert "pay.global-sum: £84,854,749.24 -> £84,854,749.24 (+£0.00) in 0 arrangements" in flat
    assert "pay.gms-equivalent-global-sum: £135,683,679.11 -> £135,683,679.11 (+£0.00) in" in flat
    assert "U21022 (" in out.split("Changed arrangements:")[1]


def test_a_renamed_copy_states_its_baseline_and_changes_nothing(in_root, tmp_path):
    copy = tmp_path / "qmm-next.rules"
    copy.write_text((in_root / "contracts/local/qmm.rules").read_text().replace(
        "local layer qmm ", "local layer qmm_next ", 1))
    code, out, err = _split("impact", "--population", "examples/population-qmm.jsonl", "--variation", str(copy))
    flat = " ".join(out.split())
    assert code == 0
    assert "before: national + qmm; after: national + qmm_next" in flat
    assert "22 arrangements checked, 0 changed" in flat and "would newly" not in flat


def test_the_json_summary_carries_the_baseline_and_the_ranked_changes(in_root):
    code, out, _ = _split(*QMM, "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    first, summary = lines[0], lines[-1]["summary"]
    assert first["name"] == "Marshgate and Brookworth PCN"
    assert {"id": "des.ea.capacity", "subject": "pcn:U21001", "before": "pass", "after": "fail"}.items() <= \
        next(c for c in first["changes"] if c["id"] == "des.ea.capacity").items()
    assert (summary["layer"], summary["icb"]) == ("qmm", "QMM")
    assert summary["layers_before"] == {"national": 22} and summary["layers_after"] == {"national + qmm": 22}
    worst, better = summary["outcome_changes"]
    assert (worst["id"], worst["transition"], worst["words"], worst["count"]) == (
        "des.ea.capacity", "pass -> fail", "would newly fail", 22)
    assert len(worst["subjects"]) == 20  # named; the count says how many in all
    assert worst["subjects"][0] == {"subject": "pcn:U21001", "arrangement": "U21001",
                                    "name": "Marshgate and Brookworth PCN"}
    assert (better["id"], better["transition"], better["count"]) == ("des.pcn.minimum-population",
                                                                     "fail -> pass", 1)
    assert summary["transitions"]["des.ea.capacity"] == {"pass -> fail": 22}  # the counts as before


def test_the_html_page_leads_with_the_same_risk(in_root):
    code, page, _ = _split(*QMM, "--format", "html")
    assert code == 0
    assert "Before: national; after: national + qmm." in page
    risk = page.index("22 PCNs would newly fail des.ea.capacity (pass -&gt; fail)")
    assert risk < page.index("1 PCN would newly pass des.pcn.minimum-population")
    assert "Marshgate and Brookworth PCN" in page and ", and 2 more" in page
    assert 'data-id="pay.global-sum"' not in page.split('id="values-table"')[1]  # unchanged: hidden
    _, everything, _ = _split(*QMM, "--format", "html", "--all")
    assert 'data-id="pay.global-sum"' in everything.split('id="values-table"')[1]


@pytest.mark.parametrize("before, after, rank, words", [
    ("pass", "fail", 0, "would newly fail"), ("absent", "fail", 0, "would newly fail"),
    ("not_applicable", "fail", 0, "would newly fail"), ("pass", "unknown", 1, "would become unknown"),
    ("fail", "pass", 2, "would newly pass"), ("unknown", "pass", 2, "would newly pass"),
    ("fail", "not_applicable", 3, "would no longer apply (was fail)"),
    ("pass", "absent", 4, "would no longer apply (was pass)"),
    ("not_applicable", "pass", 4, "would newly apply and pass")])
def test_transition_words(before, after, rank, words):
    assert transition_words(before, after) == (rank, words)


def test_impact_output_file_and_quiet(in_root, tmp_path):
    target = tmp_path / "impact.jsonl"
    target.write_text("old")
    code, out, _ = _split(*QMM, "--format", "json", "-o", str(target))
    assert (code, out) == (0, "")
    lines = target.read_text().splitlines()
    assert len(lines) == 23 and json.loads(lines[-1])["summary"]["changed"] == 22
    assert [p.name for p in tmp_path.iterdir()] == ["impact.jsonl"]  # no temporary file left
    assert _split(*QMM, "--quiet")[:2] == (0, "")
    # invalid input: the file stays as it was
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    code, out, err = _split("impact", "--population", str(bad), "--variation", "contracts/local/qmm.rules",
                            "-o", str(target))
    assert code == 2 and out == "" and "E-INPUT-006" in err
    assert len(target.read_text().splitlines()) == 23


def test_the_html_title_agrees_in_number(in_root, tmp_path):
    """`1 of 1 arrangement changed`, not `1 of 1 arrangements change`."""
    lines = (in_root / "examples/population-qmm.jsonl").read_text().splitlines()
    code, page, _ = _split(*QMM, "--format", "html")
    assert "<title>Impact of a proposed variation: " in page
    import re
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert re.search(r": \d+ of \d+ arrangements changed", title), title
    one = tmp_path / "one.jsonl"
    for line in lines:
        one.write_text(line + "\n")
        code, page, _ = _split("impact", "--population", str(one), "--variation",
                               "contracts/local/qmm.rules", "--format", "html")
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        if "1 of 1" in title:
            assert title.endswith("1 of 1 arrangement changed"), title
            assert "The variation changes 1 of 1 arrangement." in page
            break
    else:
        pytest.fail("no arrangement of the QMM population changes alone")
