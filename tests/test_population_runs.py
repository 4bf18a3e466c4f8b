"""population_run.py, impact.py, variations.py: population runs and ICB workflow."""

import base64
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from rules_engine.cli import main
from rules_engine.run.impact import ImpactSummary, impact
from rules_engine.run.engine import Engine
from rules_engine.reports.impact_report import render as render_impact_text
from rules_engine.queries.variations import vary_check
from rules_engine.reports.json_lines import full_records
from rules_engine.reports.json_report import dumps

from conftest import GOLDEN

FIXTURE = str(GOLDEN / "fixture")
EXAMPLES = GOLDEN.parent.parent / "examples"


def arrangement(code, size, minutes=2000, icb="QMM", **extra):
    pcn = {"code": code, "raw_list_size": size, "adjusted_population": size,
           "population_exception": "none", "clinical_director_appointed": True,
           "enhanced_access": {"minutes_per_week": minutes, "weekday_evenings": True, "saturdays": True}}
    pcn.update(extra)
    return {"as_of": "2025-06-01", "icb": icb, "pcn": pcn}


@pytest.fixture
def population(tmp_path):
    rows = [arrangement("U1", 27000), arrangement("U5", 31000, minutes=1000),
            arrangement("U3", 22000), arrangement("U4", 26000, icb="QAB")]
    path = tmp_path / "population.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines.insert(2, '{"as_of": "2025-06-01", "pcn": {"code": "BAD", "sise": 3}}')
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_population_check_streams_json_lines_and_counts_bad_lines(population, capsys):
    code, out, err = run(capsys, "check", "--rules", FIXTURE, "--population", str(population),
                         "--format", "json")
    lines = [json.loads(l) for l in out.splitlines()]
    assert [l["id"] for l in lines[:-1] if "terms" not in l] == ["U1", "U5", "U3", "U4"]
    summary = lines[-1]["summary"]
    assert summary["arrangements"] == 4 and summary["bad_lines"] == 1
    assert f"{population}:3:48: error[E-FACT-001]" in err and "pcn.sise" in err
    assert code == 1


@pytest.mark.parametrize("rules, path", [(FIXTURE, None), (None, EXAMPLES / "population-qmm.jsonl")])
def test_a_lean_run_reads_back_into_the_full_lines(population, capsys, rules, path):
    """The default (lean) line, read back with its terms, is the full line."""
    path = path or population
    rules = ["--rules", rules] if rules else []
    _, lean, _ = run(capsys, "check", *rules, "--population", str(path), "--format", "json")
    _, full, _ = run(capsys, "check", *rules, "--population", str(path), "--format", "json", "--line", "full")
    assert lean != full
    assert [dumps(r, compact=True) for r in full_records(lean.splitlines())] == full.splitlines()
    lines = [json.loads(l) for l in lean.splitlines()]
    seen: set[str] = set()
    for line in lines:  # each term written once, before the first line that refers to it
        if "terms" in line:
            assert not seen & set(line["terms"])
            seen |= set(line["terms"])
        elif "subjects" in line:
            assert {entry[0] for entry in line["results"] + line["values"]} <= seen
            assert {entry[1] for entry in line["results"] + line["values"]} == set(range(len(line["subjects"])))
    if rules == []:  # the shipped library: each arrangement's line is a small share of the full one
        sizes = zip([len(l) for l in lean.splitlines() if '"subjects"' in l],
                    [len(l) for l in full.splitlines() if l.startswith('{"id"')])
        assert all(small * 5 < big for small, big in sizes)


def test_a_lean_line_spells_each_amount_as_the_full_line_does_however_often_it_recurs():
    """The lean encoder keeps the amounts it has spelt, per type and unit: an
    amount met again (or an equal one spelt otherwise, 0.50 after 0.5) is
    spelt as `shown_json` spells it, and -0 and 0, equal amounts that money
    spells apart, each as itself whichever comes first."""
    from rules_engine.base import typesys as t
    from rules_engine.base.numbers import shown_json
    from rules_engine.reports.json_lines import _encode, _shower
    amounts = ["0", "-0", "0.00", "-0.00", "0.5", "0.50", "12.345", "12.3450", "1E+2", "100", "-3.10",
               "0.14285714285714285714", "1331550", "1331550.001", "2.675", "1E+20"]
    for unit, type_ in [("GBP", t.Quantity(t.GBP)), ("points", t.Quantity(t.Unit((("points", 1),)))),
                        ("fraction", t.Quantity(t.Unit(()), fraction=True))]:
        for order in (amounts, amounts[::-1]):
            show = _shower(type_, unit)
            for _ in range(2):
                for text in order:
                    value = Decimal(text)
                    shown, unrounded = shown_json(value, type_, unit)
                    assert show(value) == (_encode(shown), unrounded), (unit, text)
    assert _shower(t.Quantity(t.GBP), "GBP")(Decimal("-0")) == ('"-0.00"', False)



