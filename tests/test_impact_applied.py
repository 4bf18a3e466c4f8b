"""`impact` says how many arrangements the proposed layer applied to, and
warns when it applied to none (issue 18, item 11): a layer for an ICB with
no arrangement in the population changed nothing, and said nothing. The
command line in this process; text, JSON and HTML of the same run agree."""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, run_in_process

POPULATION = ROOT / "examples" / "population-qmm.jsonl"
LOCAL = ROOT / "contracts" / "local"


def run(*args):
    """The command line, in this process (conftest.run_in_process)."""
    return run_in_process(*args)


def _runs(layer):
    base = ("impact", "--population", POPULATION, "--variation", LOCAL / layer)
    return {fmt: run(*base, "--format", fmt) for fmt in ("text", "json", "html")}


@pytest.mark.slow
def test_a_layer_for_an_icb_with_no_arrangement_is_warned_in_every_format():
    runs = _runs("qhm.rules")  # QHM: the population is all QMM
    arrangements = sum(1 for line in POPULATION.read_text().splitlines() if line.strip())
    for fmt, done in runs.items():
        assert done.returncode == 0, (fmt, done.stderr)
        assert "warning: the proposed layer `qhm` is for ICB QHM; no arrangement of" in done.stderr
    summary = json.loads(runs["json"].stdout.splitlines()[-1])["summary"]
    assert (summary["applied_to"], summary["arrangements"], summary["changed"]) == (0, arrangements, 0)
    assert "warning: qhm is for ICB QHM and no arrangement of the population is in QHM: it\n  applied to none" \
        in runs["text"].stdout
    html = runs["html"].stdout
    assert 'id="applied-none"' in html and 'data-count="applied_to" class="fail">0<' in html


@pytest.mark.slow
def test_the_summary_says_how_many_arrangements_the_layer_applied_to():
    runs = _runs("qmm.rules")
    summary = json.loads(runs["json"].stdout.splitlines()[-1])["summary"]
    applied = summary["applied_to"]
    assert applied == summary["arrangements"] == summary["layers_after"]["national + qmm"] > 0
    assert re.search(rf"qmm applied to {applied} arrangements of {summary['arrangements']} \(those in ICB QMM\)",
                     " ".join(runs["text"].stdout.split()))
    assert f'data-count="applied_to">{applied}<' in runs["html"].stdout
    assert "applied to none" not in runs["text"].stdout + runs["text"].stderr + runs["html"].stdout


def test_the_api_summary_counts_the_arrangements_the_layer_applied_to():
    import rules_engine
    line = {"as_of": "2025-06-01", "icb": "QMM", "pcn": {"code": "U1", "raw_list_size": 27000}}
    other = {**line, "icb": "QXX", "pcn": {"code": "U2", "raw_list_size": 27000}}
    report = rules_engine.impact([line, other], LOCAL / "qmm.rules")
    assert (report.summary.applied, report.summary.arrangements) == (1, 2)
    assert report.to_dict()["summary"]["applied_to"] == 1
