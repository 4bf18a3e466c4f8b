"""Input limits: one table, one code each, a documented default, settable.

Every input the engine reads (rule files, arrangements, scenario files,
population lines, assumption files) is bounded, so that any input, however
large, deep or malformed, gets an answer: a diagnostic with the limit's code,
never a traceback, a hang or memory exhaustion.

A limit is changed for one run with `--limit NAME=VALUE` on the command line
(repeatable) or for a whole environment with
`CONTRACT_RULES_LIMITS="name=value,name=value"`; the command line wins. The
environment variable is how `--jobs` workers inherit the settings.

>>> current().max_nesting_depth
200
>>> with overridden(max_nesting_depth=10):
...     current().max_nesting_depth
10
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator, Mapping

import attrs

ENVIRONMENT = "CONTRACT_RULES_LIMITS"


@attrs.frozen
class Limit:
    """One limit: its setting name, its diagnostic code, default and meaning."""

    name: str
    code: str
    default: int
    unit: str
    meaning: str


#: The limits, one row each. `code` is the diagnostic a breach reports.
TABLE: tuple[Limit, ...] = (
    Limit("max_file_bytes", "E-LIMIT-001", 20 * 1024 * 1024, "bytes",
          "size of one rule file, arrangement, scenario or assumptions file (read no further)"),
    Limit("max_line_bytes", "E-LIMIT-002", 4 * 1024 * 1024, "bytes",
          "length of one line of a population file (JSON lines)"),
    Limit("max_nesting_depth", "E-LIMIT-003", 200, "levels",
          "nesting of mappings and lists in an arrangement, scenario or population line"),
    Limit("max_expression_depth", "E-LIMIT-004", 150, "levels",
          "nesting of one expression in a rule file (operators, brackets, calls)"),
    Limit("max_definition_chain", "E-LIMIT-005", 400, "definitions",
          "length of a chain of definitions and parameters that read each other"),
    Limit("max_aliases", "E-LIMIT-006", 100, "aliases",
          "YAML aliases (*name) in one arrangement or scenario file"),
    Limit("max_number_digits", "E-LIMIT-007", 15, "digits",
          "digits before the decimal point of a number in an arrangement or rule file"),
    Limit("max_year", "E-LIMIT-008", 2200, "year",
          "latest year of a date in an arrangement or rule file (the earliest is 1900)"),
)

BY_NAME: dict[str, Limit] = {limit.name: limit for limit in TABLE}
BY_CODE: dict[str, Limit] = {limit.code: limit for limit in TABLE}
EARLIEST_YEAR = 1900


@attrs.frozen
class Limits:
    """The limits in force: one attribute per row of `TABLE`."""

    max_file_bytes: int = BY_NAME["max_file_bytes"].default
    max_line_bytes: int = BY_NAME["max_line_bytes"].default
    max_nesting_depth: int = BY_NAME["max_nesting_depth"].default
    max_expression_depth: int = BY_NAME["max_expression_depth"].default
    max_definition_chain: int = BY_NAME["max_definition_chain"].default
    max_aliases: int = BY_NAME["max_aliases"].default
    max_number_digits: int = BY_NAME["max_number_digits"].default
    max_year: int = BY_NAME["max_year"].default


class LimitSettingError(ValueError):
    """A `NAME=VALUE` setting that names no limit or gives no whole number."""


def parse_settings(text: str) -> dict[str, int]:
    """`"max_file_bytes=1000, max_aliases=5"` -> {"max_file_bytes": 1000, ...}."""
    settings: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise LimitSettingError(f"`{item}` is not NAME=VALUE")
        if name not in BY_NAME:
            raise LimitSettingError(f"no limit called `{name}`; limits: {', '.join(BY_NAME)}")
        try:
            number = int(value.strip().replace("_", ""))
        except ValueError:
            raise LimitSettingError(f"`{value.strip()}` is not a whole number (in `{item}`)") from None
        if number < 1:
            raise LimitSettingError(f"limit `{name}` must be at least 1, not {number}")
        settings[name] = number
    return settings


def _from_environment() -> Limits:
    text = os.environ.get(ENVIRONMENT, "")
    try:
        return Limits(**parse_settings(text))
    except LimitSettingError:
        return Limits()  # the CLI reports a bad setting; the library falls back to defaults


_current: Limits | None = None


def current() -> Limits:
    """The limits in force for this process."""
    global _current
    if _current is None:
        _current = _from_environment()
    return _current


def configure(settings: Mapping[str, int]) -> Limits:
    """Set limits for this process and the worker processes it starts."""
    global _current
    merged = {**attrs.asdict(current()), **settings}
    _current = Limits(**merged)
    os.environ[ENVIRONMENT] = ",".join(f"{k}={v}" for k, v in merged.items())
    return _current


@contextlib.contextmanager
def overridden(**settings: int) -> Iterator[Limits]:
    """Limits changed for the duration of a `with` block (tests use it)."""
    global _current
    before, environment = current(), os.environ.get(ENVIRONMENT)
    try:
        yield configure(settings)
    finally:
        _current = before
        if environment is None:
            os.environ.pop(ENVIRONMENT, None)
        else:
            os.environ[ENVIRONMENT] = environment


def describe(limit: Limit, value: int | None = None) -> str:
    """How a breach's hint names the limit and how to raise it."""
    value = current().__getattribute__(limit.name) if value is None else value
    shown = f"{value}" if limit.unit == "year" else f"{value:,} {limit.unit}"
    return (f"the limit `{limit.name}` is {shown}; "
            f"raise it with `--limit {limit.name}=N` if this input is genuine")
