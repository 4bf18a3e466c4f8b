"""The closure backend's reads of facts and tables: a fact path by its plan
(`ir.plans`), a table's row in force, a table's keys, membership of a table
(with the local layer's rows, which results must say they read).
"""

from __future__ import annotations

from typing import Callable

from rules_engine.backends.protocol import TraceEvent
from rules_engine.backends.runtime import MISSING, lookup_fields, opted_in, row_lookup, table_member, walk
from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown, merge_unknown
from rules_engine.ir import operations as ops
from rules_engine.ir.plans import FIELD, KEY_BOUND
from rules_engine.program.layers import table_keys


BROKEN = object()  # a step met something that is not a record

__all__ = ["MISSING", "TraceEvent", "literal", "opted_in", "FactReads"]


def literal(value) -> Callable:
    """A literal's closure, marked so that operators can use the value directly."""
    def literal_(env):
        return value
    literal_.constant = value
    return literal_


def follow(value, env, steps: tuple):
    """Look a path up in validated facts: the value, `MISSING` when a step
    finds nothing, `BROKEN` when a step meets something that is not a record
    (a list item given as null, an Unknown)."""
    bindings = env.bindings
    try:
        for kind, step in steps:
            value = value.get(step if kind == FIELD else bindings[step] if kind == KEY_BOUND
                              else step(env), MISSING)
            if value is MISSING:
                return MISSING
    except AttributeError:
        return BROKEN
    return value


class FactReads:
    """The compiler's reads of facts and tables (a mixin of `closures.Compiler`)."""

    def table_keys(self, name: str):
        keys = table_keys(self.program, name)
        table = self.program.tables.get(name)
        if table is not None and table.opted_in is not None:
            national, opted = table_keys(self.program, name, national=True), opted_in(table.opted_in)
            return lambda env: keys if opted(env) else national
        return lambda env: keys

    def c_Field(self, node):
        return self.path(node)

    def c_Index(self, node):
        if isinstance(self.types[id(node.collection)], t.Table):
            return self.table_row(node)
        return self.path(node)

    def path(self, node):
        """A chain such as `practice.qof.indicators[code].numerator` becomes one
        closure that walks its plan's steps in a loop, instead of one closure
        per dot and bracket."""
        fact_plan = self.checked.plan(node, self.known)
        plan = tuple((kind, self.expr(step) if kind not in (FIELD, KEY_BOUND) else step)
                     for kind, step in fact_plan.steps)
        bound = fact_plan.bound
        start = None if bound is not None else self.expr(fact_plan.start)

        def walk_from(env, value):
            """Step by step (`runtime.walk`): names what is missing, records the trace."""
            bindings = env.bindings
            return walk(value, plan, lambda kind, step: bindings[step] if kind == KEY_BOUND else step(env),
                        env.trace)

        # Facts were validated when read, so on the common path every step is
        # a dict lookup; the first step that finds nothing (or a trace to
        # record) hands over to the careful walk.
        if fact_plan.fields_only:
            names = tuple(step for _, step in plan)

            def read_path(env):
                if env.trace is None:
                    found = lookup_fields(env.bindings[bound], names)
                    if found is not MISSING:
                        return found
                return walk_from(env, env.bindings[bound])
        else:
            def read_path(env):
                value = env.bindings[bound] if start is None else start(env)
                if env.trace is not None:
                    return walk_from(env, value)
                found = follow(value, env, plan)
                return walk_from(env, value) if found is MISSING or found is BROKEN else found

        def is_known(env):
            """`known(path)` without building the Unknown a missing path reads as."""
            value = env.bindings[bound] if start is None else start(env)
            if env.trace is not None:
                return type(walk_from(env, value)) is not Unknown
            found = follow(value, env, plan)
            if found is BROKEN:
                return type(walk_from(env, value)) is not Unknown
            return found is not MISSING
        read_path.is_known = is_known
        return read_path

    def table_row(self, node):
        """`table[key, ...]`: the row in force (a dict of its cells), or Unknown."""
        table = self.types[id(node.collection)].name
        keys = [self.expr(k) for k in node.keys]
        single = self.binding_name(node.keys[0]) if len(keys) == 1 else None
        look = self.row_lookup(table, node.span)

        def look_up(env):
            if single is not None:
                first = env.bindings[single]
                if type(first) is Unknown:
                    return first
                key = (first,)
            else:
                key = tuple(k(env) for k in keys)
                if ops.any_unknown(*key):
                    return merge_unknown(*key)
            return look(env, key)
        return look_up

    def row_lookup(self, table: str, span):
        """The reader of a table's rows in force (`runtime.row_lookup`)."""
        in_force = self.program.tables.get(table)
        rows = self.checked.table_rows(table)
        if in_force is not None and in_force.opted_in is not None:
            return row_lookup(table, rows, self.checked.table_rows(table, national=True),
                              opted_in(in_force.opted_in), self.local_layer, span)
        return row_lookup(table, rows, None, None, self.local_layer, span)

    def table_member(self, node):
        """The membership test of a table with rows a local layer changed, or None."""
        collection_type = self.types[id(node.collection)]
        if not (isinstance(collection_type, t.Table) and self.local_rows):
            return None
        table = self.program.tables.get(collection_type.name)
        local_keys, removed = self.checked.folder.local_keys(collection_type.name)
        if not (local_keys or removed):
            return None
        opted = opted_in(table.opted_in) if table is not None and table.opted_in is not None else None
        return table_member(local_keys, removed, opted, node.negated)

    def c_Membership(self, node):
        element, collection = self.expr(node.element), self.expr(node.collection)
        negated = node.negated
        of_table = self.table_member(node)
        if of_table is not None:
            return lambda env: of_table(env, element(env), collection(env))

        def member(env):
            a, c = element(env), collection(env)
            if type(a) is Unknown or type(c) is Unknown:
                return merge_unknown(a, c)
            return (a not in c) if negated else (a in c)
        return member
