"""parser.py: the grammar, syntax errors as diagnostics, recovery."""

import pytest
from hypothesis import given, settings, strategies as st

from rules_engine.base.diagnostics import CODES
from rules_engine.syntax.parser import parse
from rules_engine.base.source import SourceFile
from rules_engine.static.load import default_sources

from conftest import examples

HEADER = 'national contract x "X"\n'


def parsed(text):
    return parse(SourceFile("t.rules", text))


def test_every_shipped_rule_file_parses():
    for source in default_sources():
        result = parse(source)
        assert result.diagnostics == (), source.path
        assert result.tree is not None


def test_comments_are_kept_with_positions():
    result = parsed(HEADER + "parameter a: count = 1   # the first\n# alone\n")
    assert [(span.line, text) for span, text in result.comments] == [(2, "# the first"), (3, "# alone")]


def test_a_syntax_error_names_what_would_be_valid():
    result = parsed(HEADER + "parameter a count = 1\n")
    (error,) = result.diagnostics
    assert error.code == "E-SYNTAX-001"
    assert (error.span.line, error.span.column) == (2, 13)
    assert "`:`" in error.hint


def test_parsing_goes_on_after_an_error():
    text = HEADER + "parameter a: count = = 1\nparameter b: count = 2\nparameter c count = 3\n"
    lines = [d.span.line for d in parsed(text).diagnostics]
    assert lines == [2, 4]


def test_unexpected_end_of_file():
    (error,) = parsed(HEADER + "requirement r.x \"X\"\n  must 1 <").diagnostics
    assert error.code == "E-SYNTAX-003"


def test_keywords_are_still_field_names_after_a_dot():
    text = HEADER + "requirement r.x \"X\"\n  for each practice\n  must practice.contract = GMS\n"
    assert parsed(text).diagnostics == ()


ALPHABET = st.sampled_from(list("abc_ .:=<>(){}[]|,#\"'£%-+*/0123456789\n") +
                           ["must ", "for ", "each ", "parameter ", "requirement ", "and ", "or ",
                            "define ", "table ", "row ", "vary ", "08:00-18:30", "2025-04-01"])


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_random_text_gives_diagnostics_never_a_traceback(body):
    source = SourceFile("t.rules", HEADER + body)
    result = parse(source)
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        span = diagnostic.span
        assert 0 <= span.start <= span.end <= len(source.text)
        assert 1 <= span.line <= source.text.count("\n") + 1


@pytest.mark.slow  # 100 whole-file parses; the fast tier fuzzes rule files through the CLI (test_fuzz.py)
@settings(max_examples=examples(100), deadline=None)
@given(st.data())
def test_mutated_rule_files_never_raise(data):
    source = next(s for s in default_sources() if s.path.endswith("network_des.rules"))
    text = source.text
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    cut = data.draw(st.integers(min_value=0, max_value=12))
    insert = data.draw(st.sampled_from(["", "(", ")", "=", "must", "\n", "£", "'", "and", "{"]))
    mutated = text[:position] + insert + text[position + cut:]
    from rules_engine.syntax.lower import lower
    result = lower(SourceFile(source.path, mutated))
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        assert 0 <= diagnostic.span.start <= len(mutated)


# ---------------------------------------------------------- recovery is linear

import re  # noqa: E402
import time  # noqa: E402

import lark  # noqa: E402

from rules_engine.syntax import parser as parser_module  # noqa: E402

BROKEN_END = "parameter broken: count = = 1\n"


def _declarations(count: int) -> str:
    return "".join(f'parameter p{i}: count = {i}  # note {i}\n  ref "§{i}"\n' for i in range(count))


class _Counting:
    """The real parser, counting the characters it is given."""

    def __init__(self, real):
        self.real, self.characters, self.calls = real, 0, 0

    def parse(self, text, start):
        self.characters += len(text)
        self.calls += 1
        return self.real.parse(text, start=start)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("count", [50, 400])
