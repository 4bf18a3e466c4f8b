"""documents.py (and schema.py's use of it): data read within the limits.

Regression tests for issue 9: impossible dates (defect 5), bad population
lines (6), deep nesting (7), YAML aliases (8), duplicate keys in population
lines (11), locations (13), number digits and date range limits.
"""

import io
import json
import time

import pytest

from rules_engine import InvalidInput
from rules_engine.base import limits
from rules_engine.cli import main
from rules_engine.io.arrangements import parse_json_line

from conftest import GOLDEN

FIXTURE = str(GOLDEN / "fixture")


def load(engine, text, name="a.yaml"):
    return engine.load_arrangement(name, text)


def rejected(engine, text, name="a.yaml"):
    with pytest.raises(InvalidInput) as raised:
        load(engine, text, name)
    return raised.value.diagnostics


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------ defect 5: dates

@pytest.mark.parametrize("written, column", [
    ("2025-02-30", 8), ("2025-13-01", 8), ("2025-06-01 25:00:00", 8), ("2025-06-01T10:61:00", 8),
    ("'2025-02-30'", 8), ("2025-6-1", 8),
])
def test_an_impossible_date_is_one_error_at_its_field(fixture_engine, written, column):
    (d,) = rejected(fixture_engine, f"as_of: {written}\npcn: {{code: U1}}\n")
    assert (d.code, d.path, d.span.line, d.span.column) == ("E-FACT-004", "as_of", 1, column)
    assert "YYYY-MM-DD" in d.hint


def test_an_impossible_date_under_an_unknown_key_is_only_the_unknown_key(fixture_engine):
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nfoo: 2025-13-01\n")
    assert (d.code, d.path, d.span.line) == ("E-FACT-001", "foo", 2)


def test_the_last_day_of_february(engine):
    text = "as_of: {day}\npcn:\n  code: U1\n  arrs_claims:\n    - {{role: paramedic, start: {start}}}\n"
    facts = load(engine, text.format(day="2024-02-29", start="2025-02-28")).facts
    assert str(facts["as_of"]) == "2024-02-29"
    assert str(facts["pcn"]["arrs_claims"][0]["start"]) == "2025-02-28"
    (d,) = rejected(engine, text.format(day="2024-02-29", start="2025-02-29"))
    assert (d.code, d.path, d.span.line) == ("E-FACT-004", "pcn.arrs_claims[0].start", 5)


def test_a_date_with_a_time_of_day_is_that_day(fixture_engine):
    assert str(load(fixture_engine, "as_of: 2025-06-01 09:30:00\n").facts["as_of"]) == "2025-06-01"


def test_check_of_an_impossible_date_exits_2_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text("as_of: 2025-02-30\npcn: {code: U1}\n")
    code, _, err = run(capsys, "check", "--rules", FIXTURE, str(path))
    assert code == 2 and f"{path}:1:8: error[E-FACT-004]" in err and "Traceback" not in err


@pytest.mark.parametrize("day, code", [
    ("1899-12-31", "E-LIMIT-008"), ("1900-01-01", None), ("2200-12-31", None), ("2201-01-01", "E-LIMIT-008"),
])
def test_dates_are_between_1900_and_max_year(engine, day, code):
    text = f"as_of: 2025-06-01\npcn:\n  code: U1\n  arrs_claims:\n    - {{role: paramedic, start: {day}}}\n"
    if code is None:
        load(engine, text)
        return
    (d,) = rejected(engine, text)
    assert (d.code, d.path, d.span.line) == (code, "pcn.arrs_claims[0].start", 5)
    assert "max_year" in d.hint


def test_max_year_is_settable(fixture_engine):
    with limits.overridden(max_year=2100):
        (d,) = rejected(fixture_engine, "as_of: 2101-01-01\n")
        assert d.code == "E-LIMIT-008"
        load(fixture_engine, "as_of: 2100-12-31\n")


def test_max_number_digits_is_settable(fixture_engine):
    text = "as_of: 2025-06-01\npcn: {{code: U1, raw_list_size: {size}}}\n"
    with limits.overridden(max_number_digits=5):
        load(fixture_engine, text.format(size=99999))
        (d,) = rejected(fixture_engine, text.format(size=100000))
        assert (d.code, d.path) == ("E-LIMIT-007", "pcn.raw_list_size")
        assert "max_number_digits" in d.hint and "99,999" in d.hint
    load(fixture_engine, text.format(size=100000))