def test_the_lean_line_is_the_same_whether_a_record_carries_its_shape_or_not(in_root):
    """The lean encoder keys a record's term on the shape the evaluation loop
    made it from (`_shape`) when it has one, and on its fields otherwise (a
    record made by the class): both give the same lines and terms, on the
    QMM population (a local layer's varied terms, unknown values, waived and
    not-applicable results), in either order."""
    import attrs
    from rules_engine.reports.json_lines import LeanEncoder
    engine = Engine.load()
    made = [r for r in engine.population(EXAMPLES / "population-qmm.jsonl") if not isinstance(r, Exception)]
    rebuilt = [attrs.evolve(a, results=tuple(attrs.evolve(r) for r in a.results),
                            values=tuple(attrs.evolve(v) for v in a.values)) for a in made]
    assert all(r._shape is not None for a in made for r in a.results + a.values)
    assert all(r._shape is None for a in rebuilt for r in a.results + a.values)
    reasons = {r.reason for a in made for r in a.results}
    assert len(reasons) > 2 and any(v.flexibility != "locked" for a in made for v in a.values)
    by_shape, by_fields = LeanEncoder(), LeanEncoder()
    assert [by_shape.line(a) for a in made] == [by_fields.line(a) for a in rebuilt]  # lines and new terms
    for first, second in ((made, rebuilt), (rebuilt, made)):
        encoder = LeanEncoder()
        lines = [encoder.line(a) for a in first + second]
        assert [text for text, _ in lines[len(first):]] == [text for text, _ in lines[:len(first)]]
        assert all(not new for _, new in lines[len(first):])  # the same terms: none new the second time

def test_a_terms_reference_is_a_digest_of_its_text(capsys):
    _, lean, _ = run(capsys, "check", "--population", str(EXAMPLES / "population-qmm.jsonl"), "--format", "json")
    for line in lean.splitlines():
        if line.startswith('{"terms"'):
            for reference, term in json.loads(line)["terms"].items():
                text = json.dumps(term, ensure_ascii=False, separators=(",", ":"))
                digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()[:6]).decode()
                assert reference == digest


def test_strict_makes_a_bad_line_fatal(population, capsys):
    code, _, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(population), "--strict")
    assert code == 2


def test_jobs_give_the_same_output_in_the_same_order(population, capsys):
    _, one, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(population), "--format", "json")
    _, two, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(population), "--format", "json",
                    "--jobs", "2")
    assert one == two


def test_the_parent_compiles_the_program_of_most_of_the_first_chunk_and_checks_no_line(tmp_path, capsys,
                                                                                         monkeypatch):
    """--jobs N: the first chunk is TIER_UP + 1 lines, the rest CHUNK_LINES
    each. Before the workers fork, the parent reads the first chunk's lines
    (checking none: every line is a worker's) and compiles, with the
    backend, the program most of them need (here the QMM layer's, 11 of
    17), which every worker inherits; after that a program compiles after
    TIER_UP_MINORITY arrangements, however many of those a process saw it
    had (a worker sees whole chunks: the program of most of its lines need
    not be the population's). Across those boundaries the output is the
    same for any --jobs."""
    import datetime as dt
    from rules_engine.backends import choice
    from rules_engine.backends.generated import GeneratedRunner
    from rules_engine.population_run import (CHUNK_LINES, EngineSpec, chunks, first_chunk, prepare_check,
                                             remember)
    monkeypatch.delenv(choice.ENVIRONMENT, raising=False)
    path = tmp_path / "many.jsonl"
    count = choice.TIER_UP + 1 + CHUNK_LINES + 7
    path.write_text("".join(json.dumps(arrangement(f"U{n}", 20000 + 100 * n, icb="QMM" if n % 3 else "QAB"))
                            + "\n" for n in range(count)))
    assert first_chunk(1) is None and first_chunk(2) == choice.TIER_UP + 1
    sizes = [len(c) for c in chunks(path, first=first_chunk(2))]
    assert sizes == [choice.TIER_UP + 1, CHUNK_LINES, 7]
    assert [len(c) for c in chunks(path)] == [CHUNK_LINES] * (count // CHUNK_LINES) + [count % CHUNK_LINES]
    engine, spec, day = Engine.load(FIXTURE), EngineSpec(Path(FIXTURE)), dt.date(2025, 6, 1)
    remember(spec, engine)
    prepare_check((spec, "many.jsonl", None, "json", "lean", next(chunks(path, first=first_chunk(2)))))
    assert len(engine._compiled) == 1 and not engine._uses  # one program compiled, and no line checked here
    assert isinstance(engine.program(day, "QMM")[0], GeneratedRunner)  # no closures first
    kinds = [type(engine.program(day, "QAB")[0]).__name__ for _ in range(choice.TIER_UP_MINORITY + 1)]
    # QAB's program has checked most of this process's arrangements since
    # its 17th (all but one), and still compiles only after TIER_UP_MINORITY
    assert kinds == ["ClosureRunner"] * choice.TIER_UP_MINORITY + ["GeneratedRunner"]
    # a chunk none of whose lines can be dated compiles nothing
    undated = Engine.load(FIXTURE)
    remember(spec, undated)
    bad = tmp_path / "undated.jsonl"
    bad.write_text(json.dumps({"icb": "QMM", "pcn": {"code": "U1"}}) + "\n" + "{not json\n")
    prepare_check((spec, "undated.jsonl", None, "json", "lean", next(chunks(bad))))
    assert undated.compiled == 0
    _, one, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(path), "--format", "json")
    _, two, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(path), "--format", "json",
                    "--jobs", "2")
    assert one == two and one.count('{"id"') == count


