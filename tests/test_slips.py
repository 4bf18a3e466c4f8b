"""slips.py: the commonest authoring slips get a message that says what to write.

Each test gives the slip as a commissioner would type (or paste) it and
asserts the code, where the caret goes and the fix the hint spells out; the
near misses that are valid rule text must still parse. The golden files
(tests/golden/errors/slip-*) assert the rendering.
"""

from __future__ import annotations

import pytest

from rules_engine.parser import parse
from rules_engine.source import SourceFile

HEADER = 'national contract x "X"\n'


def only(body: str):
    source = SourceFile("t.rules", HEADER + body)
    (diagnostic,) = parse(source).diagnostics
    return diagnostic, source


def marked(diagnostic, source) -> str:
    """The text the diagnostic's span covers."""
    return source.text[diagnostic.span.start:diagnostic.span.end]


def parses(body: str) -> bool:
    return parse(SourceFile("t.rules", HEADER + body)).diagnostics == ()


# ------------------------------------------------------------ numbers

@pytest.mark.parametrize("written, plain, grouped", [
    ("24,000", "24000", "24_000"),
    ("1,000,000", "1000000", "1_000_000"),
    ("2,000.5", "2000.5", "2_000.5"),
    ("24 000", "24000", "24_000"),
    ("24\u00a0000", "24000", "24_000"),
    ("24\u202f000", "24000", "24_000"),
])
def test_thousands_separators_say_to_write_the_plain_number(written, plain, grouped):
    diagnostic, source = only(f"parameter cap: count = {written}\n")
    assert diagnostic.code == "E-SYNTAX-010"
    assert marked(diagnostic, source) == written
    assert f"write `{plain}`" in diagnostic.hint and f"`{grouped}`" in diagnostic.hint


def test_thousands_separators_in_a_bound_and_a_comparison():
    diagnostic, source = only("parameter cap: count = 1\n  flexible between 20,000 and 30000\n")
    assert (diagnostic.code, marked(diagnostic, source)) == ("E-SYNTAX-010", "20,000")
    diagnostic, source = only('requirement r.x "X"\n  must size >= 24,000\n')
    assert (diagnostic.code, marked(diagnostic, source)) == ("E-SYNTAX-010", "24,000")


def test_valid_numbers_and_lists_are_not_slips():
    assert parses("parameter cap: count = 24_000\n")
    assert parses("parameter fee: money = £1,234.56\n")  # money keeps its commas
    assert parses("parameter s: set of count = {1, 000}\n")  # a comma that separates items
    assert parses("parameter m: count = min(24,000)\n")  # two arguments, however odd


def test_a_comma_after_a_number_that_is_no_group_of_three_is_the_general_error():
    diagnostic, _ = only("parameter cap: count = 24,00\n")
    assert diagnostic.code == "E-SYNTAX-001"


# ------------------------------------------------- typographic characters

@pytest.mark.parametrize("char, point", [("\u201c", "U+201C"), ("\u2018", "U+2018")])
def test_curly_quotes_are_named_with_their_code_point_and_the_straight_text(char, point):
    closing = {"\u201c": "\u201d", "\u2018": "\u2019"}[char]
    diagnostic, source = only(f"parameter t: text = {char}Network Contract{closing}\n")
    assert diagnostic.code == "E-SYNTAX-011"
    assert marked(diagnostic, source) == char
    assert point in diagnostic.message and "curly" in diagnostic.message
    assert diagnostic.hint.startswith('write "Network Contract", in straight double quotes `"` (U+0022')


def test_an_en_dash_between_dates_says_to_write_to():
    diagnostic, source = only("parameter r: money\n  from 2025-04-01 \u2013 2026-03-31 = \u00a38\n")
    assert diagnostic.code == "E-SYNTAX-011" and "U+2013 EN DASH" in diagnostic.message
    assert "`2025-04-01 to 2026-03-31`" in diagnostic.hint


def test_an_en_dash_in_an_interval_says_to_write_a_hyphen():
    diagnostic, _ = only("parameter h: interval = 08:00\u201418:30\n")  # an em dash
    assert diagnostic.code == "E-SYNTAX-011" and "`08:00-18:30`" in diagnostic.hint