# ------------------------------------------------- defect 7: nesting

def _flow(depth):
    return "[" * depth + "]" * depth


def _flow_value(depth):
    return " " + _flow(depth) + "\n"


def _block(depth):
    return "\n" + "".join("  " * i + "-\n" for i in range(depth))


@pytest.mark.parametrize("shape", [_flow_value, _block])
def test_nesting_at_the_limit_is_read_and_one_deeper_is_refused(fixture_engine, shape):
    # the top-level mapping counts as one level: 199 lists below it make 200
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nx:" + shape(199))
    assert d.code == "E-FACT-001"
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nx:" + shape(200))
    assert d.code == "E-LIMIT-003" and d.span.line >= 2 and "max_nesting_depth" in d.hint


#: libyaml's events find the 200th `[` before ruamel's round-trip reader,
#: whose scanner looks some 1,024 characters ahead at each flow level
#: (quadratic: 1.7 to 2 s of CPU to refuse 1,100 or 20,000, against some
#: 2 ms); 20,000 is past any stack.
@pytest.mark.parametrize("depth", [300, 1100, 20000])
def test_deep_yaml_is_refused_before_it_is_built(fixture_engine, depth):
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nx: " + _flow(depth) + "\n")
    assert (d.code, d.span.line, d.span.column) == ("E-LIMIT-003", 2, 4 + 199)  # the 200th `[`


def test_deep_flow_yaml_is_refused_without_the_round_trip_reader(fixture_engine, monkeypatch):
    from rules_engine.io import documents

    def unread(*args, **kwargs):
        raise AssertionError("the round-trip reader was asked")
    monkeypatch.setattr(documents, "yaml_reader", unread)
    started = time.process_time()
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nx: " + _flow(20000) + "\n")
    assert (d.code, d.span.line, d.span.column) == ("E-LIMIT-003", 2, 4 + 199)
    assert "more than 200 deep" in d.message and "max_nesting_depth" in d.hint
    assert time.process_time() - started < 1.0  # libyaml's events (a few ms), not ruamel's scanner (2 s)


def test_without_the_c_parser_the_round_trip_reader_refuses_the_same(fixture_engine, monkeypatch):
    import ruamel.yaml.main
    monkeypatch.setattr(ruamel.yaml.main, "CParser", None)
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nx: " + _flow(300) + "\n")
    assert (d.code, d.span.line, d.span.column) == ("E-LIMIT-003", 2, 4 + 199)


def test_many_brackets_within_the_depth_limit_are_read_past_the_c_check(fixture_engine):
    # 250 flat lists: more brackets than the limit, none deeper than three levels;
    # libyaml finds no breach and the round-trip reader reads the document
    items = "".join(f"  - [{i}, {i + 1}]\n" for i in range(250))
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nx:\n" + items)
    assert d.code == "E-FACT-001"  # `x` is no fact of the schema: read, then refused by name
    # a bracket deep inside a quoted string is text, not nesting
    (d,) = rejected(fixture_engine, "as_of: 2025-06-01\nx: '" + "[" * 500 + "'\n")
    assert d.code == "E-FACT-001"


def test_an_alias_that_would_nest_too_deep_is_refused(fixture_engine):
    text = "as_of: 2025-06-01\na: &a " + _flow(150) + "\nb: " + "[" * 60 + "*a" + "]" * 60 + "\n"
    (d,) = rejected(fixture_engine, text)
    assert (d.code, d.span.line) == ("E-LIMIT-003", 3) and "alias" in d.message


def test_a_deep_json_line_is_refused_at_its_column(fixture_engine):
    line = '{"as_of": "2025-06-01", "x": ' + _flow(1100) + "}"
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(fixture_engine.library.schema, line, "p.jsonl", 4)
    (d,) = raised.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E-LIMIT-003", 4, 30 + 199)


def test_brackets_inside_strings_do_not_count_as_nesting():
    from rules_engine.io.documents import json_line
    text = '{"a": "' + "[{" * 500 + '\\"]"}'
    assert json_line(text, "p.jsonl", 1) == {"a": "[{" * 500 + '"]'}
    with limits.overridden(max_nesting_depth=3):
        assert json_line('{"a": [[1]], "b": "[[[["}', "p.jsonl", 1)["a"] == [[1]]
        with pytest.raises(InvalidInput):
            json_line('{"a": [[[1]]]}', "p.jsonl", 1)