def test_impact_names_the_flips_and_the_changes(population, capsys):
    code, out, _ = run(capsys, "impact", "--rules", FIXTURE, "--population", str(population),
                       "--variation", str(GOLDEN / "fixture/local/rural.rules"), "--format", "json")
    lines = [json.loads(l) for l in out.splitlines()]
    changed = {l["id"]: l["changes"] for l in lines[:-1]}
    assert set(changed) == {"U1"}  # 27,000 passes at 25,000; 22,000 still fails; QAB untouched
    assert {"id": "des.pcn.minimum-population", "subject": "pcn:U1", "before": "fail",
            "after": "pass", "why_before": "pcn.raw_list_size 27,000 < min_pcn_population 30,000 "
            "(national); needs 3,000 more, or pcn.population_exception = rural_remote"} in changed["U1"]
    summary = lines[-1]["summary"]
    assert summary["transitions"] == {"des.pcn.minimum-population": {"fail -> pass": 1}}
    assert summary["arrangements"] == 4 and summary["bad_lines"] == 1


def test_impact_api_and_value_totals(population, tmp_path):
    proposal = tmp_path / "more.rules"
    proposal.write_text('local layer more "More minutes" for icb QMM extends des\n'
                        'vary ea_minutes_per_1000 = 90 minutes\n  because "demand"\n')
    baseline, proposed = Engine.load(FIXTURE), Engine.load(FIXTURE, proposal)
    summary = ImpactSummary()
    items = [i for i in impact(baseline, proposed, population, summary=summary)
             if not isinstance(i, Exception)]
    assert [i.id for i in items] == ["U1", "U5", "U3"]
    minutes = summary.as_json()["values"]["des.ea.required-minutes"]
    # 60 -> 90 minutes per 1,000: 27,000 + 31,000 + 22,000 = 80,000 -> 4,800 and 7,200 minutes
    assert (minutes["total_before"], minutes["total_after"]) == (4800 + 1560, 7200 + 1560)


def test_vary_check_verdicts(tmp_path):
    proposal = tmp_path / "mixed.rules"
    proposal.write_text('local layer mixed "Mixed" for icb QMM extends des\n'
                        'vary min_pcn_population = 25000\n  because "rural"\n'
                        'vary min_pcn_population_x = 1\n  because "typo"\n'
                        'waive des.pcn.clinical-director\n  because "none"\n'
                        'vary ea_minutes_per_1000 = 50 minutes\n  because "less"\n'
                        'waive des.ea.standard-hours\n')
    result = vary_check(proposal, FIXTURE, None)
    verdicts = [(v.kind, v.target, v.verdict) for v in result.verdicts]
    assert verdicts == [("vary", "min_pcn_population", "permitted"),
                        ("vary", "min_pcn_population_x", "unknown term"),
                        ("waive", "des.pcn.clinical-director", "not waivable"),
                        ("vary", "ea_minutes_per_1000", "out of bounds"),
                        ("waive", "des.ea.standard-hours", "reason missing")]
    first = result.verdicts[0]
    assert (first.national_value, first.flexibility, first.proposed) == (
        "30000", "flexible between 20000 and 30000", "25000")
    assert not result.permitted


