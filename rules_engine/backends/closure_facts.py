"""The closure backend's reads of facts and tables: a fact path by its plan
(`ir.plans`), a table's row in force, a table's keys, membership of a table
(with the local layer's rows, which results must say they read).
"""

from __future__ import annotations

from typing import Any, Callable

from rules_engine.backends.protocol import TraceEvent
from rules_engine.base import typesys as t
from rules_engine.base.values import FactRecord, Unknown, merge_unknown, unknown_because
from rules_engine.ir import operations as ops
from rules_engine.ir.plans import FIELD, KEY_BOUND
from rules_engine.program.layers import table_keys


class _Missing:
    __slots__ = ()


MISSING = _Missing()
BROKEN = _Missing()

__all__ = ["MISSING", "TraceEvent", "literal", "opted_in", "FactReads"]


def literal(value) -> Callable:
    """A literal's closure, marked so that operators can use the value directly."""
    def literal_(env):
        return value
    literal_.constant = value
    return literal_


def opted_in(path: tuple[str, ...]) -> Callable[[Any], bool]:
    """Whether the subject bound to `path[0]` says yes at `path[1:]`
    (`practice.qof.local_scheme`). Opting in is a positive act: a subject not
    bound here (a value for no practice), a missing fact or `false` keeps the
    national rows."""
    subject, fields = path[0], path[1:]

    def says_yes(env) -> bool:
        value = env.bindings.get(subject) if env is not None else None
        for name in fields:
            if not isinstance(value, dict):
                return False
            value = value.get(name)
        return value is True
    return says_yes


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
            """Step by step: names what is missing, and records the trace."""
            for kind, step in plan:
                if kind == FIELD:
                    if type(value) is Unknown:
                        value = ops.deeper(value, step)
                        continue
                    found = value.get(step, MISSING)
                    if found is MISSING:
                        found = Unknown(frozenset((
                            f"{value.path}.{step}" if isinstance(value, FactRecord) else step,)))
                    if env.trace is not None and isinstance(value, FactRecord):
                        env.trace.append(TraceEvent("fact", f"{value.path}.{step}", found))
                    value = found
                    continue
                key = env.bindings[step] if kind == KEY_BOUND else step(env)
                if type(key) is Unknown:
                    value = merge_unknown(value, key)
                    continue
                if type(value) is Unknown:
                    value = ops.deeper(value, key)
                    continue
                found = value.get(key, MISSING)
                if found is MISSING:
                    found = Unknown(frozenset((f"{value.path}.{key}",)))
                if env.trace is not None:
                    env.trace.append(TraceEvent("fact", f"{value.path}.{key}", found))
                value = found
            return value

        # Facts were validated when read, so on the common path every step is
        # a dict lookup; the first step that finds nothing (or a trace to
        # record) hands over to the careful walk.
        if fact_plan.fields_only:
            names = tuple(step for _, step in plan)

            def read_path(env):
                if env.trace is None:
                    value = env.bindings[bound]
                    try:
                        for name in names:
                            value = value.get(name, MISSING)
                            if value is MISSING:
                                break
                        else:
                            return value
                    except AttributeError:  # a list item given as null, a bound Unknown
                        pass
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
        rows_ = self.checked.table_rows(table)
        local = self.local_layer
        keys = [self.expr(k) for k in node.keys]
        single = self.binding_name(node.keys[0]) if len(keys) == 1 else None
        in_force = self.program.tables.get(table)
        opted = None
        if in_force is not None and in_force.opted_in is not None:
            local_rows, national_rows = rows_, self.checked.table_rows(table, national=True)
            opted = opted_in(in_force.opted_in)
        span = node.span

        def look_up(env):
            rows = (local_rows if opted(env) else national_rows) if opted is not None else rows_
            if single is not None:
                first = env.bindings[single]
                if type(first) is Unknown:
                    return first
                key = (first,)
            else:
                key = tuple(k(env) for k in keys)
                if ops.any_unknown(*key):
                    return merge_unknown(*key)
            row = rows.get(key)
            if row is None:
                if opted is not None and rows is local_rows and key in national_rows:
                    env.local_rows = True  # a row retired for this subject, which opted in
                shown = ", ".join(str(k) for k in key)
                row = unknown_because("no-row", f"table {table} has no row for ({shown}) on {env.as_of}", span)
            elif row["_layer"] == local:
                env.local_rows = True
            if env.trace is not None:
                env.trace.append(TraceEvent("table", f"{table}[{', '.join(map(str, key))}]",
                                            row, {"layer": row.get("_layer") if isinstance(
                                                row, dict) else None}))
            return row
        return look_up

    def c_Membership(self, node):
        element, collection = self.expr(node.element), self.expr(node.collection)
        negated = node.negated
        collection_type = self.types[id(node.collection)]
        if isinstance(collection_type, t.Table) and self.local_rows:
            table = self.program.tables.get(collection_type.name)
            local_keys, removed = self.checked.folder.local_keys(collection_type.name)
            opted = opted_in(table.opted_in) if table is not None and table.opted_in is not None else None
            if local_keys or removed:
                def member_of_table(env):
                    a, c = element(env), collection(env)
                    if type(a) is Unknown:
                        return a
                    if (a in local_keys or a in removed) and (opted is None or opted(env)):
                        env.local_rows = True
                    return (a not in c) if negated else (a in c)
                return member_of_table

        def member(env):
            a, c = element(env), collection(env)
            if type(a) is Unknown or type(c) is Unknown:
                return merge_unknown(a, c)
            return (a not in c) if negated else (a in c)
        return member
