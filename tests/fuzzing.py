"""Fuzzing helpers for tests/test_fuzz.py: programs generated from the
grammar, mutations of shipped files, and the property every input must meet.

- `GrammarPrograms` walks `grammar/rules.lark` through lark's own grammar
  objects (its compiled rules and terminals), to a bounded depth, drawing
  names and literals from small pools so that some programs typecheck.
- `mutated(kind)` is a strategy of mutations of a text: deleted, swapped and
  duplicated lines and tokens, truncation, wrong types, huge and impossible
  numbers and dates, unicode (combining marks, RTL, NUL, lone surrogates
  escaped in JSON), deep nesting and YAML aliases.
- `run_cli(argv, cwd)` runs `contract-rules` in this process through
  `cli.main(argv)` under a time limit (`InputTimedOut` on a hang); any
  exception escaping it fails the test, as a traceback would.
- `check_diagnostics(...)` asserts that each diagnostic has a registered code
  and a span inside its file, or a field path.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
from pathlib import Path

import attrs
from hypothesis import event, reject
from hypothesis import strategies as st
from lark import Lark
from lark.lexer import PatternStr

from rules_engine.cli import main
from rules_engine.base.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent

#: Seconds one input may take before it counts as a hang (a loaded machine
#: needs a few seconds for what takes 0.2 s alone).
TIME_LIMIT = float(os.environ.get("CONTRACT_RULES_FUZZ_TIME_LIMIT", "20"))


class InputTimedOut(Exception):
    """An input took longer than TIME_LIMIT: the engine hung on it."""


# ------------------------------------------------------------ running the CLI

@attrs.frozen
class Run:
    argv: tuple[str, ...]
    exit: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def time_limit(seconds: float):
    def expire(signum, frame):
        raise InputTimedOut(f"no answer after {seconds:.0f} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@attrs.frozen
class KnownDefect:
    """A defect listed in issue 9 that another helper is fixing: an input that
    hits it is recorded (a hypothesis event) and set aside, not failed.
    Remove a row once its fix has landed."""

    number: int
    exception: type
    module: str  # the engine module the exception comes out of
    what: str


#: Empty now: defect 6 (an invalid UTF-8 byte in a population line gave a
#: UnicodeDecodeError out of population_run.py) was set aside here until its
#: fix landed.
KNOWN_DEFECTS: tuple[KnownDefect, ...] = ()


def known_defect(error: BaseException) -> KnownDefect | None:
    frames = []
    trace = error.__traceback__
    while trace is not None:
        frames.append(trace.tb_frame.f_code.co_filename)
        trace = trace.tb_next
    for defect in KNOWN_DEFECTS:
        if isinstance(error, defect.exception) and any(f.endswith(defect.module) for f in frames):
            return defect
    return None


def run_cli(argv: list[str], cwd: Path) -> Run:
    """`contract-rules ARGV` in `cwd`, in this process, under the time limit."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with time_limit(TIME_LIMIT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except Exception as error:  # noqa: BLE001 - re-raised unless it is a known, listed defect
        defect = known_defect(error)
        if defect is None:
            raise
        event(f"known defect {defect.number} (issue 9): {defect.what}")
        reject()
    finally:
        os.chdir(previous)
    return Run(tuple(argv), code, out.getvalue(), err.getvalue())


def assert_no_traceback(run: Run) -> None:
    for stream in (run.stdout, run.stderr):
        assert "Traceback (most recent call last)" not in stream, f"{run.argv}:\n{stream}"


# ------------------------------------------------------------ the property

def _text_of(file: str, cwd: Path) -> str | None:
    path = Path(file) if Path(file).is_absolute() else cwd / file
    if not path.is_file():
        path = ROOT / file  # the shipped library is named contracts/national/...
        if not path.is_file():
            return None
    return path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")


def check_span(span: dict, cwd: Path) -> None:
    text = _text_of(span["file"], cwd)
    assert text is not None, f"span names a file that does not exist: {span}"
    lines = text.split("\n")
    line, column, end_line, end_column = span["line"], span["column"], span["end_line"], span["end_column"]
    assert 1 <= line <= len(lines), f"line {line} outside {span['file']} ({len(lines)} lines): {span}"
    assert 1 <= column <= len(lines[line - 1]) + 1, f"column outside line {line}: {span}"
    assert (end_line, end_column) >= (line, column), f"span ends before it starts: {span}"
    # a caret may stand just after the last character (at the end of a line or the file)
    assert end_line <= len(lines) and end_column <= len(lines[end_line - 1]) + 2, f"end outside: {span}"


