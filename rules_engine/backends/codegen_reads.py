"""The generated backend's reads (`codegen.Generator` inherits them): fact
paths a dict lookup a step, a table's rows and cells, table membership,
with the unknown tests every generated operation shares.

A path from a bound record is read by `get` after `get` (`MISSING.get`
finds nothing), the careful walk of `runtime.path` only when a step finds
nothing, to name what is missing; a table row by one dict lookup of its key,
the row reader only for a key with no row or a local layer's row; a row's
cell by one lookup of its key in the column, worked out once per table and
field when compiling. Each read is worked out once per run of a function
(`codegen.Function.reuse`).
"""

from __future__ import annotations

import ast

from rules_engine.backends import runtime
from rules_engine.base import typesys as t
from rules_engine.base.pyast import LOAD, attr as _attr, call as _call, is_ as _is, load as _load, store as _store
from rules_engine.ir.plans import FIELD, KEY_BOUND
from rules_engine.syntax import nodes as n


def _is_unknown(value: ast.expr) -> ast.Compare:
    return _is(_call(_load("type"), value), _load("U"))


def _may_be_unknown(value: ast.expr) -> bool:
    """Whether a value may be an `Unknown` when the module runs: a literal, or
    an entry of `K` that is not one, never is (no check is generated for it)."""
    return not (isinstance(value, ast.Constant) or getattr(value, "known", False))


def _merged(values) -> ast.expr:
    """What `_unknown_test(values)` holding makes the result: the one value
    that may be unknown, itself, or `merge` of those that may be."""
    maybe = [v for v in values if _may_be_unknown(v)]
    if len(maybe) == 1:
        return maybe[0]
    return _call(_load("merge2" if len(maybe) == 2 else "merge"), *maybe)


def _unknown_test(values) -> ast.expr | None:
    """`type(a) is U or type(b) is U ...` for those of `values` that may be
    unknown; None when none may."""
    checks = [_is_unknown(v) for v in values if _may_be_unknown(v)]
    if not checks:
        return None
    return checks[0] if len(checks) == 1 else ast.BoolOp(ast.Or(), checks)


def _changes(key: tuple, variable: str | None) -> bool:
    """Whether a read (`key`) worked out before a loop may differ in its body,
    where `variable` is bound to each item in turn (None: any bound name may
    change). A read of another bound name, a fact, a fact path from values
    worked out already or a table's cell does not; the variable, a
    definition (its memo is keyed by bound names) and a table or row a
    subject may opt into (the choice reads bound names) may."""
    return variable is None or key == ("binding", variable) or key[0] in ("define", "table", "row")


def node_key(node: ast.expr) -> tuple:
    """What tells a read's operand from another, as `ast.dump` would (two
    operands with the same key are the same value), for the operands reads
    have: a temporary or bound name, a literal, an entry of `K`; cheaper
    than `ast.dump`, which a module of the national library would call some
    1,400 times. Anything else is told by its `ast.dump`."""
    kind = type(node)
    if kind is ast.Name:
        return ("name", node.id)
    if kind is ast.Constant:
        return ("constant", type(node.value), node.value)
    if kind is ast.Subscript and type(node.value) is ast.Name and type(node.slice) is ast.Constant:
        return ("entry", node.value.id, type(node.slice.value), node.slice.value)
    return ("dump", ast.dump(node))