@pytest.mark.parametrize("char, fix", [("\u00a0", "ordinary space"), ("\u200b", "delete it"),
                                       ("\u2265", "`>=`"), ("\u2212", "`-`")])
def test_invisible_and_mathematical_characters_are_named(char, fix):
    diagnostic, _ = only(f"parameter a: count = 1 +{char}2\n")
    assert diagnostic.code == "E-SYNTAX-011"
    assert f"U+{ord(char):04X}" in diagnostic.message and fix in diagnostic.hint


def test_typographic_characters_in_comments_and_texts_are_fine():
    assert parses('parameter t: text = "the ICB\u2019s \u201cplan\u201d \u2013 2025"  # it\u2019s \u2265\n')


def test_another_non_ascii_character_is_named_by_its_code_point():
    diagnostic, _ = only("parameter caf\u00e9: count = 1\n")
    assert diagnostic.code == "E-SYNTAX-002" and "U+00E9" in diagnostic.message


# --------------------------------------------------------------- operators

@pytest.mark.parametrize("written, fixed", [
    ("size == 30000", "size = 30000"), ("a && b", "a and b"), ("a || b", "a or b"),
    ("!a", "not a"), ("size => 1", "size >= 1"), ("size =< 1", "size <= 1"),
    ("size <> 1", "size != 1"),
])
def test_operators_of_other_languages_show_the_line_rewritten(written, fixed):
    diagnostic, _ = only(f'requirement r.x "X"\n  must {written}\n')
    assert diagnostic.code == "E-SYNTAX-012"
    assert diagnostic.hint == f"write `must {fixed}`"


def test_a_long_line_gets_the_operator_alone():
    long = " and ".join(f"condition_{i}" for i in range(8))
    diagnostic, source = only(f'requirement r.x "X"\n  must {long} == 1\n')
    assert diagnostic.hint == "write `=` in its place" and marked(diagnostic, source) == "=="


# -------------------------------------------------------- hyphens in names

def test_a_hyphenated_name_suggests_underscores_and_names_the_ids_that_may_have_hyphens():
    diagnostic, source = only("parameter min-pcn-population: count = 30000\n")
    assert diagnostic.code == "E-SYNTAX-013"
    assert marked(diagnostic, source) == "min-pcn-population"
    assert diagnostic.hint.startswith("write `min_pcn_population`")
    assert "des.pcn.minimum-population" in diagnostic.hint


def test_hyphenated_ids_and_subtraction_stay_valid():
    assert parses('requirement des.pcn.minimum-population "X"\n  must true\n')
    assert parses("parameter a: count = 3-1\n")


# ----------------------------------------------------------- full stops

@pytest.mark.parametrize("body", [
    'requirement r.x "X"\n  must ok.\n',                        # at the end of the file
    'requirement r.x "X"\n  must ok.\n  severity warning\n',     # before a keyword
    'requirement r.x "X"\n  must ok.   # a note\n  ref "4.1"\n',  # a keyword read as a field
    'parameter a: count = 1\n  ref "4.1".\n',                    # after a text
    'requirement r.x "X"\n  must ok.\nparameter a: count = 1\n',  # before the next declaration
])
def test_a_full_stop_after_a_clause_is_pointed_at(body):
    diagnostic, source = only(body)
    assert diagnostic.code == "E-SYNTAX-014"
    assert marked(diagnostic, source) == "."
    assert diagnostic.hint.startswith("delete the `.`")


def test_dots_inside_names_ids_and_numbers_are_no_full_stop():
    diagnostic, _ = only('requirement r.x "X"\n  must pcn.\n    = 1\n')  # a name is missing
    assert diagnostic.code != "E-SYNTAX-014"
    assert parses("parameter a: number = 8.427\n")


# ----------------------------------------------------------------- percent

def test_a_space_before_percent():
    diagnostic, source = only("parameter p: percent = 50 %\n")
    assert diagnostic.code == "E-SYNTAX-002" and marked(diagnostic, source) == "50 %"
    assert diagnostic.hint == "write `parameter p: percent = 50%`"