def check_diagnostics(diagnostics: list[dict], cwd: Path) -> None:
    """Every diagnostic: a registered code, a message, and a valid span or a path."""
    assert diagnostics, "exit 2 with no diagnostic"
    for diagnostic in diagnostics:
        assert diagnostic["code"] in CODES, diagnostic
        assert diagnostic["message"], diagnostic
        if diagnostic["span"] is None:
            assert diagnostic["path"], f"a diagnostic with neither span nor path: {diagnostic}"
        else:
            check_span(diagnostic["span"], cwd)


def json_diagnostics(run: Run) -> list[dict]:
    """The diagnostics of a `--format json` run that exited 2."""
    document = json.loads(run.stdout)
    if "cases" in document:  # contract-rules test
        found = list(document["diagnostics"])
        for case in document["cases"]:
            found += case["diagnostics"]
        return found
    return document["diagnostics"]


def check_run(run: Run, cwd: Path, allowed: tuple[int, ...]) -> None:
    """The property: an allowed exit, no traceback, and on exit 2 located diagnostics."""
    assert_no_traceback(run)
    assert run.exit in allowed, f"{run.argv} exited {run.exit}:\n{run.stdout}\n{run.stderr}"
    if run.exit == 2:
        check_diagnostics(json_diagnostics(run), cwd)


# ------------------------------------------------- programs from the grammar

NAMES = ("pcn", "practice", "practices", "code", "raw_list_size", "adjusted_population", "list_size",
         "count", "number", "money", "bool", "text", "date", "minutes", "fraction", "x", "y",
         "min_pcn_population", "ea_minutes_per_1000", "network_des", "qof", "QXX", "rural_remote",
         "none", "population_exception", "enhanced_access", "sundays", "max", "ceil", "patient",
         "week", "arrs_roles", "role", "gp")
TERMINAL_POOLS = {
    "NAME": NAMES,
    "RULE_ID": ("des.pcn.minimum-population", "des.ea.standard-hours", "qxx.ea.sunday", "x.y",
                "qof.points.{code}"),
    "STRING": ('"X"', '"Sparse rural geography"', '""', '"caf\u00e9 \\"q\\""', '"\u202eRTL"'),
    "DATE": ("2025-04-01", "2026-03-31", "2023-04-01", "2025-02-30", "2025-13-01", "0000-00-00", "9999-12-31"),
    "INTERVAL": ("08:00-18:30", "18:30-20:00", "18:30-08:00", "25:00-26:00", "00:00-24:00"),
    "TIME": ("08:00", "23:59", "24:00", "99:99", "0:00"),
    "PERCENT": ("2%", "100%", "0.5%", "1000%"),
    "MONEY": ("£225.49", "£1,000", "£ 3", "£0.001", "£99999999999999999999"),
    "NUMBER": ("0", "1", "3", "30000", "25000", "1_000", "3.5", "99999999999999999999999"),
    "EACH": ("each",),
}
#: Pools that depend on where the token is (the nearest enclosing rule that
#: has one), so that headers, `extends` and `vary` name real things often
#: enough for some programs to pass lint and reach `check`.
CONTEXT_POOLS = {
    ("name_list", "NAME"): ("network_des", "network_des", "qof", "gms", "payments", "nope"),
    ("local_header", "NAME"): ("qxx", "QXX", "QMM", "qxx"),
    ("national_header", "NAME"): ("extra", "extra2", "network_des"),
    ("vary_decl", "NAME"): ("min_pcn_population", "ea_minutes_per_1000", "qof_point_value", "x"),
    ("waive_decl", "RULE_ID"): ("des.ea.standard-hours", "des.pcn.clinical-director", "qxx.a.b"),
    ("replace_decl", "RULE_ID"): ("des.ea.capacity", "qxx.a.b"),
    ("add_requirement_decl", "RULE_ID"): ("qxx.ea.sunday", "qxx.pcn.size", "des.ea.capacity"),
    ("population_decl", "NAME"): ("qxx_fund", "icb", "all", "icb"),
    ("total_measure", "RULE_ID"): ("des.ea.required-minutes", "pay.global-sum", "qxx.a.b"),
    ("total_measure", "NAME"): ("x",),
    ("count_measure", "RULE_ID"): ("des.ea.standard-hours", "des.pcn.minimum-population", "qxx.a.b"),
    ("count_measure", "NAME"): ("fail", "pass", "unknown", "x"),
    ("period", "DATE"): ("2025-04-01", "2026-03-31", "2025-04-01", "2026-03-31", "2024-04-01", "2025-02-30"),
}
#: Tokens after which a new line reads better (not needed by the grammar).
LINE_STARTS = {"declaration", "clause"}
#: The declarations that fit each kind of header (by its first words); a
#: program draws a declaration that does not fit (E-SYNTAX-008) one time in
#: four, so that most programs can pass lint and reach `check`.
FITTING = {"national contract": {"enum_decl", "fact_decl", "subject_decl", "parameter_decl", "table_decl",
                                 "define_decl", "requirement_decl", "population_decl"},
           "national flexibility": {"allow_decl"},
           "local layer": {"enum_decl", "fact_decl", "parameter_decl", "table_decl", "define_decl",
                           "vary_decl", "waive_decl", "replace_decl", "add_requirement_decl",
                           "add_row_decl", "retire_decl", "replace_value_decl", "population_decl"}}


