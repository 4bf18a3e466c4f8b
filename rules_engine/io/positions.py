"""Where a field is in a population line: the column and width of the value
at a field path (or of its key), for a problem's place (`arrangements.place_problems`).

Input: a line's JSON text and a field path (`("practices", 4, "ods_code")`).
Output: `(column, width)`, 1-based, or None when the path is not there.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring


#: Every token of a JSON line: strings, punctuation, and the other scalars.
_ALL_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]|[^\s\[\]{}:,"]+')


def json_position(text: str, path: tuple, at_key: bool = False) -> tuple[int, int] | None:
    """(column, width) of the value at a field path in a JSON line, or of its
    key with `at_key`; None if the path is not there. A line of valid JSON is
    walked down the path, each value off it passed over by the json module's
    scanner (a line's warnings are placed with this: a scan of each of its
    thousands of tokens in Python took about a millisecond); any other text
    is scanned token by token (`_scanned_position`)."""
    target = tuple(path)
    try:
        found, end = _walked_position(text, _WS.match(text, 0).end(), target, 0, at_key)
        if found is not None or _WS.match(text, end).end() == len(text):
            return found
    except (ValueError, IndexError, RecursionError):
        pass  # not plain JSON: the scan decides
    return _scanned_position(text, target, at_key)


_WS = re.compile(r"[ \t\n\r]*")
_VALUES = json.JSONDecoder()


def _walked_position(text: str, at: int, target: tuple, depth: int,
                     at_key: bool) -> tuple[tuple[int, int] | None, int]:
    """`json_position` within the JSON value starting at offset `at`, whose
    path is `target[:depth]`: (the column and width found or None, the offset
    just past the value). Raises ValueError or IndexError on text that is not
    JSON. Keys are compared in the order they come, so that of a key given
    twice the first that holds the path is found, as the scan finds it."""
    skip, scan = _WS.match, _VALUES.raw_decode
    char = text[at]
    if depth == len(target):
        if at_key:
            return None, scan(text, at)[1]
        if char == "{" or char == "[":
            return (at + 1, 1), at + 1
        end = scan(text, at)[1]
        return (at + 1, end - at), end
    step = target[depth]
    if char == "{":
        at = skip(text, at + 1).end()
        if text[at] == "}":
            return None, at + 1
        while True:
            if text[at] != '"':
                raise ValueError("a key")
            key, end = scanstring(text, at + 1)
            matched = key == step
            if matched and at_key and depth + 1 == len(target):
                return (at + 1, end - at), end
            colon = skip(text, end).end()
            if text[colon] != ":":
                raise ValueError("a colon")
            start = skip(text, colon + 1).end()
            if matched:
                found, end = _walked_position(text, start, target, depth + 1, at_key)
                if found is not None:
                    return found, end
            else:
                end = scan(text, start)[1]
            at = skip(text, end).end()
            if text[at] == ",":
                at = skip(text, at + 1).end()
            elif text[at] == "}":
                return None, at + 1
            else:
                raise ValueError("a comma")
    if char == "[":
        at = skip(text, at + 1).end()
        if text[at] == "]":
            return None, at + 1
        index = 0
        while True:
            if index == step:
                found, end = _walked_position(text, at, target, depth + 1, at_key)
                if found is not None:
                    return found, end
            else:
                end = scan(text, at)[1]
            at = skip(text, end).end()
            if text[at] == ",":
                at, index = skip(text, at + 1).end(), index + 1
            elif text[at] == "]":
                return None, at + 1
            else:
                raise ValueError("a comma")
    return None, scan(text, at)[1]


def _scanned_position(text: str, target: tuple, at_key: bool) -> tuple[int, int] | None:
    """`json_position` by one scan of the tokens, keeping the path to the
    current token: for text the walk cannot read."""
    stack: list[list] = []  # [kind, key or index] per open object or list
    expect_key = False
    for match in _ALL_TOKENS.finditer(text):
        token = match.group()
        if token in "{[":
            if not at_key and tuple(entry[1] for entry in stack) == target:
                return match.start() + 1, 1
            stack.append(["object", None] if token == "{" else ["list", 0])
            expect_key = token == "{"
        elif token in "}]":
            if stack:
                stack.pop()
        elif token == ",":
            if stack and stack[-1][0] == "list":
                stack[-1][1] += 1
            else:
                expect_key = True
        elif token == ":":
            expect_key = False
        elif stack and stack[-1][0] == "object" and expect_key:
            try:
                stack[-1][1] = json.loads(token)
            except ValueError:
                return None
            if at_key and tuple(entry[1] for entry in stack) == target:
                return match.start() + 1, len(token)
        elif not at_key and tuple(entry[1] for entry in stack) == target:
            return match.start() + 1, len(token)
    return None
