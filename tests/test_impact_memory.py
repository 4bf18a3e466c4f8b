"""impact streams a population in bounded memory (issue 18, item 13).

The per-subject changes are written as they are found and the summary is
folded as it goes: a value's amounts over every subject (for a median) and
the changed arrangements (for the text and HTML pages) stay in memory only up
to `spill.KEEP` items, the rest on disk; a pool reads at most a few chunks
ahead. The slow test runs the command line in a subprocess on a population
and on one four times as long, and compares their peak memory."""

import statistics
import subprocess
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from rules_engine.base import spill
from rules_engine.base.numbers import value_json
from rules_engine.base.spill import Amounts, Spill
from rules_engine.run.impact import ArrangementImpact, Change, ImpactSummary, Stated
from rules_engine.reports.impact_report import render as render_impact_text
from tools.population import generate, write_jsonl

from conftest import examples

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "contracts" / "local" / "qmm.rules"


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.decimals(min_value=-1000, max_value=1000, places=3), min_size=1, max_size=60),
       st.integers(min_value=1, max_value=7), st.integers(min_value=1, max_value=9))
def test_amounts_on_disk_give_the_exact_median(values, keep, run):
    saved = spill.SORT_RUN
    spill.SORT_RUN = run  # many sorted runs, merged
    try:
        amounts = Amounts(keep=keep)
        amounts.extend(values)
        assert list(amounts) == values
        assert sorted(values) == list(amounts.in_order())
        assert amounts.median() == statistics.median(values)
        assert (amounts.minimum, amounts.maximum, len(amounts)) == (min(values), max(values), len(values))
        assert amounts[1:3] == values[1:3]
    finally:
        spill.SORT_RUN = saved


def test_changed_arrangements_read_back_from_disk_whole():
    """Every field the reports show survives the spill: text --all is the same."""
    assumed = (Stated("qof_national_average_list_size", "10349", "--assume"),)
    items = [ArrangementImpact(f"U{n}", n + 1, (
        Change("des.ea.capacity", f"pcn:U{n}", "pass", "fail", "outcome", None, "needs 5 more minutes",
               title="Enhanced access capacity", name="Brook \u202e PCN"),
        Change("pay.core-pcn", f"pcn:U{n}", "10.50", None, "value", unit="GBP", present=(True, False),
               assumed=assumed)), name="Brook \u202e PCN") for n in range(7)]
    spilled = Spill(ArrangementImpact.encode, ArrangementImpact.decode, keep=2)
    for item in items:
        spilled.append(item)
    assert list(spilled) == items and list(spilled) == items  # read twice
    summary = {"arrangements": 7, "changed": 7, "bad_lines": 0, "values": {}, "outcome_changes": []}
    assert render_impact_text(summary, spilled, show_all=True) == render_impact_text(summary, items, show_all=True)
    assert render_impact_text(summary, spilled) == render_impact_text(summary, items)