class GrammarPrograms:
    """Rule programs drawn from the grammar's own rules, to a bounded depth."""

    def __init__(self, grammar: Path = ROOT / "grammar" / "rules.lark"):
        parser = Lark(grammar.read_text(encoding="utf-8"), parser="lalr", start="start")
        self.rules: dict[str, list[list]] = {}
        for rule in parser.rules:
            self.rules.setdefault(rule.origin.name, []).append(list(rule.expansion))
        self.terminals = {t.name: t.pattern for t in parser.terminals}
        self.height = self._heights()

    def _heights(self) -> dict[str, int]:
        """The least depth at which each nonterminal can end (a fixpoint)."""
        height = {name: 10**6 for name in self.rules}
        changed = True
        while changed:
            changed = False
            for name, expansions in self.rules.items():
                for expansion in expansions:
                    h = 1 + max((height[s.name] for s in expansion if not s.is_term), default=0)
                    if h < height[name]:
                        height[name], changed = h, True
        return height

    def terminal(self, draw, name: str, within: list[str]) -> str:
        pattern = self.terminals[name]
        if isinstance(pattern, PatternStr):
            return pattern.value
        pool = next((CONTEXT_POOLS[(rule, name)] for rule in reversed(within)
                     if (rule, name) in CONTEXT_POOLS), TERMINAL_POOLS[name])
        return draw(st.sampled_from(pool))

    def expand(self, draw, name: str, depth: int, out: list[str], within: list[str] | None = None) -> None:
        within = (within or []) + [name]
        expansions = self.rules[name]
        if depth <= 0:  # only the expansions that end soonest
            least = min(1 + max((self.height[s.name] for s in e if not s.is_term), default=0)
                        for e in expansions)
            expansions = [e for e in expansions
                          if 1 + max((self.height[s.name] for s in e if not s.is_term), default=0) == least]
        if name == "declaration" and len(out) >= 2:
            fitting = FITTING.get(f"{out[0]} {out[1]}", set())
            fit = [e for e in expansions if e[0].name in fitting]
            if fit and draw(st.integers(0, 3)):
                expansions = fit
        expansion = expansions[draw(st.integers(0, len(expansions) - 1))]
        if name in LINE_STARTS:
            out.append("\n" if name == "declaration" else "\n  ")
        for symbol in expansion:
            if symbol.is_term:
                out.append(self.terminal(draw, symbol.name, within))
            else:
                self.expand(draw, symbol.name, depth - 1, out, within)

    def strategy(self, depth: int = 9) -> st.SearchStrategy[str]:
        @st.composite
        def programs(draw):
            out: list[str] = []
            self.expand(draw, "start", depth, out)
            text = ""
            for token in out:
                text += token if token.startswith("\n") or not text or text.endswith((" ", "\n")) \
                    else " " + token
            return text.strip() + "\n"
        return programs()


# ------------------------------------------------------------ mutations

HUGE_AND_IMPOSSIBLE = ("99999999999999999999999999", "1e309", "-1", "-0", "1.5", "1_000_000_000_000_000_000",
                       "0x1F", "0o17", "1e-400", "NaN", "-Infinity", ".nan", ".inf", "-.inf",
                       "2025-02-30", "2025-13-01", "2025-02-29", "0000-00-00", "9999-12-31", "1899-12-31",
                       "2025-06-01T25:00:00", "25:00", "24:61", "23:59-00:00", "08:00-08:00")
