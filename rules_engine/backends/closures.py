"""Compile a `Program`'s expressions into Python closures, once per program.

Input: a `Program` (the terms in force on one date). Output: `CompiledProgram`
whose requirement and definition bodies are plain functions of an `Env` (the
arrangement's facts and the names bound to the subject). Nothing from a rule
file is ever passed to `eval` or `exec`: each node becomes a closure over the
closures of its children.

What is known when compiling is worked out then (see `Compiler`): parameters,
table rows and constants fold into values, and a definition keyed by, say, a
QOF indicator code is compiled for each code it meets, with the code known.
`explain` traces an unfolded compile of the same program.

Three-valued throughout: a missing fact reads as `Unknown(missing=...)`,
arithmetic and comparisons pass it on, and `and`/`or`/`every`/`any` follow
Kleene's logic. With `Env.trace` set, the closures record each fact,
parameter, table row and definition they read (for `explain`).
"""

from __future__ import annotations

import calendar
import operator
import datetime as dt
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, Callable

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import recursion
from rules_engine.syntax.nodes import walk
from rules_engine.base import typesys as t
from rules_engine.program.layers import Program, table_keys
from rules_engine.static.forms import value_on
from rules_engine.static.typecheck import WEEKDAYS
from rules_engine.base.values import (FactRecord, Unknown, kleene_and, kleene_not, kleene_or, merge_unknown,
    normalise_ranges, ranges_cover)

Closure = Callable[["Env"], Any]


def opted_in(path: tuple[str, ...]) -> Callable[["Env"], bool]:
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


class Env:
    """What a closure reads: the facts, the bound names, the date, memo and trace."""

    __slots__ = ("root", "as_of", "bindings", "memo", "trace", "local_rows")

    def __init__(self, root: FactRecord, as_of: dt.date, trace: list | None = None):
        self.root = root
        self.as_of = as_of
        self.bindings: dict[str, Any] = {}
        self.memo: dict[tuple, Any] = {}
        self.trace = trace
        self.local_rows = False  # whether a row a local layer added was read


@attrs.frozen
class TraceEvent:
    kind: str  # fact | parameter | table | definition
    name: str
    value: Any
    detail: dict = attrs.field(factory=dict)


@attrs.frozen(eq=False)
class CompiledRequirement:
    where: Closure | None
    must: Closure
    unless: Closure | None
    warnings: tuple[tuple[str, Closure], ...]
    waivers: tuple[Closure | None, ...]  # one per waiver: its `where`, or None for all subjects


@attrs.frozen(eq=False)
class CompiledDefine:
    body: Closure
    key_collection: Closure | None


@attrs.frozen(eq=False)
class CompiledProgram:
    program: Program
    requirements: tuple[CompiledRequirement, ...]
    defines: dict[str, CompiledDefine]
    compiler: "Compiler"

    def closure_of(self, node) -> Closure:
        """The closure of any expression of the program (compiled already, or
        now): what `why` reads a condition's parts with."""
        return self.compiler.closure_of(node)

    def is_static(self, node) -> bool:
        """Whether an expression reads nothing an arrangement gives."""
        return self.compiler.is_static(node)


#: `rounded to ... MODE`: the decimal rounding of each mode.
_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def rounded(closure: Closure, rounding: n.Rounding) -> Closure:
    """A definition's value rounded as its `rounded to` clause says; an
    unknown passes through.

    >>> rounded(lambda env: Decimal("5861.385"), n.Rounding(None, 2, "half_up"))(None)
    Decimal('5861.39')
    >>> rounded(lambda env: Decimal("5861.385"), n.Rounding(None, 2, "half_even"))(None)
    Decimal('5861.38')
    """
    exponent = Decimal(1).scaleb(-rounding.places)
    mode = _ROUNDING[rounding.mode]

    def round_value(env):
        value = closure(env)
        if isinstance(value, Decimal):
            return value.quantize(exponent, rounding=mode)
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value).quantize(exponent, rounding=mode)
        return value
    return round_value