def _peak_mb(*args) -> float:
    """The peak resident memory of a command line run, in its own process."""
    probe = ("import resource, subprocess, sys;"
             "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode;"
             "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "rules_engine", *args],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    assert out[0] == "0", args
    return int(out[1]) / 1024


def _summary_peak(arrangements: int) -> int:
    """tracemalloc's peak while `arrangements` assessments of 5 subjects and 12
    values (shares: summarised by their median) are folded into a summary."""
    def contributions(number: int) -> tuple:
        return tuple((f"qof.achievement.{n}", "fraction", tuple(Decimal(f"0.{number}{n}{k}") for k in range(5)),
                      tuple(Decimal(f"0.{number}{n}{k}5") for k in range(5)), 0, 0, 5, 5) for n in range(12))
    summary = ImpactSummary()
    tracemalloc.start()
    try:
        for number in range(arrangements):
            summary.add(f"U{number}", (), contributions(number), ("national", "national + qmm"))
        data = summary.as_json()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        shares = [Decimal(f"0.{number}3{k}5") for number in range(arrangements) for k in range(5)]
        assert data["values"]["qof.achievement.3"]["distribution_after"]["median"] == \
            value_json(statistics.median(shares))


@pytest.mark.parametrize("small_count, large_count", [
    pytest.param(300, 1200, id="300-1200"),  # 1,500 and 6,000 shares a value: past KEEP, three sorted runs
    pytest.param(1000, 4000, id="1000-4000", marks=pytest.mark.slow)])
def test_the_summary_is_folded_in_bounded_memory(monkeypatch, small_count, large_count):
    monkeypatch.setattr(spill, "SORT_RUN", 2000)  # the median's sorted runs, bounded too
    small, large = _summary_peak(small_count), _summary_peak(large_count)
    # Before: every subject's amount kept for the median, 120 Decimals an
    # arrangement (about 40 MB more at 4,000, 12 MB at 1,200). Now at most
    # `spill.KEEP` of each value in memory, the rest on disk.
    assert large - small < 1_000_000, (small, large)


def _payment_peak(arrangements: int) -> tuple[int, dict]:
    """tracemalloc's peak while `arrangements` assessments, each changing a
    payment by a different amount, are folded and the summary made."""
    summary = ImpactSummary()
    tracemalloc.start()
    try:
        for number in range(arrangements):
            summary.add(f"U{number}", (), (("pay.x", "GBP", Decimal(1000), Decimal(1000 + number % 997) + Decimal("0.01"),
                                            0, 0, 1, 1),), ("national", "national + qmm"))
        data = summary.as_json()
        return tracemalloc.get_traced_memory()[1], data["values"]["pay.x"]
    finally:
        tracemalloc.stop()


def test_payment_changes_are_counted_into_bins_not_listed(monkeypatch):
    """The HTML histogram of a payment's changes per arrangement is counted
    from the folded amounts (on disk past `spill.KEEP`); the summary holds the
    bins, never one entry per changed arrangement."""
    monkeypatch.setattr(spill, "SORT_RUN", 2000)
    (small, _), (large, data) = _payment_peak(2000), _payment_peak(8000)
    assert "changes" not in data
    assert sum(b["count"] for b in data["histogram"]) == data["arrangements_changed"] == 8000
    assert len(data["histogram"]) <= spill.MAX_BINS
    edges = [(Decimal(b["from"]), Decimal(b["to"])) for b in data["histogram"]]
    assert edges[0][0] <= Decimal("0.01") and edges[-1][1] >= Decimal("996.01")
    assert all(hi == lo2 for (_, hi), (lo2, _) in zip(edges, edges[1:]))  # contiguous
    # Before: a string per changed arrangement (some 100 bytes each: 600 KB more at 8,000).
    assert large - small < 200_000, (small, large)


def test_bins_at_their_boundaries():
    from rules_engine.base.spill import bins
    same = bins([Decimal(5)] * 4, Decimal(5), Decimal(5), 4)
    assert same == [(Decimal(5), Decimal(5), 4)]
    counted = bins([Decimal(0), Decimal(10), Decimal(20)], Decimal(0), Decimal(20), 3)
    # 10 sits on an edge: counted in the bin it starts; the top edge in the last bin
    assert sum(n for _, _, n in counted) == 3
    assert [n for lo, hi, n in counted if lo <= 10 < hi] == [1]


def test_a_compiled_program_lets_its_tree_go():
    """A worker holds one program per local layer it meets; each keeps its code
    objects, not the generated `ast` tree (10.6 MB a program before, for the
    national library and one ICB layer)."""
    import datetime as dt
    import gc
    from rules_engine.backends.generated import GENERATED
    from rules_engine.run.engine import Engine
    engine = Engine.load(None)
    # generated code from the first arrangement (a program a worker keeps once
    # it has checked TIER_UP arrangements through the closures)
    engine.backend = GENERATED
    day = dt.date(2025, 6, 1)
    engine.program(day, "QGH")  # the national program first: shared state is loaded
    gc.collect()
    tracemalloc.start()
    try:
        runner = engine.program(day, "QMM")[0]
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept < 3_000_000, kept
    assert runner.builder.module.functions == []
    assert any(f.name == "decisions" for f in runner.tree.body)  # built again on demand


@pytest.mark.slow
def test_impact_memory_does_not_grow_with_the_population(tmp_path, monkeypatch):
    """The command line, in a subprocess, with a pool of two and the HTML page
    (which reads every changed arrangement back). The backend is chosen, so
    that both runs compile the same programs the same way: unchosen, a local
    layer's program compiles to generated code after 80 of its arrangements
    (`backends.choice.TIER_UP_MINORITY`), which the longer file reaches and
    the shorter does not, and each such compile raises the high-water mark
    once (5-12 MB here; 2.0 x against 5.0 x England +10 MB, 5.0 x against
    10.0 x none, measured 2026-12-07): growth with the number of programs,
    not with the lines."""
    monkeypatch.setenv("CONTRACT_RULES_BACKEND", "generated")
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small_count = write_jsonl(small, generate(scale=0.5, seed=7))
    large_count = write_jsonl(large, generate(scale=2.0, seed=7))
    assert large_count >= 3.9 * small_count
    peaks = [_peak_mb("impact", "--population", str(path), "--variation", str(LOCAL), "--format", "html",
                      "--jobs", "2") for path in (small, large)]
    # Before the fix each line held some 15 KB (every subject's share and
    # points, kept for a median): about 28 MB more here. Then each worker
    # kept every program's generated `ast` tree (10 MB a local layer), and
    # the longer file let each worker meet more ICBs' layers: 166 MB against
    # 188. Now the summary is folded as it goes, a program keeps only its
    # code, and the growth is noise (74 MB at both sizes).
    assert peaks[1] - peaks[0] < 8, f"peak {peaks[0]:.0f} MB at {small_count} lines, {peaks[1]:.0f} MB at {large_count}"
