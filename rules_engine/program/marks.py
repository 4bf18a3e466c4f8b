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

from rules_engine.syntax import nodes as n
from rules_engine.program.layers import Program
from rules_engine.static.forms import literal_value


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
        self._defines: dict = {}  # name, or (name, (key variable, key)) -> reasons
        self._assumed: dict = {}
        self._row_keys: dict[str, list] = {}
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

    def _reads(self, body_nodes, assumed: dict | None = None, key: tuple | None = None) -> tuple[str, ...]:
        """The reasons of what the bodies read. With `key` (a definition's key
        variable and its value, known when a value for that key is made), a
        look-up `table[variable]` reads that key's row only, so it carries the
        marks of that row alone (`provisional "..." rows ...`), and a
        definition read with the same key variable is read for that key."""
        reasons: dict[str, None] = {}
        assumed = {} if assumed is None else assumed
        keyed: set[int] = set()  # table names read through a look-up by the key
        for node in _walk_terms(body_nodes):
            if isinstance(node, n.Index) and key is not None and len(node.keys) == 1:
                table = self.names.get(id(node.collection))
                bound = self.names.get(id(node.keys[0]))
                if (table is not None and table.kind == "table" and bound is not None
                        and bound.kind == "binding" and bound.target == key[0]):
                    keyed.add(id(node.collection))
                    self._table(table.target, reasons, key[1])
                continue
            if not isinstance(node, n.Name) or id(node) in keyed:
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
                inner = self.program.defines.get(target)
                scope = inner.term.scope if inner is not None else None
                passed = key if key is not None and scope is not None and scope.key_variable == key[0] else None
                for reason in self.define(target, passed):
                    reasons[reason] = None
                for item in self._assumed.get(target if passed is None else (target, passed), ()):
                    assumed[item] = None
        # a table read as `table[key]` has the table's name as its collection
        return tuple(reasons)

    def _table(self, name: str, reasons: dict, key=None) -> None:
        """A table's own mark, and the marks of its rows in force on the date
        that the read may meet (with `key`, that key's row only)."""
        table = self.program.tables.get(name)
        marker = getattr(table.form.term, "provisional", None) if table is not None else None
        if marker is not None:
            reasons[f"table {name}: {marker.reason}"] = None
        for mark in getattr(table.form.term, "row_provisional", ()) if table is not None else ():
            if any(mark.covers(row_key, start, end) for row_key, start, end in self._rows(table)
                   if key is None or row_key == key):
                reasons[f"table {name} ({mark.describe()}): {mark.reason}"] = None
        self._carried_mark(table.form if table is not None else None, reasons)

    def _rows(self, table) -> list[tuple]:
        """(first key, from, to) of each row in force."""
        found = self._row_keys.get(table.name)
        if found is None:
            columns = table.columns
            at = columns.index(table.keys[0])
            start = columns.index("from") if "from" in columns else None
            end = columns.index("to") if "to" in columns else None

            def cell(row, index):
                value = row.cells[index] if index is not None and index < len(row.cells) else None
                return literal_value(value) if value is not None else None
            found = self._row_keys[table.name] = [(cell(row, at), cell(row, start), cell(row, end))
                                                  for row, _ in table.rows]
        return found

    def define(self, name: str, key: tuple | None = None) -> tuple[str, ...]:
        """The reasons of a definition; with `key` (its key variable and a
        value), those of its value for that key."""
        memo = name if key is None else (name, key)
        found = self._defines.get(memo)
        if found is not None:
            return found
        self._defines[memo] = ()  # a cycle adds nothing (and is a static error anyway)
        define = self.program.defines.get(name)
        if define is None:
            return ()
        own = (f"definition {name}: {define.term.provisional.reason}",) if define.term.provisional else ()
        carried: dict = {}
        self._carried_mark(define.form, carried)
        scope = define.term.scope
        assumed: dict = {}
        bodies = [define.term.body, scope.key_collection if scope is not None else None]
        reads = self._reads(bodies, assumed, key)
        self._assumed[name if key is None else (name, key)] = tuple(assumed)
        found = self._defines[memo] = tuple(dict.fromkeys(own + tuple(carried) + reads))
        return found

    def requirement(self, requirement) -> tuple[str, ...]:
        term = requirement.term
        carried: dict = {}
        self._carried_mark(requirement.form, carried)
        return tuple(dict.fromkeys(tuple(carried) + self._reads(
            [term.where, term.must, term.unless, *(w.condition for w in term.warnings)])))


def joined(reasons) -> str | None:
    return "; ".join(reasons) if reasons else None
