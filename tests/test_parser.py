"""parser.py: the grammar, syntax errors as diagnostics, recovery."""

from hypothesis import given, settings, strategies as st

from rules_engine.diagnostics import CODES
from rules_engine.parser import parse
from rules_engine.source import SourceFile
from rules_engine.pipeline import default_sources

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


@settings(max_examples=150, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_random_text_gives_diagnostics_never_a_traceback(body):
    source = SourceFile("t.rules", HEADER + body)
    result = parse(source)
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        span = diagnostic.span
        assert 0 <= span.start <= span.end <= len(source.text)
        assert 1 <= span.line <= source.text.count("\n") + 1


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_rule_files_never_raise(data):
    source = next(s for s in default_sources() if s.path.endswith("network_des.rules"))
    text = source.text
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    cut = data.draw(st.integers(min_value=0, max_value=12))
    insert = data.draw(st.sampled_from(["", "(", ")", "=", "must", "\n", "£", "'", "and", "{"]))
    mutated = text[:position] + insert + text[position + cut:]
    from rules_engine.lower import lower
    result = lower(SourceFile(source.path, mutated))
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        assert 0 <= diagnostic.span.start <= len(mutated)