def test_vary_check_command_exit_codes(capsys, in_root):
    code, out, _ = run(capsys, "vary-check", "--rules", FIXTURE, "tests/golden/fixture/local/rural.rules")
    assert code == 0 and "2 of 2 variations permitted" in out
    code, out, err = run(capsys, "vary-check", "--rules", FIXTURE,
                         "tests/golden/errors/layer-vary-out-of-bounds.rules", "--format", "json")
    assert code == 2
    assert json.loads(out)["variations"][0]["verdict"] == "out of bounds"


def test_impact_and_population_text_summaries(population, capsys):
    code, out, _ = run(capsys, "impact", "--rules", FIXTURE, "--population", str(population),
                       "--variation", str(GOLDEN / "fixture/local/rural.rules"))
    assert code == 0
    flat = " ".join(out.split())
    assert "before: national; after: national + rural" in flat
    assert "4 arrangements checked, 1 changed; 1 bad line skipped" in flat
    assert "1 PCN would newly pass des.pcn.minimum-population (fail -> pass)" in flat
    assert "U1, line 1:" in out and "des.pcn.minimum-population pcn:U1: fail -> pass" in out
    code, out, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(population))
    assert out.startswith("4 arrangements checked: ") and "1 bad line skipped" in out
    assert "des.pcn.minimum-population: " in out


def test_unknown_values_are_counted_not_added_as_nothing(tmp_path):
    rows = [arrangement("U1", 27000), arrangement("U2", 31000)]
    del rows[1]["pcn"]["adjusted_population"]  # its required minutes cannot be worked out
    path = tmp_path / "population.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    proposal = tmp_path / "more.rules"
    proposal.write_text('local layer more "More minutes" for icb QMM extends des\n'
                        'vary ea_minutes_per_1000 = 90 minutes\n  because "demand"\n')
    summary = ImpactSummary()
    list(impact(Engine.load(FIXTURE), Engine.load(FIXTURE, proposal), path, summary=summary))
    minutes = summary.as_json()["values"]["des.ea.required-minutes"]
    assert (minutes["total_before"], minutes["total_after"]) == (1620, 2430)  # U1 only
    assert (minutes["unknown_before"], minutes["unknown_after"]) == (1, 1)
    text = " ".join(render_impact_text(summary.as_json(), []).split())
    assert ("des.ea.required-minutes: 1,620 minutes (1 unknown, left out) -> 2,430 minutes "
            "(1 unknown, left out) (+810 minutes) in 1 arrangement") in text


def test_an_all_unknown_total_is_unknown_and_shares_are_not_added():
    """A total over values that are all unknown is unknown, never £0.00; points
    and shares per subject give their distribution, not a sum."""
    summary = ImpactSummary()
    # two arrangements: the payment unknown in both; a share per subject
    summary.add("A", [], (("pay.x", "GBP", Decimal(0), Decimal(0), 1, 1, 0, 0),
                          ("qof.share", "fraction", (Decimal("0.25"),), (Decimal("0.5"),), 0, 0, 1, 1)))
    summary.add("B", [], (("pay.x", "GBP", Decimal(0), Decimal(0), 2, 2, 0, 0),
                          ("qof.share", "fraction", (Decimal("0.75"), Decimal("1")),
                           (Decimal("0.75"), Decimal("1")), 1, 0, 2, 2)))
    values = summary.as_json()["values"]
    assert values["pay.x"]["total_before"] is None and values["pay.x"]["total_after"] is None
    assert values["pay.x"]["unknown_before"] == 3
    share = values["qof.share"]
    assert share["summary"] == "distribution" and "total_before" not in share
    assert share["distribution_before"] == {"min": 0.25, "median": 0.75, "max": 1, "subjects": 3}
    assert share["distribution_after"]["median"] == 0.75
    text = " ".join(render_impact_text(summary.as_json(), [], show_all=True).split())
    assert "pay.x: unknown (all 3 unknown) -> unknown (all 3 unknown) (change unknown)" in text
    assert "£0.00" not in text
    hidden = " ".join(render_impact_text(summary.as_json(), []).split())
    assert "pay.x" not in hidden and "1 value unchanged (--all lists them)" in hidden
    assert "qof.share: per subject min 25%, median 75%, max 100% (1 unknown, left out) -> min 50%" in text


