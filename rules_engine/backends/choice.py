"""Which backend runs: `CONTRACT_RULES_BACKEND=closures|generated`. Unset,
the generated backend, once a program has checked `TIER_UP` arrangements
through the closures (compiling a module costs more than checking a few
files: `run.engine.Engine.program`). `explain` always traces through the
closure backend.

>>> sorted(BACKENDS)
['closures', 'generated']
"""

from __future__ import annotations

import os

from rules_engine.backends.closure_runner import CLOSURES
from rules_engine.backends.generated import GENERATED

ENVIRONMENT = "CONTRACT_RULES_BACKEND"
DEFAULT = "generated"
BACKENDS = {"closures": CLOSURES, "generated": GENERATED}


class BackendChoiceError(ValueError):
    """`CONTRACT_RULES_BACKEND` names no backend."""


def problem(value: str | None) -> str | None:
    """What is wrong with a choice of backend, or None."""
    if value is None or value in BACKENDS:
        return None
    shown = value.encode("unicode_escape").decode("ascii")
    return f"{ENVIRONMENT}={shown} names no backend; choose one of: {', '.join(sorted(BACKENDS))}"


#: Arrangements a program checks through the closure backend, when the
#: environment chooses no backend, before the generated backend compiles it,
#: if it has checked most of the arrangements so far (the program of most of
#: a population's lines, which will check many more: England's national one).
TIER_UP = 16
#: The same for any other program: about where compiling pays by itself.
#: Measured on 2026-12-06 (benchmarks/README.md), compiling an England
#: program took 116 ms and saved 1.5 ms an arrangement (3.5 against 2.0 ms),
#: the peers' 17 rules 17 ms and 0.21 ms: both pay after some 80
#: arrangements. An ICB's local layer makes a program of its own, which in an
#: England population serves a few dozen lines: at 16, each compiled a module
#: it never paid back (some 0.5 s of a 1,275-line run).
TIER_UP_MINORITY = 80


def explicit() -> bool:
    """Whether the environment chooses the backend."""
    return os.environ.get(ENVIRONMENT) is not None


def chosen():
    """The backend the environment chooses (the default when it chooses none)."""
    value = os.environ.get(ENVIRONMENT)
    wrong = problem(value)
    if wrong is not None:
        raise BackendChoiceError(wrong)
    return BACKENDS[value or DEFAULT]
