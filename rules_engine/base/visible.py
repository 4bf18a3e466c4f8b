"""Control characters made visible: the one function every string from input
goes through before it is shown on a terminal.

Input: any text (a PCN code, an unknown key, a population line, a scenario
name, a rule file's `because`, or a whole report made of them). Output: the
same text with every control character written as a JSON escape, `\\u001b`:
C0 (but the characters named in `keep`), DEL, C1, the format characters
(bidi embeddings, overrides and isolates, zero-width characters, the byte
order mark, tags), the line and paragraph separators and lone surrogates. An
escape sequence (`ESC [ ... m`, `ESC ] ... BEL`, which sets a window title
or, through OSC 52, the clipboard) thus reaches a terminal as text it shows,
never as a command it obeys, and a bidi override cannot reorder what a reader
sees. The escapes are those of JSON, so a JSON report passed through it
still reads back to the same strings.

>>> visible("U54321\\x1b]0;pwned\\x07")
'U54321\\\\u001b]0;pwned\\\\u0007'
>>> visible("a\\u202eb")
'a\\\\u202eb'
>>> visible("two\\nlines", keep="\\n")
'two\\nlines'
"""

from __future__ import annotations

import re

#: Every character of the Unicode categories Cc (C0, DEL, C1), Cf (format:
#: bidi controls, zero-width characters, tags), Zl, Zp and Cs (lone
#: surrogates, as `surrogateescape` makes from bytes that are not UTF-8).
#: tests/test_visible.py compares it with `unicodedata` for every code point.
_HIDDEN_CLASS = (
    "\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_C0 = "\x00-\x1f"
assert _HIDDEN_CLASS.startswith(_C0)
_PATTERNS: dict[str, re.Pattern] = {}


def _escape(match: re.Match) -> str:
    point = ord(match.group())
    if point > 0xFFFF:  # as JSON writes it: a surrogate pair
        point -= 0x10000
        return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"
    return f"\\u{point:04x}"


#: For ASCII text (most reports and every JSON line a population run writes):
#: keep -> the bytes that are shown as they are (all but C0 and DEL, and the
#: characters of `keep`), which `bytes.translate` deletes in one pass, some
#: 30 times faster on a 20 KB line than the character class below.
_ASCII_SHOWN: dict[str, bytes] = {}


def visible(text: str, keep: str = "") -> str:
    """`text` with every control character made visible as `\\uXXXX`, but
    the characters of `keep` (a report keeps its own line ends: "\\n")."""
    if text.isascii():  # the only hidden characters it can hold are C0 and DEL
        shown = _ASCII_SHOWN.get(keep)
        if shown is None:
            shown = _ASCII_SHOWN[keep] = bytes(point for point in range(0x80)
                                               if 0x20 <= point < 0x7f or chr(point) in keep)
        if not text.encode("ascii").translate(None, shown):
            return text
    pattern = _PATTERNS.get(keep)
    if pattern is None:
        # One character class, the kept C0 characters left out of it (a
        # lookahead before the class makes the scan of text that is not all
        # ASCII twice as slow).
        c0 = "".join(f"\\x{point:02x}" for point in range(0x20) if chr(point) not in keep)
        pattern = _PATTERNS[keep] = re.compile(f"[{c0}{_HIDDEN_CLASS[len(_C0):]}]")
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)
