"""Provisional marks that reach every number: what a term reads, it inherits.

A requirement or reported value is provisional when its own term says so, or
when anything it reads is: a parameter, a table (its rows in force), or a
definition that is, however deep. The reasons are gathered once per program
(when its evaluator is made), from the terms' bodies, deduplicated and in the
order they are met, each naming what it came from:

    table qof_thresholds: 2025/26 thresholds come from a third-party lookup tool ...

On a date a provisional period carries a contract into (carry.py), every
term read from that contract is marked with the carrying contract's reason.

The marks are static: they follow every read a term's body can make, whichever
branch a subject takes. A QOF indicator reads its own row of `qof_indicators`,
but the table's mark is for the table as a whole, so every indicator carries it.
"""

from __future__ import annotations

from . import nodes as n
from .layers import Program


def _walk_terms(body_nodes):
    for node in body_nodes:
        if node is not None:
            yield from n.walk(node)


class ProvisionalMarks:
    """Reasons per definition and requirement of one program, and the
    assumptions (`assumptions.Assumption`) each reads."""

    def __init__(self, program: Program):
        self.program = program
        self.names = program.checked.names
        self._defines: dict[str, tuple[str, ...]] = {}
        self._assumed: dict[str, tuple] = {}
        # contracts carried into a provisional period on this date (carry.py):
        # every term read from one of them is provisional, for its carrier's reason
        self._carried = {c.layer: c.mark(program.as_of)
                         for c in program.library.carried_on(program.as_of)}

    def _carried_mark(self, form, reasons: dict) -> None:
        mark = self._carried.get(form.layer.name) if form is not None and self._carried else None
        if mark is not None:
            reasons[mark] = None

    def assumed(self, name: str) -> tuple:
        """The assumptions a definition reads, however deep (after `define`)."""
        self.define(name)
        return self._assumed.get(name, ())

    def requirement_assumed(self, requirement) -> tuple:
        term = requirement.term
        assumed: dict = {}
        self._reads([term.where, term.must, term.unless, *(w.condition for w in term.warnings)], assumed)
        return tuple(assumed)

    def _reads(self, body_nodes, assumed: dict | None = None) -> tuple[str, ...]:
        reasons: dict[str, None] = {}
        assumed = {} if assumed is None else assumed
        for node in _walk_terms(body_nodes):
            if not isinstance(node, n.Name):
                continue
            resolved = self.names.get(id(node))
            if resolved is None:
                continue
            kind, target = resolved.kind, resolved.target
            if kind == "param":
                param = self.program.parameters.get(target)
                marker = getattr(param.form.term, "provisional", None) if param is not None else None
                if marker is not None:
                    reasons[f"parameter {target}: {marker.reason}"] = None
                if param is not None and param.assumed is not None:
                    assumed[param.assumed] = None
                self._carried_mark(param.form if param is not None else None, reasons)
            elif kind == "table":
                self._table(target, reasons)
            elif kind == "define":
                for reason in self.define(target):
                    reasons[reason] = None
                for item in self._assumed.get(target, ()):
                    assumed[item] = None
        # a table read as `table[key]` has the table's name as its collection
        return tuple(reasons)

    def _table(self, name: str, reasons: dict) -> None:
        table = self.program.tables.get(name)
        marker = getattr(table.form.term, "provisional", None) if table is not None else None
        if marker is not None:
            reasons[f"table {name}: {marker.reason}"] = None
        self._carried_mark(table.form if table is not None else None, reasons)

    def define(self, name: str) -> tuple[str, ...]:
        found = self._defines.get(name)
        if found is not None:
            return found
        self._defines[name] = ()  # a cycle adds nothing (and is a static error anyway)
        define = self.program.defines.get(name)
        if define is None:
            return ()
        own = (f"definition {name}: {define.term.provisional.reason}",) if define.term.provisional else ()
        carried: dict = {}
        self._carried_mark(define.form, carried)
        scope = define.term.scope
        assumed: dict = {}
        bodies = [define.term.body, scope.key_collection if scope is not None else None]
        reads = self._reads(bodies, assumed)
        self._assumed[name] = tuple(assumed)
        found = self._defines[name] = tuple(dict.fromkeys(own + tuple(carried) + reads))
        return found

    def requirement(self, requirement) -> tuple[str, ...]:
        term = requirement.term
        carried: dict = {}
        self._carried_mark(requirement.form, carried)
        return tuple(dict.fromkeys(tuple(carried) + self._reads(
            [term.where, term.must, term.unless, *(w.condition for w in term.warnings)])))


def joined(reasons) -> str | None:
    return "; ".join(reasons) if reasons else None
