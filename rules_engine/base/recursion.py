"""The Python recursion limit that the engine's recursive walks need.

Lowering, the dependency graph and chains (`a + b + c ...`) are walked
without recursion. What still recurses is bounded by the input limits: the
type checker, the compiler and the compiled closures recurse once per level
of an expression's nesting (at most `max_expression_depth`) and once per
definition a value reads through (at most `max_definition_chain`). `ensure`
raises Python's recursion limit, never lowers it, to what those bounds need
with a margin of about two; the figures below were measured at the limits
(`tests/test_limits_static.py` checks every stage at each limit and one past
it). Python 3.11 and later run Python-to-Python calls without growing the C
stack, so a higher limit costs memory for frames, not a risk of a crash.

>>> ensure() >= needed()
True
"""

from __future__ import annotations

import sys

from rules_engine.base import limits

#: Frames the command line, click and the pipeline take before any walk starts.
BASE_FRAMES = 400
#: Frames per level of nesting, with a margin of about two: measured at about
#: 4 in type checking and 2.5 in compiling and evaluating a chain.
FRAMES_PER_LEVEL = 8


def levels(current: limits.Limits | None = None) -> int:
    """The deepest nesting the static checks let through: an expression
    (`max_expression_depth`) inside the definitions it reads, each read at
    some depth (the type checker refuses a total over this, E-LIMIT-005)."""
    current = current or limits.current()
    return current.max_expression_depth + 2 * current.max_definition_chain


def needed(current: limits.Limits | None = None) -> int:
    """The recursion limit the walks need under `current` (the limits in force)."""
    return BASE_FRAMES + FRAMES_PER_LEVEL * levels(current)


def ensure() -> int:
    """Raise the recursion limit to what the limits in force need; the limit."""
    want = needed()
    if sys.getrecursionlimit() < want:
        sys.setrecursionlimit(want)
    return sys.getrecursionlimit()


# At import too, so that the limit is in place before any caller records it
# (a test harness that restores the limit after each test, say).
ensure()