def test_population_check_summary_counts_unknown_results(tmp_path, capsys):
    rows = [arrangement("U1", 31000), arrangement("U2", 31000)]
    del rows[1]["pcn"]["clinical_director_appointed"]
    path = tmp_path / "population.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _, out, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(path), "--format", "json")
    summary = json.loads(out.splitlines()[-1])["summary"]
    assert summary["unknown_requirements"] == {"des.pcn.clinical-director": 1}
    assert summary["outcomes"]["unknown"] == 1
    _, out, _ = run(capsys, "check", "--rules", FIXTURE, "--population", str(path))
    assert "  des.pcn.clinical-director: 1 unknown" in out.splitlines()


@pytest.mark.parametrize("command", ["check", "impact"])
@pytest.mark.parametrize("content, says", [
    ("not json\n{\"as_of\": \"2025-06-01\", \"pcn\": {\"code\": \"BAD\", \"sise\": 3}}\n",
     "could be read: all 2 lines are bad"),
    ("\n\n", "holds no arrangement: it is empty or only blank lines"),
    ("", "holds no arrangement"),
])
def test_a_population_with_nothing_to_check_is_invalid_input(tmp_path, capsys, command, content, says):
    # Before: "0 arrangements checked" and exit 0, as if everything had passed.
    path = tmp_path / "population.jsonl"
    path.write_text(content)
    extra = ["--variation", "contracts/local/qmm.rules"] if command == "impact" else []
    code, out, err = run(capsys, command, "--population", str(path), *extra)
    assert code == 2
    assert "0 arrangements checked" in out  # the summary is still written
    assert f"{path}: error[E-INPUT-006]: " in err and says in err


def test_one_good_line_among_bad_ones_is_a_run(tmp_path, capsys):
    path = tmp_path / "population.jsonl"
    path.write_text("not json\n" + json.dumps(arrangement("U1", 31000)) + "\n")
    code, out, err = run(capsys, "check", "--rules", FIXTURE, "--population", str(path))
    assert code == 0 and "1 arrangement checked: 1 pass" in out and "E-INPUT-006" not in err


def test_a_population_run_collects_the_young_less_often_and_puts_the_collector_back():
    import gc
    from rules_engine.population_run import YOUNG, fewer_collections
    was = gc.get_threshold()
    try:
        for young in (700, 50_000, 0):
            gc.set_threshold(young, *was[1:])
            with fewer_collections():
                assert gc.get_threshold()[0] == (max(YOUNG, young) if young else 0)  # 0 (off) stays off
            assert gc.get_threshold() == (young, *was[1:])
    finally:
        gc.set_threshold(*was)


def test_checking_a_line_leaves_no_cyclic_garbage(engine):
    """Each line's facts, instances and results are freed as the line ends,
    not left to the collector (a closure that called itself once kept them:
    `population_run.fewer_collections` collects seldom on that ground)."""
    import gc
    from rules_engine.io.documents import population_lines
    from rules_engine.population_run import EngineSpec, check_chunk, impact_chunk, remember
    from conftest import ROOT
    lines = list(population_lines(ROOT / "examples" / "population-nhs-2022-23.jsonl"))[:40]
    spec = EngineSpec()
    proposed = EngineSpec(local=ROOT / "contracts" / "local" / "qmm.rules")
    remember(spec, engine)
    check_chunk((spec, "p.jsonl", None, "json", "lean", lines[:20]))  # programs compiled, terms given out
    impact_chunk((spec, proposed, "p.jsonl", None, lines[:20]))
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        check_chunk((spec, "p.jsonl", None, "json", "lean", lines[20:]))
        impact_chunk((spec, proposed, "p.jsonl", None, lines[20:]))
        found = gc.collect()
        kinds = sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert found == 0, kinds


def test_the_command_line_freezes_what_its_command_made_before_the_process_ends(monkeypatch):
    """cli.entry_point keeps the command's objects out of the collector's last
    walk (gc.freeze after the command, before sys.exit): Python collects once
    more as it shuts down, over every live object, which took 0.35-0.45 s after
    a population run of England (it unfreezes what it froze)."""
    from rules_engine import cli
    order = []
    monkeypatch.setattr(cli, "one_command", lambda: None)  # this test process runs more than one
    monkeypatch.setattr(cli, "main", lambda: order.append("command") or 1)
    monkeypatch.setattr(cli.gc, "freeze", lambda: order.append("freeze"))
    with pytest.raises(SystemExit) as stop:
        cli.entry_point()
    assert stop.value.code == 1 and order == ["command", "freeze"]