def _unknown_of(*values) -> bool:
    for value in values:
        if type(value) is Unknown:
            return True
    return False


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Compiler:
    """Closures for one program.

    With `fold` (the default), what can be known when compiling is worked out
    then: an expression that reads no facts and no subject (parameters, table
    rows, constants) becomes its value, an `if` on such a condition becomes
    the branch it takes, and `and`/`or` with a deciding constant side become
    that side. A definition for `each KEY in ...` is compiled once per key it
    meets, with the key known, so that `qof_indicators[code].points` is a
    number by the time an arrangement is read. Tracing (`explain`) uses an
    unfolded program, which reads every parameter and row as it goes."""

    def __init__(self, program: Program, fold: bool = True):
        self.program = program
        self.fold = fold
        # Bound names whose value is known while compiling (a definition's key),
        # and which expressions are static under them (by node id).
        self.static: dict[str, Any] = {}
        self.static_nodes: dict[int, bool] = {}
        self.tables: dict[str, dict[tuple, dict]] = {}
        self.checked = program.checked
        self.types = self.checked.types
        self.names = self.checked.names
        self.define_closures: dict[str, Closure] = {}
        self.constants: dict[str, bool] = {}
        self.closures: dict[int, Closure] = {}  # node id -> closure, outside any known key
        local = program.local.name if program.local is not None else None
        self.local_layer = local
        # Whether to track, per subject, reads of what the local layer changed:
        # rows it added or marked, and what changes only for subjects that opt in.
        self.local_rows = local is not None and (
            any(layer == local for table in program.tables.values() for _, layer in table.rows)
            or any(table.opted_in is not None for table in program.tables.values())
            or any(define.opted_in is not None for define in program.defines.values()))

    def compile(self) -> CompiledProgram:
        defines = {}
        for name, define in self.program.defines.items():
            scope = define.term.scope
            key_collection = None
            if scope is not None and scope.key_collection is not None:
                key_collection = self.expr(scope.key_collection)
            defines[name] = CompiledDefine(self.define(name), key_collection)
        requirements = []
        for requirement in self.program.requirements:
            term = requirement.term
            requirements.append(CompiledRequirement(
                self.expr(term.where) if term.where is not None else None,
                self.expr(term.must) if term.must is not None else (lambda env: Unknown(frozenset())),
                self.expr(term.unless) if term.unless is not None else None,
                tuple((w.message, self.expr(w.condition)) for w in term.warnings),
                tuple(self.expr(w.where) if w.where is not None else None
                      for w in requirement.waivers)))
        return CompiledProgram(self.program, tuple(requirements), defines, self)

    # -- dispatch ------------------------------------------------------------

    def expr(self, node) -> Closure:
        closure = getattr(self, "c_" + type(node).__name__)(node)
        if self.fold and not hasattr(closure, "constant") and self.is_static(node):
            closure = self.precompute(closure)
        if not self.static:
            self.closures[id(node)] = closure
        return closure

    def closure_of(self, node) -> Closure:
        """An expression's closure as `expr` made it (made now if it was folded away)."""
        closure = self.closures.get(id(node))
        if closure is None and not self.static:
            closure = self.expr(node)
        elif closure is None:
            saved = self.static, self.static_nodes
            self.static, self.static_nodes = {}, {}
            try:
                closure = self.expr(node)
            finally:
                self.static, self.static_nodes = saved
        return closure

    # -- folding ---------------------------------------------------------------

    def is_static(self, node) -> bool:
        """Whether `node` reads nothing an arrangement gives: only parameters,
        tables, members, the date, constant definitions and known keys.
        Worked out bottom-up with an explicit stack (a long chain costs no
        recursion)."""
        memo = self.static_nodes
        known = memo.get(id(node))
        if known is not None:
            return known
        stack = [(node, False)]
        while stack:
            item, ready = stack.pop()
            if id(item) in memo:
                continue
            if isinstance(item, n.Quantified):
                memo[id(item)] = False
            elif isinstance(item, n.Name) and id(item) in self.names:
                memo[id(item)] = self.static_name(self.names[id(item)])
            elif isinstance(item, n.Index) and self.opted_table(item.collection) is not None:
                memo[id(item)] = False  # its rows depend on whether the subject opted in
            elif ready:
                memo[id(item)] = all(memo[id(child)] for child in n.children(item))
            else:
                stack.append((item, True))
                stack.extend((child, False) for child in n.children(item))
        return memo[id(node)]

    def opted_table(self, node):
        """The table a node reads, when its rows depend on a subject's opting in."""
        type_ = self.types.get(id(node))
        if isinstance(type_, t.Table):
            table = self.program.tables.get(type_.name)
            if table is not None and table.opted_in is not None:
                return table
        return None

    def static_name(self, resolved) -> bool:
        if resolved.kind == "table":
            table = self.program.tables.get(resolved.target)
            return table is None or table.opted_in is None
        if resolved.kind in ("param", "table", "member", "as_of"):
            return True
        if resolved.kind == "binding":
            return resolved.target in self.static
        return resolved.kind == "define" and self.is_constant(resolved.target)

    def precompute(self, closure: Closure) -> Closure:
        """A static expression's value, as a literal; a read of a row that a
        local layer added stays a read, so that results can say they used it."""
        env = Env(FactRecord(), self.program.as_of)
        value = closure(env)
        return closure if env.local_rows else _literal(value)

    def with_static(self, static: dict[str, Any], compile_: Callable[[], Closure]) -> Closure:
        saved = self.static, self.static_nodes
        self.static, self.static_nodes = static, {}
        try:
            return compile_()
        finally:
            self.static, self.static_nodes = saved

    def by_key(self, body, variable: str) -> Closure:
        """A keyed definition's body, compiled for each key the first time it is met."""
        bodies: dict[Any, Closure] = {}

        def for_key(env):
            key = env.bindings[variable]
            compiled = bodies.get(key)
            if compiled is None:
                compiled = bodies[key] = self.with_static({variable: key}, lambda: self.expr(body))
            return compiled(env)
        return for_key

    def constant(self, node) -> Any:
        """The value of a literal (parameter values and table cells)."""
        return self.expr(node)(None)

    # -- literals ------------------------------------------------------------

    def c_Number(self, node):
        return _literal(node.value)

    def c_Quantity(self, node):
        return _literal(node.value * t.UNIT_WORDS[node.unit][1])

    c_Money = c_Number
    c_Percent = c_Number

    def c_DateLiteral(self, node):
        return _literal(node.value)

    def c_TimeLiteral(self, node):
        return _literal(node.minutes)

    def c_IntervalLiteral(self, node):
        return _literal(normalise_ranges([(node.start, node.end)]))

    def c_Text(self, node):
        return _literal(node.value)

    c_Boolean = c_Text

    # -- names ---------------------------------------------------------------

    def c_Name(self, node):
        resolved = self.names[id(node)]
        name = resolved.target
        if resolved.kind == "binding":
            if name in self.static:
                return _literal(self.static[name])
            return lambda env: env.bindings[name]
        if resolved.kind == "member":
            return lambda env: name
        if resolved.kind == "as_of":
            return lambda env: env.as_of
        if resolved.kind == "fact":
            def read_root(env):
                value = env.root.get(name, _MISSING)
                if value is _MISSING:
                    value = Unknown(frozenset((name,)))
                if env.trace is not None:
                    env.trace.append(TraceEvent("fact", name, value))
                return value
            return read_root
        if resolved.kind == "param":
            return self.parameter(name)
        if resolved.kind == "table":
            return self.table_keys(name)
        return self.define(name)

    def binding_name(self, node) -> str | None:
        """The name, when a node reads a bound name (a subject or a loop variable)."""
        if isinstance(node, n.Name):
            resolved = self.names.get(id(node))
            if resolved is not None and resolved.kind == "binding" and resolved.target not in self.static:
                return resolved.target
        return None

    def parameter(self, name: str) -> Closure:
        param = self.program.parameters.get(name)
        if param is None or param.value is None:
            value = Unknown(frozenset((f"parameter {name} (no value in force on {self.program.as_of})",)))
            layer, national = None, None
        else:
            value = self.constant(param.value)
            layer = param.layer
            national = None
            if param.varied_by is not None:
                base = param.form.term
                national_node = value_on(base, self.program.as_of)
                national = self.constant(national_node) if national_node is not None else None
        detail = {"layer": layer}
        if national is not None:
            detail["national"] = national
        if param is not None and param.assumed is not None:
            detail["assumed"] = param.assumed.origin

        def read_parameter(env):
            if env is not None and env.trace is not None:
                env.trace.append(TraceEvent("parameter", name, value, detail))
            return value
        return read_parameter

    def table_keys(self, name: str) -> Closure:
        keys = table_keys(self.program, name)
        table = self.program.tables.get(name)
        if table is not None and table.opted_in is not None:
            national, opted = table_keys(self.program, name, national=True), opted_in(table.opted_in)
            return lambda env: keys if opted(env) else national
        return lambda env: keys

    def table_rows(self, name: str, national: bool = False) -> dict[tuple, dict]:
        """A table's rows in force, by key: each row's cells by column (and the
        layer it came from, as `_layer`). Worked out once per table; with
        `national`, the rows of subjects that did not opt in to a local change."""
        rows = self.tables.get((name, national))
        if rows is None:
            rows = self.tables[(name, national)] = self._table_rows(name, national)
        return rows

    def _table_rows(self, name: str, national: bool = False) -> dict[tuple, dict]:
        table = self.program.tables.get(name)
        rows: dict[tuple, dict] = {}
        if table is None:
            return rows
        key_positions = [table.columns.index(k) for k in table.keys]
        for row, layer in (table.national_rows if national and table.opted_in else table.rows):
            values = {column: (self.constant(cell) if cell is not None else None)
                      for column, cell in zip(table.columns, row.cells)}
            values["_layer"] = layer
            rows[tuple(values[table.columns[p]] for p in key_positions)] = values
        return rows

    def define(self, name: str) -> Closure:
        needed = self.checked.define_scopes.get(name, ())
        compiled = self.define_closures

        # A definition is worked out once per subject record (and key): the
        # subject binding is a record, compared by identity; a key by value.
        if not needed:
            def memo_key(env):
                return name
        elif len(needed) == 1:
            (subject,) = needed

            def memo_key(env):
                return (name, id(env.bindings[subject]))
        else:
            subject, key_variable = needed

            def memo_key(env):
                bindings = env.bindings
                return (name, id(bindings[subject]), bindings[key_variable])

        def evaluate_define(env):
            key = memo_key(env)
            memo = env.memo
            value = memo.get(key, _MISSING)
            if value is _MISSING:
                value = memo[key] = compiled[name](env)
            if env.trace is not None:
                env.trace.append(TraceEvent("definition", name, value))
            return value

        if self.local_rows:
            # A memoised value remembers whether it read a locally added row,
            # so that every result using it can say so.
            def evaluate_define(env, plain=evaluate_define):
                key = ("local rows", memo_key(env))
                if key in env.memo:
                    env.local_rows = env.local_rows or env.memo[key]
                    return plain(env)
                outer, env.local_rows = env.local_rows, False
                value = plain(env)
                env.memo[key] = env.local_rows
                env.local_rows = outer or env.local_rows
                return value

        if name not in compiled:
            compiled[name] = lambda env: Unknown(frozenset((f"definition {name}",)))
            define = self.program.defines.get(name)
            if define is not None:
                national = self.define_body(name, define.term.body, needed)
                replaced = define.replaced_by
                if replaced is None:
                    compiled[name] = national
                elif define.opted_in is None:
                    compiled[name] = self.define_body(name, replaced.value, needed)
                else:
                    local, opted = self.define_body(name, replaced.value, needed), opted_in(define.opted_in)

                    def replaced_for_opted_in(env, local=local, opted=opted, national=national):
                        if opted(env):
                            env.local_rows = True  # the local formula is a local change read
                            return local(env)
                        return national(env)
                    compiled[name] = replaced_for_opted_in
        return evaluate_define

    def define_body(self, name: str, body, needed) -> Closure:
        closure = self.by_key(body, needed[1]) if self.fold and len(needed) == 2 else self.expr(body)
        define = self.program.defines.get(name)
        rounding = define.term.rounding if define is not None else None
        if rounding is not None:
            closure = rounded(closure, rounding)
        if self.fold and len(needed) == 2:
            return closure
        return self.once(closure) if self.is_constant(name) else closure

    def is_constant(self, name: str) -> bool:
        """A definition that reads no facts and needs no subject: the same for
        every arrangement under this program, so it is worked out once."""
        if name in self.constants:
            return self.constants[name]
        self.constants[name] = False  # a cycle cannot be constant (and is a static error anyway)
        define = self.program.defines.get(name)
        constant = define is not None and define.replaced_by is None and not self.checked.define_scopes.get(name) and all(
            (self.names[id(node)].kind in ("param", "member", "as_of", "binding")
             or (self.names[id(node)].kind == "table" and self.static_name(self.names[id(node)])))
            or (self.names[id(node)].kind == "define" and self.is_constant(self.names[id(node)].target))
            for node in walk(define.term.body) if isinstance(node, n.Name) and id(node) in self.names)
        self.constants[name] = constant
        return constant

    @staticmethod
    def once(body: Closure) -> Closure:
        cache: list = []  # [value, whether working it out read a local change]

        def constant(env):
            if not cache:
                outer, env.local_rows = env.local_rows, False
                cache.extend((body(env), env.local_rows))
                env.local_rows = outer
            if cache[1]:
                env.local_rows = True
            return cache[0]
        return constant

    # -- structure -----------------------------------------------------------

    def c_Field(self, node):
        return self.path(node)

    def c_Index(self, node):
        if isinstance(self.types[id(node.collection)], t.Table):
            return self.table_row(node)
        return self.path(node)

    def path(self, node) -> Closure:
        """A chain such as `practice.qof.indicators[code].numerator` becomes one
        closure that walks its steps in a loop, instead of one closure per dot
        and bracket. A step is a field name, or a key read from a bound name
        or computed by a closure; the chain starts at a bound name or at any
        other expression (a table row, a definition)."""
        steps: list[tuple[int, Any]] = []
        base = node
        while True:
            if isinstance(base, n.Field):
                steps.append((_FIELD, base.name))
                base = base.record
            elif isinstance(base, n.Index) and not isinstance(self.types[id(base.collection)], t.Table):
                key_binding = self.binding_name(base.keys[0])
                if key_binding is not None:
                    steps.append((_KEY_BOUND, key_binding))
                else:
                    key = self.expr(base.keys[0])
                    constant = getattr(key, "constant", _MISSING)
                    known = constant is not _MISSING and type(constant) is not Unknown
                    steps.append((_FIELD, constant) if known else (_KEY, key))  # a known key reads as a field
                base = base.collection
            else:
                break
        steps.reverse()
        plan = tuple(steps)
        bound = self.binding_name(base)
        start = None if bound is not None else self.expr(base)

        def walk_from(env, value):
            """Step by step: names what is missing, and records the trace."""
            for kind, step in plan:
                if kind == _FIELD:
                    if type(value) is Unknown:
                        value = _deeper(value, step)
                        continue
                    found = value.get(step, _MISSING)
                    if found is _MISSING:
                        found = Unknown(frozenset((
                            f"{value.path}.{step}" if isinstance(value, FactRecord) else step,)))
                    if env.trace is not None and isinstance(value, FactRecord):
                        env.trace.append(TraceEvent("fact", f"{value.path}.{step}", found))
                    value = found
                    continue
                key = env.bindings[step] if kind == _KEY_BOUND else step(env)
                if type(key) is Unknown:
                    value = merge_unknown(value, key)
                    continue
                if type(value) is Unknown:
                    value = _deeper(value, key)
                    continue
                found = value.get(key, _MISSING)
                if found is _MISSING:
                    found = Unknown(frozenset((f"{value.path}.{key}",)))
                if env.trace is not None:
                    env.trace.append(TraceEvent("fact", f"{value.path}.{key}", found))
                value = found
            return value

        # Facts were validated when read, so on the common path every step is
        # a dict lookup; the first step that finds nothing (or a trace to
        # record) hands over to the careful walk.
        if start is None and all(kind == _FIELD for kind, _ in plan):
            # The commonest path of all, a bound record and names (keys known
            # when compiling included): the lookups inline.
            names = tuple(step for _, step in plan)

            def read_path(env):
                if env.trace is None:
                    value = env.bindings[bound]
                    try:
                        for name in names:
                            value = value.get(name, _MISSING)
                            if value is _MISSING:
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
                found = _follow(value, env, plan)
                return walk_from(env, value) if found is _MISSING or found is _BROKEN else found

        def is_known(env):
            """`known(path)` without building the Unknown a missing path reads as."""
            value = env.bindings[bound] if start is None else start(env)
            if env.trace is not None:
                return type(walk_from(env, value)) is not Unknown
            found = _follow(value, env, plan)
            if found is _BROKEN:
                return type(walk_from(env, value)) is not Unknown
            return found is not _MISSING
        read_path.is_known = is_known
        return read_path

    def table_row(self, node) -> Closure:
        """`table[key, ...]`: the row in force (a dict of its cells), or Unknown."""
        table = self.types[id(node.collection)].name
        rows = self.table_rows(table)
        as_of = self.program.as_of
        local = self.local_layer
        keys = [self.expr(k) for k in node.keys]
        single = self.binding_name(node.keys[0]) if len(keys) == 1 else None
        in_force = self.program.tables.get(table)
        if in_force is not None and in_force.opted_in is not None:
            local_rows, national_rows = rows, self.table_rows(table, national=True)
            opted = opted_in(in_force.opted_in)
        else:
            opted = None
        rows_ = rows

        def look_up(env):
            rows = (local_rows if opted(env) else national_rows) if opted is not None else rows_

            if single is not None:
                first = env.bindings[single]
                if type(first) is Unknown:
                    return first
                key = (first,)
            else:
                key = tuple(k(env) for k in keys)
                if _unknown_of(*key):
                    return merge_unknown(*key)
            row = rows.get(key)
            if row is None:
                if opted is not None and rows is local_rows and key in national_rows:
                    env.local_rows = True  # a row retired for this subject, which opted in
                shown = ", ".join(str(k) for k in key)
                row = Unknown(frozenset((f"table {table} has no row for ({shown}) on {as_of}",)))
            elif row["_layer"] == local:
                env.local_rows = True
            if env.trace is not None:
                env.trace.append(TraceEvent("table", f"{table}[{', '.join(map(str, key))}]",
                                            row, {"layer": row.get("_layer") if isinstance(
                                                row, dict) else None}))
            return row
        return look_up

    def c_SetLiteral(self, node):
        items = [self.expr(i) for i in node.items]

        def make_set(env):
            values = [i(env) for i in items]
            if _unknown_of(*values):
                return merge_unknown(*values)
            return frozenset(values)
        return make_set

    # -- arithmetic ----------------------------------------------------------

    def c_Negate(self, node):
        operand = self.expr(node.operand)

        def negate(env):
            value = operand(env)
            return value if type(value) is Unknown else -value
        return negate

    def c_Arithmetic(self, node):
        """A chain `a + b - c ...` becomes one closure that works along it in a
        loop: the same order of reads, the same unknowns, as nested pairs."""
        spine = n.chain(node)
        if len(spine) == 1:
            return self._binary(self.expr(node.left), self.expr(node.right), self.operation(node),
                                node.operator == "/")
        first = self.expr(spine[-1].left)
        steps = tuple((self.operation(link), self.expr(link.right)) for link in reversed(spine))

        def along(env):
            a = first(env)
            for operation, right in steps:
                b = right(env)
                if type(a) is Unknown or type(b) is Unknown:
                    a = merge_unknown(a, b)
                else:
                    a = operation(a, b)
            return a
        return along

    def operation(self, node) -> Callable[[Any, Any], Any]:
        """What one arithmetic node does with two known values."""
        op = node.operator
        left_type, right_type = self.types[id(node.left)], self.types[id(node.right)]
        where = f"{node.span.file}:{node.span.line}:{node.span.column}"
        if isinstance(left_type, t.TimeOfDay):
            if isinstance(right_type, t.TimeOfDay):
                return lambda a, b: Decimal(a - b)
            sign = 1 if op == "+" else -1
            return lambda a, b: _clock_add(a, sign * int(b), where)
        if isinstance(left_type, t.Date):
            if isinstance(right_type, t.Date):
                return lambda a, b: Decimal((a - b).days)
            sign = 1 if op == "+" else -1
            if right_type.unit == t.MONTH:
                return lambda a, b: add_months(a, sign * int(b))
            return lambda a, b: a + dt.timedelta(days=sign * int(b))
        if op == "+":
            return operator.add
        if op == "-":
            return operator.sub
        if op == "*":
            return operator.mul

        def divide(a, b):
            if b == 0:
                return Unknown(frozenset((f"division by zero at {where}",)))
            return (a if type(a) is Decimal else Decimal(a)) / b
        return divide

    @staticmethod
    def _binary(left, right, operation, divides: bool = False):
        constant = getattr(right, "constant", _MISSING)
        if constant is not _MISSING and type(constant) is not Unknown and not (
                divides and constant == 0):
            def binary_constant(env):
                a = left(env)
                if type(a) is Unknown:
                    return a
                return operation(a, constant)
            return binary_constant

        def binary(env):
            a, b = left(env), right(env)
            if type(a) is Unknown or type(b) is Unknown:
                return merge_unknown(a, b)
            return operation(a, b)
        return binary

    def c_Call(self, node):
        args = [self.expr(a) for a in node.arguments]
        name = node.function
        if name == "known":
            arg = args[0]
            return getattr(arg, "is_known", None) or (lambda env: type(arg(env)) is not Unknown)
        if name == "size":
            return self._apply(args, lambda c: Decimal(len(c)))
        if name == "length":
            return self._apply(args, lambda ranges: Decimal(sum(e - s for s, e in ranges)))
        if name == "opens":
            return self._apply(args, lambda ranges: ranges[0][0] if ranges else Unknown(frozenset(
                ("an empty interval has no opening time",))))
        if name == "closes":
            return self._apply(args, lambda ranges: ranges[-1][1] if ranges else Unknown(frozenset(
                ("an empty interval has no closing time",))))
        if name == "weekday":
            return self._apply(args, lambda day: WEEKDAYS[day.weekday()])
        if name == "min":
            return self._apply(args, lambda *v: min(v))
        if name == "max":
            return self._apply(args, lambda *v: max(v))
        if name == "ceil":
            return self._apply(args, lambda v: v.to_integral_value(ROUND_CEILING))
        if name == "floor":
            return self._apply(args, lambda v: v.to_integral_value(ROUND_FLOOR))
        if name == "abs":
            return self._apply(args, abs)
        places = Decimal(1).scaleb(-int(node.arguments[1].value))
        return self._apply(args[:1], lambda v: v.quantize(places, rounding=ROUND_HALF_UP))

    @staticmethod
    def _apply(args, function):
        def apply(env):
            values = [a(env) for a in args]
            if _unknown_of(*values):
                return merge_unknown(*values)
            return function(*values)
        return apply

    # -- comparisons and logic -----------------------------------------------

    def c_Compare(self, node):
        op = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
              ">": operator.gt, ">=": operator.ge}[node.operator]
        return self._binary(self.expr(node.left), self.expr(node.right), op)

    def c_Logic(self, node):
        """`a and b and c ...` (or a chain of `or`): one closure that tries each
        side in turn and stops at the first that decides; Kleene logic for
        unknowns, as nested pairs would give."""
        spine = n.chain(node)
        sides = [self.expr(spine[-1].left)] + [self.expr(link.right) for link in reversed(spine)]
        deciding, neutral = (False, True) if node.operator == "and" else (True, False)
        if self.fold:
            # A side that is known when compiling may decide, or drop out.
            constants = [getattr(side, "constant", _MISSING) for side in sides]
            if any(c is deciding for c in constants):
                return _literal(deciding)
            sides = [side for side, c in zip(sides, constants) if c is not neutral]
            if not sides:
                return _literal(neutral)
        if len(sides) == 1:
            return sides[0]
        combine = kleene_and if node.operator == "and" else kleene_or
        first, rest = sides[0], tuple(sides[1:])

        def logic(env):
            a = first(env)
            for side in rest:
                if a is deciding:
                    return a
                a = combine(a, side(env))
            return a
        return logic

    def c_Not(self, node):
        operand = self.expr(node.operand)
        return lambda env: kleene_not(operand(env))

    def c_Membership(self, node):
        element, collection = self.expr(node.element), self.expr(node.collection)
        negated = node.negated
        collection_type = self.types[id(node.collection)]
        if isinstance(collection_type, t.Table) and self.local_rows:
            table = self.program.tables.get(collection_type.name)
            position = table.columns.index(table.keys[0]) if table else 0
            local_keys = frozenset(self.constant(row.cells[position]) for row, layer in
                                   (table.rows if table else ()) if layer == self.local_layer)
            # rows retired (removed) only for the subjects that opt in
            removed = frozenset()
            opted = None
            if table is not None and table.opted_in is not None:
                removed = table_keys(self.program, table.name, national=True) \
                    - table_keys(self.program, table.name)
                opted = opted_in(table.opted_in)
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

    def c_Covers(self, node):
        return self._binary(self.expr(node.times), self.expr(node.required), ranges_cover)

    def c_Within(self, node):
        inner_type = self.types[id(node.inner)]
        if isinstance(inner_type, t.TimeOfDay):
            return self._binary(self.expr(node.inner), self.expr(node.outer),
                                lambda time, ranges: any(s <= time < e for s, e in ranges))
        return self._binary(self.expr(node.inner), self.expr(node.outer),
                            lambda inner, outer: ranges_cover(outer, inner))

    def c_Conditional(self, node):
        condition = self.expr(node.condition)
        decided = getattr(condition, "constant", _MISSING)
        if decided is True:
            return self.expr(node.then)
        if decided is False:
            return self.expr(node.otherwise)
        if type(decided) is Unknown:
            return condition
        then, otherwise = self.expr(node.then), self.expr(node.otherwise)

        def conditional(env):
            c = condition(env)
            if c is True:
                return then(env)
            if c is False:
                return otherwise(env)
            return c
        return conditional

    def c_Quantified(self, node):
        collection = self.expr(node.collection)
        variable, quantifier = node.variable, node.quantifier
        if variable in self.static:  # the loop's variable hides a known key of the same name
            body = self.with_static({k: v for k, v in self.static.items() if k != variable},
                                    lambda: self.expr(node.body))
        else:
            body = self.expr(node.body)
        collection_type = self.types[id(node.collection)]
        iterate_keys = isinstance(collection_type, (t.MapOf,))

        def quantified(env):
            items = collection(env)
            if type(items) is Unknown:
                return items
            bindings = env.bindings
            saved = bindings.get(variable, _MISSING)
            results = []
            path = getattr(items, "path", "")
            for index, item in enumerate(items if not iterate_keys else list(items)):
                if item is None:
                    results.append(Unknown(frozenset((f"{path}[{index}]",))))
                    continue
                bindings[variable] = item
                results.append(body(env))
            if saved is _MISSING:
                bindings.pop(variable, None)
            else:
                bindings[variable] = saved
            return _combine(quantifier, results)
        return quantified