class Reads:
    """The reads of `codegen.Generator`: fact paths, table rows and cells,
    table membership (each read once per run of a function)."""

    def path(self, node) -> ast.expr:
        """A fact path by its plan: a dict lookup a step, inline, while every
        step finds a record (or a table row); the first that does not hands
        the whole path to the careful walk (`runtime.path`), which names what
        is missing. Each step (a prefix of the path: `practice.qof.indicators`)
        and each whole path is read once per run of the function."""
        plan = self.checked.plan(node)
        column = self.column(plan)
        if column is not None:
            return self.cell(node, plan, column)
        start, keys = self.path_start(node)
        return self.fn.reuse(self.path_key(start, keys), lambda: self.walk_steps(start, keys, node.span))

    def column(self, plan) -> dict | None:
        """For `table[key, ...].field` (a row's cell) of a table no subject
        opts into: each key's cell (by the key itself for a table of one key
        column), for the rows in force that have the field and are not the
        local layer's (reading one of those says so); None for any other
        path. Worked out once per table and field."""
        start = plan.start
        if plan.bound is not None or len(plan.steps) != 1 or plan.steps[0][0] != FIELD \
                or type(start) is not n.Index or not isinstance(self.types[id(start.collection)], t.Table):
            return None
        table, field = self.types[id(start.collection)].name, plan.steps[0][1]
        in_force = self.program.tables.get(table)
        if in_force is not None and in_force.opted_in is not None:
            return None
        found = self.columns.get((table, field))
        if found is None:
            local = self.checked.local_layer
            found = self.columns[(table, field)] = {
                key[0] if len(key) == 1 else key: row[field] for key, row in self.checked.table_rows(table).items()
                if field in row and (local is None or row.get("_layer") != local)}
        return found

    def cell(self, node, plan, column: dict) -> ast.expr:
        """A row's cell by one lookup of its key in the column (`column`); a
        key with no cell there (no row, an unknown key, a local row, no such
        field) reads the row and walks to the cell as any path does."""
        fn = self.fn
        keys = [self.expr(k) for k in plan.start.keys]
        reuse_key = ("cell", id(column), tuple(node_key(k) for k in keys))

        def look() -> ast.Name:
            key = keys[0] if len(keys) == 1 else ast.Tuple(keys, LOAD)  # as `column` is keyed
            value = fn.assign(_call(_attr(self.const(column), "get"), key, _load("MISSING")), node.span)
            fn.block()
            start, steps = self.path_start(node)
            fn.emit(ast.Assign([_store(value.id)], self.walk_steps(start, steps, node.span)), node.span)
            fn.emit(ast.If(_is(value, _load("MISSING")), fn.end(), []), node.span)
            return value
        return fn.reuse(reuse_key, look)

    @staticmethod
    def path_key(start: ast.Name, keys: list) -> tuple:
        return ("path", node_key(start), tuple((kind, node_key(key)) for kind, key in keys))

    def path_start(self, node) -> tuple[ast.Name, list]:
        """Where a fact path starts, and the key of each step."""
        plan = self.checked.plan(node)
        fn = self.fn
        if plan.bound is not None:
            start = self.bound(plan.bound, node.span)
            fn.records.add(start.id)  # a record: a subject, an item of a list of records
        else:
            start = self.expr(plan.start)
            if not isinstance(start, ast.Name):
                start = fn.assign(start, node.span)
        keys = []
        for kind, step in plan.steps:
            if kind == FIELD:
                keys.append((FIELD, self.const(step)))
            elif kind == KEY_BOUND:
                keys.append((kind, self.bound(step, node.span)))
            else:
                keys.append((kind, self.expr(step)))
        return start, keys

    def known_path(self, node) -> ast.expr:
        """`known(path)`: whether the path is there, without making the
        unknown a missing one would be."""
        fn = self.fn
        start, keys = self.path_start(node)
        value = fn.known_value(self.path_key(start, keys))
        if value is not None:
            return fn.assign(_is(_call(_load("type"), value), _load("U"), negated=True), node.span)
        value = self.steps(start, keys, node.span)
        if not keys:
            return fn.assign(_is(_call(_load("type"), value), _load("U"), negated=True), node.span)
        # The inline steps find nothing (MISSING) just where the careful walk
        # (`runtime.walk`) would find no value: a step's record lacks the
        # key, or the place to look is an unknown, not a record.
        return fn.assign(ast.BoolOp(ast.And(), [_is(value, _load("MISSING"), negated=True),
                                                _is(_call(_load("type"), value), _load("U"), negated=True)]),
                         node.span)

    def bound(self, name: str, span) -> ast.expr:
        """The value bound to `name` (a subject, a key, a quantifier's variable)."""
        fn = self.fn
        return fn.reuse(("binding", name), lambda: fn.assign(
            ast.Subscript(fn.bindings(), ast.Constant(name), LOAD), span))

    def steps(self, start: ast.Name, keys: list, span) -> ast.expr:
        """The path's value by dict lookups, inline, or MISSING when a step
        finds nothing. A path from a bound name starts at a record (a
        subject, an item of a list of records); one from an expression (a
        table row, a definition) may start at an unknown, where it finds
        nothing. Every later step looks in a record or in MISSING (whose
        `get` finds nothing: `runtime.MISSING`)."""
        fn = self.fn
        value = start
        for position, (_, key) in enumerate(keys):
            value = fn.reuse(("step", node_key(value), node_key(key)),
                             lambda value=value, key=key, first=position == 0: self.step(value, key, first, span))
        return value

    def step(self, value: ast.Name, key: ast.expr, first: bool, span) -> ast.Name:
        """One step's lookup into a new temporary (`steps`)."""
        found = _call(_attr(value, "get"), key, _load("MISSING"))
        if first and value.id not in self.fn.records:
            found = ast.IfExp(_is_unknown(value), _load("MISSING"), found)
        return self.fn.assign(found, span)

    def walk_steps(self, start: ast.Name, keys: list, span) -> ast.Name:
        """The path's value: its steps inline, the careful walk when one finds
        nothing. The last step's temporary takes the walk's value itself
        unless an earlier read holds that step (a prefix of a longer path),
        which then stays as it was, and the value goes in a temporary of its own."""
        fn = self.fn
        if not keys:
            return start
        parent = self.steps(start, keys[:-1], span)
        last = keys[-1][1]
        held = fn.known_value(("step", node_key(parent), node_key(last)))
        result = fn.assign(held, span) if held is not None else self.step(parent, last, len(keys) == 1, span)
        steps = ast.Tuple([ast.Tuple([ast.Constant(kind), key], LOAD) for kind, key in keys], LOAD)
        fn.emit(ast.If(_is(result, _load("MISSING")),
                       [ast.Assign([_store(result.id)], _call(_load("path"), start, steps))], []), span)
        return result

    def table_row(self, node) -> ast.expr:
        """`table[key, ...]`: the row in force, looked up once per run of the function."""
        table = self.types[id(node.collection)].name
        keys = [self.expr(k) for k in node.keys]
        return self.fn.reuse(("row", table, tuple(node_key(k) for k in keys)),
                             lambda: self.look_row(table, keys, node.span))

    def look_row(self, table: str, keys: list, span) -> ast.Name:
        look = self.row_reader(table, span)
        fn = self.fn
        key = ast.Tuple(keys, LOAD)
        test = _unknown_test(keys)
        result = fn.tmp()
        looked = [ast.Assign([_store(result)], _call(self.const(look), _load("E"), key))]
        in_force = self.program.tables.get(table)
        if in_force is None or in_force.opted_in is None:
            # The row by one dict lookup; the reader only for a key with no
            # row (it says which) or a row the local layer gave (it says so).
            local = self.checked.local_layer
            slow = _is(_load(result), ast.Constant(None))
            if local is not None:
                slow = ast.BoolOp(ast.Or(), [slow, ast.Compare(
                    ast.Subscript(_load(result), ast.Constant("_layer"), LOAD), [ast.Eq()],
                    [ast.Constant(local)])])
            looked = [ast.Assign([_store(result)], _call(_attr(self.const(self.checked.table_rows(table)), "get"),
                                                          key)),
                      ast.If(slow, looked, [])]
        if test is None:
            for statement in looked:
                fn.emit(statement, span)
            return _load(result)
        fn.emit(ast.If(test, [ast.Assign([_store(result)], _merged(keys))], looked), span)
        return _load(result)

    def row_reader(self, table: str, span):
        in_force = self.program.tables.get(table)
        rows = self.checked.table_rows(table)
        local = self.checked.local_layer
        if in_force is not None and in_force.opted_in is not None:
            return runtime.row_lookup(table, rows, self.checked.table_rows(table, national=True),
                                      runtime.opted_in(in_force.opted_in), local, span)
        return runtime.row_lookup(table, rows, None, None, local, span)

    def table_member(self, node):
        collection_type = self.types[id(node.collection)]
        if not (isinstance(collection_type, t.Table) and self.checked.local_rows):
            return None
        table = self.program.tables.get(collection_type.name)
        local_keys, removed = self.checked.folder.local_keys(collection_type.name)
        if not (local_keys or removed):
            return None
        opted = runtime.opted_in(table.opted_in) if table is not None and table.opted_in is not None else None
        return runtime.table_member(local_keys, removed, opted, node.negated)
