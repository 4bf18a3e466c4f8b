"""The backend protocol: a backend compiles a checked program into a runner;
a runner answers, per arrangement, each requirement's decision and each
reported definition's value for every subject, and the value of any one
expression for one subject (what `why` asks).

The evaluation loop of `run` (check, explain, impact) reads only this
protocol: which backend computed a decision never shows in a result.

A decision is a `Decision` tuple: the requirement's index in the program,
the subject instance, the outcome, the missing fact paths (sorted), the
warnings that fired, why it is not applicable or passes without its `must`
(`NOT_IN_FORCE`, `NOT_SELECTED`, `WAIVED`, `EXEMPT` or None), and whether
working it out read a local layer's change made only for some subjects (a
row it added, a change for those that opt in), and the unknowns it was
decided without (`ir.ranged`: every value in their declared range gives the
same outcome). A value is a `Value` tuple:
the definition's name, the subject instance, its key (the key variable and
the key, or None), the value (or an `Unknown`), the same local flag and
unknowns not needed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, NamedTuple, Protocol

import attrs

from rules_engine.base.values import FactRecord, Outcome
from rules_engine.ir.checked import CheckedProgram

#: Why a decision is not applicable, or passes without its `must`.
NOT_IN_FORCE, NOT_SELECTED, WAIVED, EXEMPT = "not-in-force", "not-selected", "waived", "exempt"


class Decision(NamedTuple):
    index: int  # the requirement's position in `program.requirements`
    instance: Any  # the subject instance (run.evaluate.SubjectInstance)
    outcome: Outcome
    missing: tuple[str, ...]
    warnings: tuple[str, ...]
    reason: str | None
    local: bool
    unneeded: tuple[str, ...] = ()  # the unknowns a comparison was decided without (`ir.ranged`)


class Value(NamedTuple):
    name: str  # the definition's name
    instance: Any
    key: tuple[str, Any] | None  # (key variable, key) for a value made per key
    value: Any
    local: bool
    unneeded: tuple[str, ...] = ()  # the unknowns a comparison was decided without (`ir.ranged`)


@attrs.frozen
class TraceEvent:
    """One read, as `explain` lists it: a fact, parameter, table row or definition."""

    kind: str  # fact | parameter | table | definition
    name: str
    value: Any
    detail: dict = attrs.field(factory=dict)


#: The subject instances of a scope (`n.Scope` or None for the arrangement):
#: the same list for every scope of one subject (a runner may ask once a subject).
Instances = Callable[[Any], list]


class Tracer(Protocol):
    """Chooses which results a traced run works out, and collects each one's reads."""

    def begin(self, kind: str, name: str, instance: Any, key: tuple | None) -> list | None:
        """A fresh list to record this result's reads in, or None to skip it.
        `kind` is requirement or value; `name` the requirement id or definition name."""


class Probe(Protocol):
    """What a coverage run records (`run.coverage`): the closure backend, given
    one, wraps each `where`, `must`, `unless`, waiver condition and `if`
    condition so that every value it gives is recorded (a compile without a
    probe has no wrapper at all)."""

    def point(self, role: str, node) -> Callable[[Any], None]:
        """The recorder of one condition (`role`: where, must, unless, waiver or
        if; `node`: its expression), called with each value it gives."""


class Runner(Protocol):
    """A checked program compiled by one backend."""

    checked: CheckedProgram

    def decisions(self, facts: FactRecord, as_of: dt.date, instances: Instances,
                  tracer: Tracer | None = None, make: Callable[..., Any] = Decision) -> Iterable[Any]:
        """Every requirement's decision for every subject, in program order:
        each `make(*fields of a Decision)` (the evaluation loop gives a `make`
        that builds its result at once, with no tuple in between)."""

    def values(self, facts: FactRecord, as_of: dt.date, instances: Instances,
               tracer: Tracer | None = None, make: Callable[..., Any] = Value) -> Iterable[Any]:
        """Every reported definition in force, for every subject and key:
        each `make(*fields of a Value)`."""

    def scope(self, facts: FactRecord, as_of: dt.date, bindings: dict) -> Any:
        """What `value_of` reads one subject's expressions in; its `bindings`
        (a dict) may be given more names (a quantifier's variable)."""

    def value_of(self, node, scope: Any) -> Any:
        """One expression's value for one subject (`why` walks a condition with it)."""


class Backend(Protocol):
    name: str

    def compile(self, checked: CheckedProgram, traced: bool = False) -> Runner:
        """A runner for the checked program; `traced`, one that can record reads."""