#: Unicode trouble; "\\ud800" is a lone surrogate *escaped* (as JSON writes
#: it), "\udcff" a raw byte 0xFF that is not UTF-8 (see `write_mutant`).
UNICODE = ("e\u0301", "\u202e", "\u200f\u05d0", "\u200b", "\x00", "\ufeff", "\U0001f600", "\u0000\u0000",
           "\\ud800", "\\udfff\\ud800", "\u2028", "\x1b[31m", "\r", "\t", "\udcff", "\udce9t\udcc3")
YAML_ONLY = ("&a [1, 2]", "*a", "*undefined", "<<: *a", "!!python/object/apply:os.system ['true']",
             "!!binary aGVsbG8=", "? [complex, key]\n: value", "~", "null", "yes", "on", "|-\n  x",
             "{a: 1, a: 2}", "- - - -", "'unterminated", '"unterminated', "%YAML 1.1", "---\n---",
             "...")
RULES_ONLY = ("(" * 120 + "1" + ")" * 120, "1 + " * 300 + "1", "not " * 300 + "true",
              "define d: count = d", "parameter p: count = p + 1", "vary", "£", '"unterminated',
              "#", "every x in x: x", "if if then then else else", "{", "}", "|", "row |||",
              "for each pcn, each p in pcn: p", "add to", "local layer", "national contract")


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    return "\n".join(lines)


def _deep(kind: str, depth: int) -> str:
    if kind == "yaml":
        return "[" * depth + "1" + "]" * depth
    if kind == "rules":
        return "(" * depth + "1" + ")" * depth
    return "{\"a\": " * depth + "1" + "}" * depth


def snippets(kind: str) -> st.SearchStrategy[str]:
    pools = [HUGE_AND_IMPOSSIBLE, UNICODE]
    pools.append(RULES_ONLY if kind == "rules" else YAML_ONLY)
    deep = st.integers(1, 1500).map(lambda d: _deep(kind, d))
    options = [st.sampled_from(p) for p in pools] + [deep]
    if kind == "yaml":
        options.append(st.integers(2, 9).map(_billion_laughs))
    return st.one_of(options)


TOKEN = re.compile(r"\S+")
KEY_VALUE = re.compile(r"^(\s*(?:- )?[\w.\"']+:\s+)(\S.*)$")
WRONG_TYPES = ("[1, 2]", "{a: 1}", "true", "null", '"text"', "-1", "1.5", "2025-06-01", "08:00", "[]", "{}")


@st.composite
def mutation(draw, text: str, kind: str) -> str:
    """One mutation of `text`."""
    lines = text.split("\n")
    tokens = [m.span() for m in TOKEN.finditer(text)]
    operation = draw(st.sampled_from(("delete line", "duplicate line", "swap lines", "delete token",
                                      "duplicate token", "swap tokens", "truncate", "insert",
                                      "replace token", "wrong type")))
    if operation == "truncate":
        return text[:draw(st.integers(0, max(0, len(text) - 1)))]
    if operation in ("delete line", "duplicate line", "swap lines") and lines:
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if operation == "delete line":
            del lines[i]
        elif operation == "duplicate line":
            lines.insert(i, lines[i])
        else:
            lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    if operation == "wrong type" and kind != "rules":
        candidates = [i for i, line in enumerate(lines) if KEY_VALUE.match(line)]
        if candidates:
            i = draw(st.sampled_from(candidates))
            value = draw(st.one_of(st.sampled_from(WRONG_TYPES), snippets(kind)))
            lines[i] = KEY_VALUE.sub(lambda m: m.group(1) + value.replace("\n", " "), lines[i])
            return "\n".join(lines)
    if operation == "insert" or not tokens:
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(snippets(kind)) + text[at:]
    i = draw(st.integers(0, len(tokens) - 1))
    start, end = tokens[i]
    if operation == "delete token":
        return text[:start] + text[end:]
    if operation == "duplicate token":
        return text[:end] + " " + text[start:end] + text[end:]
    if operation == "swap tokens":
        j = draw(st.integers(0, len(tokens) - 1))
        (a, b), (c, d) = sorted([tokens[i], tokens[j]])
        if (a, b) == (c, d) or b > c:
            return text
        return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    return text[:start] + draw(snippets(kind)) + text[end:]  # replace token (or wrong type in a rule file)


@st.composite
def mutated(draw, text: str, kind: str) -> str:
    """One to three mutations of `text` ("rules", "yaml" or "json")."""
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutation(text, kind))
    return text


def write_mutant(path: Path, text: str) -> None:
    """Write a mutant; a lone surrogate \\udcXX becomes the raw byte XX."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