# ------------------------------------------------- defect 8: aliases

LAUGHS = """as_of: 2025-06-01
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_quickly(fixture_engine):
    started = time.monotonic()
    (d,) = rejected(fixture_engine, LAUGHS)
    assert time.monotonic() - started < 5
    # 9 aliases on line 3, 9 x 10 on line 4 (99); the first `*c` counts 1 + 90: 190 > 100
    assert (d.code, d.span.line) == ("E-LIMIT-006", 5) and "max_aliases" in d.hint


def _aliases(count):
    return "as_of: 2025-06-01\nicb: &x QMM\nxs: [" + ", ".join(["*x"] * count) + "]\n"


def test_the_alias_limit_counts_each_alias(fixture_engine):
    (d,) = rejected(fixture_engine, _aliases(100))
    assert d.code == "E-FACT-001"  # `xs` is no fact: the aliases themselves were allowed
    (d,) = rejected(fixture_engine, _aliases(101))
    assert (d.code, d.span.line) == ("E-LIMIT-006", 3)
    with limits.overridden(max_aliases=5):
        assert [d.code for d in rejected(fixture_engine, _aliases(6))] == ["E-LIMIT-006"]


def test_a_scenario_file_with_billion_laughs_is_invalid(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(LAUGHS.replace("as_of: 2025-06-01\n", "name: laughs\narrangement: {}\nexpect: {outcome: pass}\n"))
    code, _, err = run(capsys, "test", str(path))
    assert code == 2 and "[E-LIMIT-006]" in (err + _) and "Traceback" not in err


# ---------------------------------------- defect 11: duplicate keys

@pytest.mark.parametrize("line, key", [
    ('{"as_of": "2025-06-01", "as_of": "2025-06-02"}', "as_of"),
    ('{"as_of": "2025-06-01", "pcn": {"code": "U1", "x:\\"y": 1, "code": "U2"}}', "code"),
    ('{"pcn": {"code": "U1"}, "practices": [{"code": 1}, {"code": 2, "code": 3}]}', "code"),
])
def test_a_population_line_with_a_key_twice_is_rejected_at_the_key(fixture_engine, line, key):
    column = line.rindex(f'"{key}"') + 1
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(fixture_engine.library.schema, line, "p.jsonl", 2)
    (d,) = raised.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E-FACT-006", 2, column)
    assert line[column - 1:].startswith(f'"{key}"') and f"`{key}`" in d.message


def test_the_same_document_as_a_file_is_rejected_too(fixture_engine):
    line = '{"as_of": "2025-06-01", "as_of": "2025-06-02"}'
    (d,) = rejected(fixture_engine, line, "a.json")
    assert d.code == "E-FACT-006"


# ---------------------------------- defect 13: JSON errors at their column

def test_a_json_error_is_reported_at_its_column(fixture_engine):
    line = '{"as_of": "2025-06-01", "pcn": {"code": }}'
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(fixture_engine.library.schema, line, "p.jsonl", 9)
    (d,) = raised.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E-FACT-006", 9, line.index("}") + 1)


def test_a_missing_as_of_names_every_file(fixture_engine, tmp_path, capsys):
    paths = []
    for name in ("one.yaml", "two.yaml"):
        paths.append(tmp_path / name)
        paths[-1].write_text("pcn: {code: U1}\n")
    code, _, err = run(capsys, "check", "--rules", FIXTURE, *map(str, paths))
    assert code == 2
    for path in paths:
        assert f"{path}:1:1: error[E-FACT-007]" in err


# ------------------------------------- defect 6: every bad line skipped

GOOD = json.dumps({"as_of": "2025-06-01", "icb": "QMM", "pcn": {
    "code": "U1", "raw_list_size": 31000, "adjusted_population": 31000, "population_exception": "none",
    "clinical_director_appointed": True,
    "enhanced_access": {"minutes_per_week": 2000, "weekday_evenings": True, "saturdays": True}}})


@pytest.fixture
def bad_population(tmp_path):
    path = tmp_path / "population.jsonl"
    lines = [GOOD.encode(),
             b'{"as_of": "2025-06-01", "x": ' + _flow(1100).encode() + b"}",   # 2: too deep
             GOOD.encode()[:-2] + b', "name": "Caf\xe9"}}',                     # 3: not UTF-8
             b'{"as_of": "2025-06-01", "as_of": "2025-06-01"}',                 # 4: a key twice
             b'{"as_of": "2025-06-01", "pcn": {"code": }}',                     # 5: not JSON
             b'{"pad": "' + b"x" * 5000 + b'"}',                               # 6: too long
             b"",
             GOOD.encode()]                                                     # 8
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_bad_line_is_counted_and_skipped(bad_population, capsys, jobs):
    with limits.overridden(max_line_bytes=4000):
        code, out, err = run(capsys, "check", "--rules", FIXTURE, "--population", str(bad_population),
                             "--format", "json", "--jobs", jobs)
    rows = [json.loads(line) for line in out.splitlines() if not line.startswith('{"terms"')]
    assert [r["id"] for r in rows[:-1]] == ["U1", "U1"]
    assert rows[-1]["summary"]["bad_lines"] == 5 and rows[-1]["summary"]["arrangements"] == 2
    where = str(bad_population)
    assert f"{where}:2:229: error[E-LIMIT-003]" in err
    assert f"{where}:3:{len(GOOD) - 2 + 15}: error[E-INPUT-002]" in err
    assert f"{where}:4:25: error[E-FACT-006]" in err
    assert f"{where}:5:41: error[E-FACT-006]" in err
    assert f"{where}:6:4001: error[E-LIMIT-002]" in err
    assert "Traceback" not in err and code in (0, 1)


def test_strict_stops_at_the_first_bad_line(bad_population, capsys):
    code, out, err = run(capsys, "check", "--rules", FIXTURE, "--population", str(bad_population),
                         "--strict", "--format", "json")
    assert code == 2 and "E-LIMIT-003" in err and "E-FACT-006" not in err


def test_impact_skips_bad_lines_too(bad_population, capsys):
    local = GOLDEN / "fixture" / "local" / "rural.rules"
    with limits.overridden(max_line_bytes=4000):
        code, out, err = run(capsys, "impact", "--rules", FIXTURE, "--population", str(bad_population),
                             "--variation", str(local), "--format", "json")
    assert code == 0 and json.loads(out.splitlines()[-1])["summary"]["bad_lines"] == 5


class _Recording(io.BytesIO):
    largest = 0

    def readline(self, size=-1):
        piece = super().readline(size)
        self.largest = max(self.largest, len(piece))
        return piece


def test_an_over_long_line_is_never_read_whole():
    from rules_engine.io.documents import read_lines
    stream = _Recording(b'{"a": 1}\n' + b"x" * (5 << 20) + b"\n" + b'{"b": 2}\n')
    with limits.overridden(max_line_bytes=1000):
        lines = list(read_lines(stream, "p.jsonl"))
    assert [(line.number, line.text) for line in lines] == [(1, '{"a": 1}\n'), (2, None), (3, '{"b": 2}\n')]
    assert lines[1].problem[0].code == "E-LIMIT-002"
    assert stream.largest <= 1 << 20


def test_a_line_exactly_at_the_limit_is_read():
    from rules_engine.io.documents import read_lines
    line = b'{"a": "' + b"x" * 990 + b'"}'
    with limits.overridden(max_line_bytes=len(line)):  # the newline is not counted
        (read,) = read_lines(io.BytesIO(line + b"\n"), "p.jsonl")
    assert read.text is not None
    with limits.overridden(max_line_bytes=len(line) - 1):
        (read,) = read_lines(io.BytesIO(line + b"\n"), "p.jsonl")
    assert read.problem[0].code == "E-LIMIT-002"


@pytest.mark.parametrize("line, path, at_key, found", [
    ('{"as_of": "2025-06-01", "pcn": {"code": "BAD", "sise": 3}}', ("pcn", "sise"), True, '"sise"'),
    ('{"pcn": {"code": 5}}', ("pcn", "code"), False, "5"),
    ('{"pcn": {"arrs_claims": [{"role": "x"}, {"role": "gp", "wte": -1}]}}',
     ("pcn", "arrs_claims", 1, "wte"), False, "-1"),
    ('{"pcn": {"arrs_claims": [{"role": "x"}, [1, {"a": [true]}]]}}', ("pcn", "arrs_claims", 1, 1, "a", 0),
     False, "true"),
    ('{"pcn": {"x": "a,b:{c}", "y": null}}', ("pcn", "y"), False, "null"),
    ('{"pcn": [1]}', ("pcn",), False, "["),
])
def test_a_field_of_a_population_line_is_found_at_its_column(line, path, at_key, found):
    from rules_engine.io.positions import json_position
    column, width = json_position(line, path, at_key)
    assert line[column - 1:column - 1 + width] == found


def test_field_problems_of_a_population_line_name_their_column(fixture_engine):
    line = '{"as_of": "2025-06-01", "pcn": {"code": "BAD", "sise": 3}}'
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(fixture_engine.library.schema, line, "p.jsonl", 3)
    (d,) = raised.value.diagnostics
    assert (d.code, d.path, d.span.line, d.span.column, d.span.end_column) == (
        "E-FACT-001", "pcn.sise", 3, line.index('"sise"') + 1, line.index('"sise"') + 7)


def test_a_deep_value_in_a_field_is_reported_without_recursion(engine):
    """A value nested to just within the limit, where a text or a name is
    expected, is described shallowly, even with most of the stack in use."""
    import sys
    depth = 197  # with the top-level mapping and `pcn`, 199 levels
    text = ("as_of: 2025-06-01\npcn:\n  code: " + "{a: " * depth + "1" + "}" * depth +
            "\n  population_exception: " + "[" * depth + "]" * depth + "\n")

    def nested(levels):
        if levels:
            return nested(levels - 1)
        with pytest.raises(InvalidInput) as raised:
            load(engine, text)
        return raised.value.diagnostics
    diagnostics = nested(sys.getrecursionlimit() - 300)
    assert [(d.code, d.path) for d in diagnostics] == [
        ("E-FACT-002", "pcn.code"), ("E-FACT-003", "pcn.population_exception")]
    assert "`{a: {...}}`" in diagnostics[0].message


@pytest.mark.parametrize("command", ["check", "impact"])
def test_a_population_that_is_no_regular_file_is_refused_before_workers_start(tmp_path, command):
    """With --jobs 2 the refusal used to reach a worker, which could not
    unpickle it: a traceback and a run that never ended."""
    import os
    import subprocess
    import sys
    fifo = tmp_path / "population.jsonl"
    os.mkfifo(fifo)
    args = (["check", "--population", str(fifo)] if command == "check" else
            ["impact", "--population", str(fifo), "--variation",
             str(GOLDEN / "fixture" / "local" / "rural.rules")])
    result = subprocess.run([sys.executable, "-m", "rules_engine", *args, "--rules", FIXTURE,
                             "--jobs", "2"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "[E-INPUT-001]" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_input_crosses_processes_whole():
    import pickle
    from rules_engine.base.diagnostics import Diagnostic
    error = InvalidInput([Diagnostic("E-FACT-006", "line 3 is not valid JSON", None)])
    assert pickle.loads(pickle.dumps(error)).diagnostics == error.diagnostics


# ------------------------------------------- complex keys (found by the long fuzz run)

@pytest.mark.parametrize("key, column", [("? {a: [1]}\n: 1\n", 3), ("? [a, b]\n: 1\n", 3),
                                         ("x: &a [1]\n? *a\n: 1\n", 3)])
def test_a_mapping_or_list_as_a_key_is_an_error_at_the_key(fixture_engine, key, column):
    # `? {a: [1]}` made ruamel raise TypeError (unhashable CommentedSeq): a traceback.
    diagnostics = rejected(fixture_engine, "as_of: 2025-06-01\n" + key)
    assert [d.code for d in diagnostics] == ["E-FACT-006"]
    assert diagnostics[0].span.column == column
    assert "mapping or a list" in diagnostics[0].message


def test_a_complex_key_in_a_scenario_file_is_an_invalid_scenario(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("cases:\n  ? {a: [1]}\n  : 1\n", encoding="utf-8")
    code, out, err = run(capsys, "test", str(scenario))
    assert code == 2
    assert "Traceback" not in out + err
    assert "E-SCENARIO-001" in out + err


def test_a_scalar_key_with_a_list_value_is_still_read(fixture_engine):
    # the key check looks at keys only: values may be lists and mappings
    diagnostics = rejected(fixture_engine, "as_of: 2025-06-01\nunknown_field: [1, {a: 2}]\n")
    assert [d.code for d in diagnostics] == ["E-FACT-001"]
