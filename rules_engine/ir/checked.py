"""The checked program: what every backend compiles, and what an analysis reads.

One frozen `CheckedProgram` per (library, local layer, period in which the
terms in force do not change): the program in force with its provenance
(`program.layers.Program`), the checker's side tables (the type of every
expression, what every name refers to), the static values of the folding
pass (`fold`), the definitions in dependency order, one plan per fact path
(`plans`), and the built-in table (`static.builtins.BUILTINS`).

Nothing here runs an arrangement: a backend (`rules_engine.backends`) turns a
checked program into a runner that does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from rules_engine.ir.fold import NOT_STATIC, Folder, Known
from rules_engine.ir.ranged import DeclaredRange, declared_range, resolving
from rules_engine.ir.plans import FactPlan, binding_name, plan_of
from rules_engine.program.layers import Program
from rules_engine.static.builtins import BUILTINS, Builtin
from rules_engine.base import typesys as t


@attrs.frozen(eq=False)
class CheckedProgram:
    """A program in force, checked, folded and planned, for one period."""

    program: Program
    period: tuple[dt.date, dt.date]  # the first and last day it serves
    types: dict[int, t.Type]  # expression (by node id) -> its type
    names: dict[int, Any]  # name (by node id) -> what it refers to (`typecheck.Resolved`)
    term_types: dict[str, t.Type]
    define_order: tuple[str, ...]  # every definition after those it reads
    define_scopes: dict[str, tuple[str, ...]]  # definition -> the bound names it needs
    local_rows: bool  # whether results must say if they read a local layer's rows or opt-in changes
    folder: Folder  # the static values (a side table filled on first use)
    builtins: dict[str, Builtin] = BUILTINS
    _plans: dict = attrs.field(factory=dict)
    _ranged: dict = attrs.field(factory=dict)  # what `ranged` found, worked out on first use

    @property
    def local_layer(self) -> str | None:
        return self.program.local.name if self.program.local is not None else None

    def static_value(self, node, known: Known = ()) -> Any:
        """The folded value of an expression, or `NOT_STATIC`."""
        return self.folder.value(node, known)

    def is_static(self, node, known: Known = ()) -> bool:
        """Whether an expression reads nothing an arrangement gives."""
        return self.folder.is_static(node, known)

    def is_constant(self, name: str) -> bool:
        """Whether a definition is the same for every arrangement of the period."""
        return self.folder.is_constant(name)

    def plan(self, node, known: Known = ()) -> FactPlan:
        """The plan of a fact path (a `Field`, or an `Index` that is not a table's)."""
        key = (id(node), known)
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = plan_of(self.folder, node, known)
        return found

    def declared_range(self, node) -> DeclaredRange | None:
        """For a comparison one of whose sides reads a value with a declared
        range, that side and the range (`ir.ranged`); None otherwise."""
        return declared_range(self.types, self.names, node)

    @property
    def resolving(self) -> frozenset[str]:
        """The definitions and requirement ids whose result may rest on a
        comparison decided over a declared range (`ir.ranged`)."""
        found = self._ranged.get("resolving")
        if found is None:
            found = self._ranged["resolving"] = resolving(self.program, self.types, self.names)
        return found

    def binding_name(self, node, known: Known = ()) -> str | None:
        return binding_name(self.folder, node, known)

    def table_rows(self, name: str, national: bool = False) -> dict[tuple, dict]:
        return self.folder.table_rows(name, national)


def _define_order(program: Program) -> tuple[str, ...]:
    """The definitions, each after the definitions it reads (ties in library order)."""
    dependencies = program.checked.dependencies
    order: list[str] = []
    state: dict[str, int] = {}
    for root in program.defines:
        stack = [(root, False)]
        while stack:
            name, ready = stack.pop()
            if ready:
                if state.get(name) != 2:
                    state[name] = 2
                    order.append(name)
                continue
            if name in state:
                continue
            state[name] = 1
            stack.append((name, True))
            stack.extend((d, False) for d in sorted(dependencies.get(name, ()), reverse=True)
                         if d in program.defines and d not in state)
    return tuple(order)


def reads_local_changes(program: Program) -> bool:
    """Whether a result may read what the local layer changed only for some
    subjects: rows it added or marked, or changes for those that opt in."""
    local = program.local.name if program.local is not None else None
    return local is not None and (
        any(layer == local for table in program.tables.values() for _, layer in table.rows)
        or any(table.opted_in is not None for table in program.tables.values())
        or any(define.opted_in is not None for define in program.defines.values()))


def check_program(program: Program, period: tuple[dt.date, dt.date] | None = None) -> CheckedProgram:
    """The checked program of a program in force, serving `period` (by default
    the program's own date alone)."""
    checked = program.checked
    local_rows = reads_local_changes(program)
    return CheckedProgram(program, period or (program.as_of, program.as_of), checked.types, checked.names,
                          checked.term_types, _define_order(program), checked.define_scopes, local_rows,
                          Folder(program, local_rows))


__all__ = ["CheckedProgram", "check_program", "NOT_STATIC"]
