"""Authoring slips: the commonest mistakes in rule files and arrangements,
recognised so that the error says what to write.

Input: the text around a syntax error (the parser passes the offset and the
kind of token or character it stopped at, as plain data: this module does
not import Lark), or a literal or value a later stage refused. Output: a
`Slip` (code, message, the offsets to point at, a hint), or None when the
error is no known slip and the general message stands.

The slips, as the parser meets them: thousands separators or a decimal
comma in a number (`24,000`, `24 000`, `£8,43`; E-SYNTAX-010); a typographic
character pasted from a word processor or a PDF (curly quotes, dashes,
non-breaking and zero-width spaces, `≥`, `½`; E-SYNTAX-011, named with its
code point); an operator from another language (`==`, `&&`, `||`, `!`, `=>`,
`<>`, `and/or`; E-SYNTAX-012); a hyphen in a name (E-SYNTAX-013); a full stop
after a clause (E-SYNTAX-014); a date as documents write it (`01/04/2025`,
`1 April 2025`, `2025/26`; E-SYNTAX-015); and a few phrases (`50 %`, `100£`,
`ref §4.1`, `must:`, a period with `until`, `between 1 to 3`, `icb "QMM"`).
Every check looks only at the line of the error, so the cost of a diagnostic
does not grow with the file (error recovery stays linear).

For later stages: dates and times written another way (`other_date`,
`other_time`) and a hyphenated name (`hyphenated_name`). The slips in values
(a quoted literal, an impossible date, an arrangement's numbers and
intervals) are in `value_slips`.

>>> slip = token_slip("parameter cap: count = 24,000\\n", 25, "COMMA")
>>> slip.code, slip.hint
('E-SYNTAX-010', 'write `24000` (digits may be grouped with `_`: `24_000`)')
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date as dt_date

import attrs


@attrs.frozen
class Slip:
    """What to report instead of the general syntax error."""

    code: str
    message: str
    start: int  # offsets into the text given
    end: int
    hint: str | None = None
    fix: str | None = None  # the text to write in place of start..end, when the fix is plain


@attrs.frozen
class Typographic:
    """A character a word processor or a PDF puts where the language needs a plain one."""

    what: str  # how the message names it
    plain: str  # the character to write instead ("" to delete it)
    advice: str  # the hint when nothing more specific applies


_DOUBLE = 'texts are written in straight double quotes `"`: "like this"'
_SINGLE = ('texts are written in straight double quotes `"`, not single quotes: "like this"; '
           "in a comment or inside a text, `’` is fine")
_DASH = "write a plain hyphen-minus `-`; a period is written `2025-04-01 to 2026-03-31`"
_SPACE = "replace it with an ordinary space"
_DELETE = "delete it: it is invisible, and a rule file may not hold it outside a comment or a text"

#: The typographic characters and what to write instead: one row each.
TYPOGRAPHIC: dict[str, Typographic] = {
    "\u201c": Typographic("a curly opening double quote", '"', _DOUBLE),
    "\u201d": Typographic("a curly closing double quote", '"', _DOUBLE),
    "\u201e": Typographic("a low double quote", '"', _DOUBLE),
    "\u00ab": Typographic("a guillemet", '"', _DOUBLE),
    "\u00bb": Typographic("a guillemet", '"', _DOUBLE),
    "\u2018": Typographic("a curly opening single quote", '"', _SINGLE),
    "\u2019": Typographic("a curly closing single quote (apostrophe)", '"', _SINGLE),
    "\u2032": Typographic("a prime", '"', _SINGLE),
    "\u2033": Typographic("a double prime", '"', _DOUBLE),
    "\u2013": Typographic("an en dash", "-", _DASH),
    "\u2014": Typographic("an em dash", "-", _DASH),
    "\u2012": Typographic("a figure dash", "-", _DASH),
    "\u2010": Typographic("a typographic hyphen", "-", _DASH),
    "\u2011": Typographic("a non-breaking hyphen", "-", _DASH),
    "\u2212": Typographic("a minus sign", "-", "write a plain hyphen-minus `-`"),
    "\u00a0": Typographic("a non-breaking space", " ", _SPACE),
    "\u202f": Typographic("a narrow non-breaking space", " ", _SPACE),
    "\u2009": Typographic("a thin space", " ", _SPACE),
    "\u2007": Typographic("a figure space", " ", _SPACE),
    "\u3000": Typographic("an ideographic space", " ", _SPACE),
    "\u200b": Typographic("a zero-width space", "", _DELETE),
    "\u200c": Typographic("a zero-width non-joiner", "", _DELETE),
    "\u200d": Typographic("a zero-width joiner", "", _DELETE),
    "\u2060": Typographic("a word joiner", "", _DELETE),
    "\ufeff": Typographic("a byte-order mark", "", _DELETE),
    "\u00ad": Typographic("a soft hyphen", "", _DELETE),
    "\u2265": Typographic("a greater-than-or-equal sign", ">=", "write `>=`"),
    "\u2264": Typographic("a less-than-or-equal sign", "<=", "write `<=`"),
    "\u2260": Typographic("a not-equal sign", "!=", "write `!=`"),
    "\u00d7": Typographic("a multiplication sign", "*", "write `*`"),
    "\u00f7": Typographic("a division sign", "/", "write `/`"),
    "\u2026": Typographic("an ellipsis", "...", "the language has no `...`; write the value in full"),
    "\u00bd": Typographic("a fraction character", "0.5", "write `0.5`"),
    "\u00bc": Typographic("a fraction character", "0.25", "write `0.25`"),
    "\u00be": Typographic("a fraction character", "0.75", "write `0.75`"),
}

_SPACES = frozenset(c for c, t in TYPOGRAPHIC.items() if t.plain == " ")
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"\d{1,2}:\d{2}"
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)")
_SPACED = re.compile(r"\d{1,3}(?:[ \u00a0\u202f\u2009\u2007]\d{3})+(?:\.\d+)?(?!\d)")
_DECIMAL_COMMA = re.compile(r"£?\d+,\d{1,2}(?!\d)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+")
_SHORT = 72  # a fixed line longer than this is not quoted whole in a hint


def code_point(char: str) -> str:
    """`U+201C LEFT DOUBLE QUOTATION MARK`."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _line(text: str, pos: int) -> tuple[int, int]:
    """Offsets of the start and end of the line holding `pos`."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _code_of_line(text: str, pos: int) -> tuple[int, str]:
    """(start offset, text) of the line holding `pos`, without a trailing comment."""
    start, end = _line(text, pos)
    line = text[start:end]
    comment = line.find("#", line.rfind('"') + 1)  # a `#` after the last quote starts a comment
    return start, (line[:comment] if comment >= 0 else line).rstrip()


def _fixed_line(text: str, start: int, end: int, replacement: str) -> str | None:
    """The line of `start` with text[start:end] replaced, stripped; None if it is long."""
    line_start, code = _code_of_line(text, start)
    fixed = (code[:start - line_start] + replacement + code[end - line_start:]).strip()
    return fixed if len(fixed) <= _SHORT else None


def _write(text: str, start: int, end: int, replacement: str, short: str | None = None) -> str:
    """`write `the line, fixed``, or `write `short`` (the replacement) in place of a long line."""
    short = replacement if short is None else short
    fixed = _fixed_line(text, start, end, replacement)
    return f"write `{fixed}`" if fixed else f"write `{short}` in its place"


def _thousands(number: str, start: int, end: int) -> Slip:
    plain = re.sub(r"[^\d.]", "", number)
    whole = plain.partition(".")[0]
    grouped = "_".join(re.findall(r"\d{1,3}", whole[::-1]))[::-1] if len(whole) > 3 else whole
    grouped += plain[len(whole):]
    return Slip("E-SYNTAX-010", f"`{number}`: numbers are written without thousands separators",
                start, end, hint=f"write `{plain}` (digits may be grouped with `_`: `{grouped}`)", fix=plain)


def _number_around(text: str, pos: int, pattern: re.Pattern) -> re.Match | None:
    """The match of `pattern` on the line of `pos` that spans `pos`, not part
    of a longer word or number."""
    line_start, line_end = _line(text, pos)
    for match in pattern.finditer(text, line_start, line_end):
        if match.start() <= pos < match.end():
            before = text[match.start() - 1] if match.start() > line_start else " "
            if before.isalnum() or before in "_.£":
                return None
            return match
    return None


# ------------------------------------------------------ unexpected characters

def character_slip(text: str, pos: int) -> Slip | None:
    """A slip at a character the language has no token for."""
    char = text[pos] if pos < len(text) else ""
    if not char:
        return None
    if char in _SPACES:
        number = _number_around(text, pos, _SPACED)
        if number is not None:
            return _thousands(number.group(0), number.start(), number.end())
    row = TYPOGRAPHIC.get(char)
    if row is not None:
        shown = (f"there is {row.what} here ({code_point(char)})" if row.plain in (" ", "")
                 else f"`{char}` ({code_point(char)}) is {row.what}")
        return Slip("E-SYNTAX-011", f"{shown}, as a word processor or a PDF writes it", pos, pos + 1,
                    hint=_typographic_hint(text, pos, row), fix=row.plain)
    if char == "%":
        window = max(0, pos - 40)
        before = text[window:pos].rstrip(" \t")
        number = re.search(r"(?<![\w.])\d+(?:\.\d+)?$", before)
        if number is not None and window + len(before) < pos:
            start = window + number.start()
            return Slip("E-SYNTAX-002", "`%` must follow its number directly", start, pos + 1,
                        hint=_write(text, start, pos + 1, number.group(0) + "%"), fix=number.group(0) + "%")
    if char == "£":
        before = text[max(0, pos - 30):pos]
        number = re.search(r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?$", before)
        if number is not None:
            start = pos - len(number.group(0))
            digits = number.group(0).strip()
            return Slip("E-SYNTAX-002", "`£` goes before the amount", start, pos + 1,
                        hint=_write(text, start, pos + 1, "£" + digits), fix="£" + digits)
    if char == "§":
        word = re.match(r"§\s?[\w.()-]*", text[pos:pos + 40]).group(0).rstrip(".")
        return Slip("E-SYNTAX-002", f"`{word}` outside quotes: a clause reference is a quoted text",
                    pos, pos + len(word), hint=_write(text, pos, pos + len(word), f'"{word}"'), fix=f'"{word}"')
    if char == '"':
        return Slip("E-SYNTAX-002", "this text is not closed on its line", pos, pos + 1,
                    hint='a text in quotes ends on the line it starts: join the lines, or close it with `"`')
    if char == "&":
        end = pos + 2 if text[pos + 1:pos + 2] == "&" else pos + 1
        return Slip("E-SYNTAX-012", f"`{text[pos:end]}` is not an operator here: "
                    "the language writes `and`", pos, end, hint=_write(text, pos, end, "and"), fix="and")
    if char == "!":
        return Slip("E-SYNTAX-012", "`!` is not an operator here: the language writes `not`",
                    pos, pos + 1, hint=_write(text, pos, pos + 1, "not ", "not"), fix="not ")
    if not char.isascii():
        return Slip("E-SYNTAX-002", f"unexpected character `{char}` ({code_point(char)})", pos,
                    pos + 1, hint="outside comments and texts, a rule file is written in plain "
                                  "ASCII letters, digits and signs (and `£`)")
    return None


def _ids(*chars: str) -> str:
    ids = sorted({f"U+{ord(c):04X}" for c in chars})
    return " and ".join(ids) + (" are" if len(ids) > 1 else " is")


def _typographic_hint(text: str, pos: int, row: Typographic) -> str:
    char = text[pos]
    if row.plain == '"':
        line_start, line_end = _line(text, pos)
        closing = re.compile('[\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019\u2032\u2033"]')
        close = closing.search(text, pos + 1, line_end)
        if close is not None and 0 < close.start() - pos <= _SHORT and "\n" not in text[pos:close.end()]:
            inner = text[pos + 1:close.start()]
            quoted = '"' + inner.replace('"', '\\"') + '"'
            return (f"write {quoted}, in straight double quotes `\"` (U+0022 QUOTATION MARK); "
                    f"{_ids(char, text[close.start()])} not quotes to the language")
        return row.advice
    if row.plain == "-":
        before = text[max(0, pos - 16):pos].rstrip()
        after = text[pos + 1:pos + 17].lstrip()
        first = re.search(_DATE + "$", before)
        second = re.match(_DATE, after)
        if first and second:
            return (f"a period is written with `to`: `{first.group(0)} to {second.group(0)}`")
        first, second = re.search(_TIME + "$", before), re.match(_TIME, after)
        if first and second:
            return f"write the interval with a plain hyphen: `{first.group(0)}-{second.group(0)}`"
        return row.advice
    return row.advice


# ------------------------------------------------------- unexpected tokens

def token_slip(text: str, start: int, token_type: str, end: int | None = None) -> Slip | None:
    """A slip at a token that is valid on its own but not where it stands;
    `start`/`end` are the token's offsets, `token_type` its terminal's name."""
    end = start + 1 if end is None else end
    char = text[start:start + 1]
    phrase = _phrase_slip(text, start, end)
    if phrase is not None:
        return phrase
    dated = other_date(text, start)
    if dated is not None:
        return dated
    if token_type == "COMMA":
        number = _number_around(text, start, _GROUPED)
        if number is not None:
            return _thousands(number.group(0), number.start(), number.end())
        comma = _number_around(text, start, _DECIMAL_COMMA)
        if comma is not None:
            fixed = comma.group(0).replace(",", ".")
            return Slip("E-SYNTAX-010", f"`{comma.group(0)}`: the decimal point is written `.`",
                        comma.start(), comma.end(), hint=f"write `{fixed}`", fix=fixed)
    if char == "/" and text[start - 3:start] == "and" and text[start + 1:start + 3] == "or":
        return Slip("E-SYNTAX-012", "`and/or` is not an operator: `or` is true when either or "
                    "both hold", start - 3, start + 3, hint=_write(text, start - 3, start + 3, "or"), fix="or")
    if text[start:end] == "per":
        value = re.search(r"(£\s?[\d,]+(?:\.\d+)?|\d[\d_]*(?:\.\d+)?(?:\s+[A-Za-z]+)?)\s+$",
                          text[max(0, start - 40):start])
        if value is not None:
            rate = re.match(r"per\s+[A-Za-z_]\w*", text[start:start + 40])
            stop = start + (len(rate.group(0)) if rate else 3)
            return Slip("E-SYNTAX-001", f"`{text[start:stop]}` after a value: a rate says what it "
                        "is per in its type", start, stop,
                        hint=f"write the value alone (`{value.group(1)}`) and the rate in the type: "
                             "`parameter rate: money per patient = £8.427`")
    if char in ")}]":
        back = start
        while back > 0 and start - back < 200 and text[back - 1] in " \t\r\n":
            back -= 1
        if back > 0 and text[back - 1] == ",":
            return Slip("E-SYNTAX-001", f"a comma before `{char}`: nothing follows it in the list",
                        back - 1, back, hint="delete the comma after the last item", fix="")
    if token_type == "COLON":
        word = re.search(r"\b(must|where|unless|for|because|ref|severity|effective|note|"
                         r"columns|row|source|version|from|when|report|keyed|extends)\s*$",
                         text[max(0, start - 20):start])
        if word is not None:
            keyword = word.group(1)
            return Slip("E-SYNTAX-001", f"`{keyword}` takes no colon", start, start + 1,
                        hint=_write(text, start, start + 1 + (text[start + 1:start + 2] == " "), " ",
                                    f"{keyword} ..."))
    if token_type == "NUMBER":
        number = _number_around(text, start, _SPACED)
        if number is not None and number.start() < start:
            return _thousands(number.group(0), number.start(), number.end())
    if char == "=" and start > 0 and text[start - 1] == "=":
        return Slip("E-SYNTAX-012", "`==` is not an operator: equality is written with one `=`",
                    start - 1, start + 1, hint=_write(text, start - 1, start + 1, "="), fix="=")
    if char in "<>" and start > 0 and text[start - 1] == "=":
        right = char + "="
        return Slip("E-SYNTAX-012", f"`={char}` is not an operator: the language writes `{right}`",
                    start - 1, start + 1, hint=_write(text, start - 1, start + 1, right), fix=right)
    if char == ">" and start > 0 and text[start - 1] == "<":
        return Slip("E-SYNTAX-012", "`<>` is not an operator: not-equal is written `!=`",
                    start - 1, start + 1, hint=_write(text, start - 1, start + 1, "!="), fix="!=")
    if char == "|" and text[start + 1:start + 2] == "|":
        return Slip("E-SYNTAX-012", "`||` is not an operator: the language writes `or`",
                    start, start + 2, hint=_write(text, start, start + 2, "or"), fix="or")
    if char == "-" and token_type == "MINUS":
        word = _hyphenated(text, start)
        if word is not None:
            return word
    stop = _full_stop(text, start, token_type)
    if stop is not None:
        return stop
    return None


_FINANCIAL_YEAR = re.compile(r"(?<![\w-])(\d{4})\s?[/\-\u2013]\s?(\d{2}|\d{4})(?![\w-])")
_PERIOD_WORD = re.compile(r"(" + _DATE + r")\s*$")


def _phrase_slip(text: str, start: int, end: int) -> Slip | None:
    """Slips in the fixed phrases of a header or a clause: a period written
    `2025-04-01 - 2026-03-31`, `until`, `2025/26`, `effective from`; a bound
    `between 1 to 3` or `flexible 1-3`; `icb "QMM"` in quotes."""
    line_start, line_end = _line(text, start)
    before = text[line_start:start]
    token = text[start:end]
    after = text[end:line_end]
    period = _PERIOD_WORD.search(before)
    if period is not None and token in ("-", "until", "till", "through", "thru", "and"):
        second = re.match(r"\s*(" + _DATE + ")", after)
        fixed = f"{period.group(1)} to {second.group(1)}" if second else f"{period.group(1)} to ..."
        return Slip("E-SYNTAX-001", f"`{token}` between the dates of a period: a period is written "
                    "with `to`", start, end, hint=f"write `{fixed}`")
    year = _FINANCIAL_YEAR.match(text, start, line_end)
    if year is not None and re.search(r"\b(effective|from)\s+$", before):
        first, second = int(year.group(1)), int(year.group(2)[-2:])
        if second == (first + 1) % 100:
            return Slip("E-SYNTAX-015", f"`{year.group(0)}`: a financial year is written as its "
                        "dates", year.start(), year.end(),
                        hint=f"write `{first}-04-01 to {first + 1}-03-31`")
    if token == "from" and re.search(r"\beffective\s+$", before):
        return Slip("E-SYNTAX-001", "`effective` takes its dates without `from`", start, end,
                    hint=_write(text, start, end + (text[end:end + 1] == " "), "", "effective 2025-04-01"), fix="")
    if token.startswith('"') and re.search(r"\bicb\s+$", before):
        code = token.strip('"')
        return Slip("E-SYNTAX-001", "the ICB code is written without quotes", start, end,
                    hint=_write(text, start, end, code, f"icb {code}"), fix=code)
    bound = re.search(r"\bbetween\s+(\S+)\s+to\s+$", before)
    if bound is not None:
        return Slip("E-SYNTAX-001", "a range is written `between LOW and HIGH`",
                    line_start + bound.start(), end,
                    hint=f"write `between {bound.group(1)} and {token}`")
    dash = re.match(r"(\S+?)-(\S+)", text[start:line_end])
    if dash is not None and re.search(r"\bflexible\s+$", before):
        return Slip("E-SYNTAX-001", "a range is written `between LOW and HIGH`", start,
                    start + dash.end(), hint=f"write `flexible between {dash.group(1)} and {dash.group(2)}`")
    return None


def _hyphenated(text: str, pos: int) -> Slip | None:
    """`min-pcn-population` where a name is expected."""
    if pos == 0 or not (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return None
    match = _number_around(text, pos, _WORD)
    if match is None:
        return None
    word = match.group(0)
    return hyphenated_name(word, match.start(), match.end())


def hyphenated_name(word: str, start: int, end: int, known: str | None = None) -> Slip:
    """The slip for a name written with hyphens; `known` when the underscored
    name is declared (the type checker knows)."""
    fixed = word.replace("-", "_")
    exists = f" (`{fixed}` is declared)" if known else ""
    return Slip("E-SYNTAX-013", f"`{word}`: names cannot contain hyphens", start, end,
                hint=f"write `{fixed}`{exists}; hyphens belong only in the dotted ids of requirements "
                     "and reported values, such as `des.pcn.minimum-population`")


def _full_stop(text: str, pos: int, token_type: str) -> Slip | None:
    """A `.` that ends a clause, as a sentence would: the error is at the
    `.` itself (when nothing may follow there) or at what comes after it
    on a later line (when a name was expected after the dot)."""
    if token_type == "DOT":
        dot = pos
    else:
        # The error is on a later line, at its first word or just after it:
        # a clause keyword right after a dot reads as a field (`ok.ref`).
        line_start = _line(text, pos)[0]
        if re.fullmatch(r"(?:\s*[a-z]+\b.*)?\s*", text[line_start:pos]) is None \
                or not (text[pos:pos + 1].isalnum() or text[pos:pos + 1] in '_"'):
            return None
        before = _code_before(text, line_start)
        if before is None or text[before - 1] != ".":
            return None
        dot = before - 1
    line_start, code = _code_of_line(text, dot)
    if len(code) != dot - line_start + 1 or (dot > 0 and text[dot - 1] == "."):
        return None  # something follows the dot on its line, or `..`: not a full stop
    return _stop_slip(dot)


def _code_before(text: str, line_start: int) -> int | None:
    """The offset just after the last code character before the line that
    starts at `line_start`, looking back over blank and comment lines (a few
    at most: the cost stays bounded)."""
    for _ in range(8):
        if line_start == 0:
            return None
        previous, code = _code_of_line(text, line_start - 1)
        if code.strip():
            return previous + len(code)
        line_start = previous
    return None


def _stop_slip(dot: int) -> Slip:
    return Slip("E-SYNTAX-014", "a clause does not end with a full stop", dot, dot + 1,
                hint="delete the `.`: a clause ends where the next keyword (or the next "
                     "declaration) begins", fix="")


def end_slip(text: str, stop: int) -> Slip | None:
    """A slip where the file or a declaration ends early (`stop`: after its last character not a space)."""
    stopped = stop > 0 and text[stop - 1] == "." and text[stop - 2:stop - 1] != "."
    return _stop_slip(stop - 1) if stopped else None


# ------------------------------------- dates and times written another way

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
#: Dates as documents write them, and how each reads as (year, month, day).
_DATE_FORMS = (
    (re.compile(r"(?<![\w./-])(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?![\w/.-])"), ("d", "m", "y")),
    (re.compile(r"(?<![\w./-])(\d{1,2})-(\d{1,2})-(\d{4})(?![\w/.-])"), ("d", "m", "y")),
    (re.compile(r"(?<![\w./-])(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?![\w/.-])"), ("y", "m", "d")),
    (re.compile(r"(?<![\w./-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w/.-])"), ("y", "m", "d")),
    (re.compile(r"(?<![\w.])(\d{1,2})(?:st|nd|rd|th)?\s+(%s)\.?,?\s+(\d{4})(?![\w.])" % _MONTH,
                re.IGNORECASE), ("d", "m", "y")),
    (re.compile(r"(?<![\w.])(%s)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?![\w.])" % _MONTH,
                re.IGNORECASE), ("m", "d", "y")),
)
_TIME_FORMS = re.compile(r"(?<![\w.:])(\d{1,2})(?:[.:](\d{2}))?\s?([ap]\.?m\.?)(?![\w])|"
                         r"(?<![\w.:])(\d{1,2})\.(\d{2})(?![\w.:])", re.IGNORECASE)


def _iso(parts: dict) -> str | None:
    try:
        month = parts["m"] if isinstance(parts["m"], int) else _MONTHS.get(parts["m"].lower().rstrip("."))
        if isinstance(parts["m"], str) and parts["m"].isdigit():
            month = int(parts["m"])
        return dt_date(int(parts["y"]), month, int(parts["d"])).isoformat()
    except (TypeError, ValueError):
        return None


def other_date(text: str, pos: int) -> Slip | None:
    """A date written as a document writes it (`01/04/2025`, `2025-4-1`,
    `1 April 2025`) on the line of `pos`, covering `pos`: E-SYNTAX-015 with
    the date in the language's form (day first, as in the UK)."""
    line_start, line_end = _line(text, pos)
    for pattern, order in _DATE_FORMS:
        for match in pattern.finditer(text, line_start, line_end):
            if match.start() <= pos < match.end():
                written = match.group(0)
                iso = _iso(dict(zip(order, match.groups())))
                if written == iso:
                    return None
                if iso is None:
                    hint = "write the year, the month and the day, each with its zeros: 2025-04-01"
                elif order[0] == "d" and not re.search("[A-Za-z]", written):
                    hint = f"write `{iso}` (read day first, as UK documents write dates)"
                else:
                    hint = f"write `{iso}`"
                return Slip("E-SYNTAX-015", f"`{written}`: dates are written YYYY-MM-DD",
                            match.start(), match.end(), hint=hint)
    return None


def other_time(text: str, pos: int) -> Slip | None:
    """A time of day written `08.00`, `8am` or `6.30pm`: E-SYNTAX-015 with it on the 24-hour clock."""
    line_start, line_end = _line(text, pos)
    for match in _TIME_FORMS.finditer(text, line_start, line_end):
        if not match.start() <= pos < match.end():
            continue
        if match.group(4) is not None:
            hours, minutes = int(match.group(4)), int(match.group(5))
        else:
            hours, minutes = int(match.group(1)), int(match.group(2) or 0)
            pm = match.group(3).lower().startswith("p")
            if not 1 <= hours <= 12:
                return None
            hours = (hours % 12) + (12 if pm else 0)
        if hours > 23 or minutes > 59:
            return None
        return Slip("E-SYNTAX-015", f"`{match.group(0)}`: times of day are written HH:MM on the "
                    "24-hour clock", match.start(), match.end(), hint=f"write `{hours:02d}:{minutes:02d}`")
    return None
