"""A proposed `--local` layer never silently replaces another (issue 18,
item 7): the command line, in this process. Two `--local` layers for one ICB on shared days are
E-LAYER-015, as the library says of two shipped ones; two for different ICBs
are a usage error; a proposed layer of another name that overlaps a shipped
layer of its ICB is said, with both layers and the days."""

from __future__ import annotations

import json

from conftest import ROOT, run_in_process

QMM = ROOT / "contracts" / "local" / "qmm.rules"
QHM = ROOT / "contracts" / "local" / "qhm.rules"
RURAL = ROOT / "examples" / "pcn-rural-qmm.yaml"


def run(*args):
    """The command line, in this process (conftest.run_in_process)."""
    return run_in_process(*args)


def _renamed(tmp_path, name: str = "qmm_two", period: str | None = None):
    text = QMM.read_text(encoding="utf-8")
    assert "local layer qmm " in text
    text = text.replace("local layer qmm ", f"local layer {name} ", 1)
    if period is not None:
        text = text.replace("effective 2025-04-01 to 2026-03-31", f"effective {period}", 1)
    path = tmp_path / f"{name}.rules"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_local_layers_for_one_icb_on_shared_days_are_e_layer_015(tmp_path):
    second = _renamed(tmp_path)
    for order in ((QMM, second), (second, QMM)):
        done = run("check", RURAL, "--local", order[0], "--local", order[1], "--format", "json")
        assert done.returncode == 2 and done.stdout == ""
        assert "error[E-LAYER-015]" in done.stderr
        assert "`qmm_two`" in done.stderr and "`qmm`" in done.stderr
        assert "in force from 2025-04-01 to 2026-03-31" in done.stderr


def test_two_local_layers_for_different_icbs_are_a_usage_error():
    done = run("check", RURAL, "--local", QMM, "--local", QHM)
    assert done.returncode == 2 and done.stdout == ""
    assert "give one proposed layer" in done.stderr and "ICB QMM" in done.stderr and "ICB QHM" in done.stderr


def test_one_local_layer_given_once_is_unchanged():
    done = run("check", RURAL, "--local", QMM, "--format", "json")
    assert done.returncode in (0, 1) and "stands in for" not in done.stderr
    assert "qmm" in json.loads(done.stdout)["arrangements"][0]["layers"]


def test_a_proposed_layer_of_another_name_says_which_shipped_layer_it_replaces_and_when(tmp_path):
    second = _renamed(tmp_path)
    done = run("check", RURAL, "--local", second, "--format", "json")
    assert done.returncode in (0, 1)
    assert (f"warning: the proposed layer `qmm_two` ({second}) stands in for the shipped layer `qmm` "
            f"(contracts/local/qmm.rules) of ICB QMM from 2025-04-01 to 2026-03-31") in done.stderr.replace("\n", " ")
    layers = json.loads(done.stdout)["arrangements"][0]["layers"]
    assert "qmm_two" in layers and "qmm" not in layers
    population = run("check", "--population", ROOT / "examples" / "population-qmm.jsonl", "--local", second,
                     "--format", "json")
    assert "stands in for the shipped layer `qmm`" in population.stderr


def test_a_proposed_layer_on_days_the_shipped_one_is_not_in_force_says_nothing(tmp_path):
    """Only shared days are replaced: a layer for a later year overlaps nothing shipped for it."""
    later = _renamed(tmp_path, "qmm_earlier", "2019-04-01 to 2020-03-31")
    done = run("check", RURAL, "--local", later, "--as-of", "2019-06-01", "--format", "json")
    assert "stands in for" not in done.stderr, done.stderr