def test_recovery_parses_each_character_at_most_twice(monkeypatch, count):
    # Before: every piece after an error was parsed with the whole file
    # before it padded in, so the text given to the parser grew as the
    # square of the file (at 400 declarations, some 400 times the file).
    counting = _Counting(parser_module._parser())
    monkeypatch.setattr(parser_module, "_parser", lambda: counting)
    text = HEADER + _declarations(count) + BROKEN_END
    result = parse(SourceFile("t.rules", text))
    assert [d.code for d in result.diagnostics] == ["E-SYNTAX-001"]
    assert result.diagnostics[0].span.line == 2 * count + 2
    assert counting.calls == count + 3  # the whole file, then the header and each declaration
    assert counting.characters <= 2 * len(text)


def _padded_reference(source: SourceFile):
    """The former recovery (quadratic, but plainly right about positions):
    each piece parsed with the text before it blanked out."""
    real = parser_module._parser()
    trees, errors = [], []
    for start, end in parser_module._fragments(source.text):
        padded = re.sub(r"[^\n]", " ", source.text[:start]) + source.text[start:end]
        try:
            trees.append(real.parse(padded, start="fragment"))
        except lark.exceptions.UnexpectedInput as error:
            errors.append(error)
    return trees, errors


def _positions(tree: lark.Tree) -> list[tuple]:
    found = []
    for subtree in tree.iter_subtrees_topdown():
        meta = subtree.meta
        found.append((subtree.data, getattr(meta, "start_pos", None), getattr(meta, "end_pos", None),
                      getattr(meta, "line", None), getattr(meta, "column", None),
                      getattr(meta, "end_line", None), getattr(meta, "end_column", None)))
        for child in subtree.children:
            if isinstance(child, lark.Token):
                found.append((child.type, str(child), child.start_pos, child.end_pos, child.line,
                              child.column, child.end_line, child.end_column))
    return found


def test_recovered_pieces_have_the_positions_of_the_file():
    source = next(s for s in default_sources() if s.path.endswith("network_des.rules"))
    lines = source.text.split("\n")
    # Three errors: an unexpected token, an unexpected character, a
    # declaration cut short by the next one.
    targets = [i for i, line in enumerate(lines) if line.startswith("parameter")][:3]
    lines[targets[0]] = lines[targets[0]].replace(":", "", 1)
    lines[targets[1]] = lines[targets[1]] + " $"
    lines.insert(targets[2], "parameter cut: count =")
    broken = SourceFile(source.path, "\n".join(lines))
    result = parse(broken)
    trees, errors = _padded_reference(broken)
    assert [_positions(t) for t in result.fragments] == [_positions(t) for t in trees]
    assert len(result.diagnostics) == len(errors) == 3
    for diagnostic, error in zip(result.diagnostics, errors):
        assert diagnostic.span.line == (error.line if error.line != -1 else error.token.line) or \
            diagnostic.code == "E-SYNTAX-003"
    cut = result.diagnostics[2]
    assert cut.code == "E-SYNTAX-003" and cut.span.line == targets[2] + 1  # at the cut, not the end
    assert "the declaration ends before it is complete" in cut.message
    comments = [(span.start, span.line, span.column, text) for span, text in result.comments]
    assert comments == sorted(set(comments))
    for start, line, column, text in comments:
        assert broken.text[start:start + len(text)] == text
        assert broken.position(start) == (line, column)


@pytest.mark.slow
def test_a_syntax_error_at_the_end_of_a_5_mb_file_is_found_in_seconds():
    body = _declarations(1000)
    text = HEADER + body * (5_000_000 // len(body) + 1) + BROKEN_END
    started = time.process_time()
    result = parse(SourceFile("big.rules", text))
    spent = time.process_time() - started
    assert [d.code for d in result.diagnostics] == ["E-SYNTAX-001"]
    assert result.diagnostics[0].span.line == text.count("\n")
    assert spent < 60, f"{spent:.1f} s of CPU for a 5 MB file"  # about 7 s on a 2-core laptop