def _follow(value, env: Env, steps: tuple):
    """Look a path up in validated facts: the value, `_MISSING` when a step
    finds nothing, `_BROKEN` when a step meets something that is not a record
    (a list item given as null, an Unknown)."""
    bindings = env.bindings
    try:
        for kind, step in steps:
            value = value.get(step if kind == _FIELD else bindings[step] if kind == _KEY_BOUND
                              else step(env), _MISSING)
            if value is _MISSING:
                return _MISSING
    except AttributeError:
        return _BROKEN
    return value


def _clock_add(time: int, minutes: int, where: str):
    """A time of day moved by some minutes; past midnight it is not a time of day."""
    moved = time + minutes
    if not 0 <= moved <= 24 * 60:
        return Unknown(frozenset((f"a time past midnight at {where}",)))
    return moved


def _literal(value) -> Closure:
    """A literal's closure, marked so that operators can use the value directly."""
    def literal(env):
        return value
    literal.constant = value
    return literal


def _deeper(unknown: Unknown, name: str) -> Unknown:
    """A missing record's field is missing too: name the field, not the record."""
    if len(unknown.missing) == 1:
        (path,) = unknown.missing
        if " " not in path:
            return Unknown(frozenset((f"{path}.{name}",)))
    return unknown


def _combine(quantifier: str, results: list) -> Any:
    if quantifier == "every":
        value: Any = True
        for r in results:
            value = kleene_and(value, r)
            if value is False:
                return False
        return value
    if quantifier == "any":
        value = False
        for r in results:
            value = kleene_or(value, r)
            if value is True:
                return True
        return value
    if _unknown_of(*results):
        return merge_unknown(*results)
    if quantifier == "count":
        return Decimal(sum(1 for r in results if r is True))
    return sum(results, Decimal(0))


class _Missing:
    __slots__ = ()


_FIELD, _KEY_BOUND, _KEY = range(3)  # the steps of a path
_BROKEN = _Missing()


_MISSING = _Missing()


def compile_program(program: Program, fold: bool = True) -> CompiledProgram:
    recursion.ensure()  # compiling, and evaluating what it gives, recurse per level and definition
    return Compiler(program, fold).compile()


