"""The generated backend's code generator: a checked program as a Python
module, built as an `ast` tree (never as source text).

Every identifier in the module is generated here (`t12`, `d3`, `r7`); every
value from a rule file is an `ast.Constant` (text, whole numbers, booleans)
or an entry of the constants tuple `K` (amounts, dates, sets, table rows, the
readers of `runtime`), so that a rule file's names and strings, whatever
they hold (quotes, `__import__`, newlines, `\"\"\"`), are data. Statements carry
the line and column of the rule-file span they come from.

Each expression becomes straight-line statements into temporaries, with the
unknowns handled as the reference backend (`closures`) handles them:
arithmetic and comparisons pass an unknown on, `and`/`or` stop at the first
side that decides (Kleene's logic), a definition is worked out once per
subject (and key) and remembers whether it read a local layer's change.
"""

from __future__ import annotations

import ast
from typing import Any

from rules_engine.backends import runtime
from rules_engine.backends.codegen_reads import (Reads, _changes, _is_unknown, _may_be_unknown, _merged,
    _unknown_test, node_key)
from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown
from rules_engine.base.pyast import LOAD, STORE, attr as _attr, call as _call, is_ as _is, load as _load, store as _store
from rules_engine.ir import operations as ops
from rules_engine.ir.checked import CheckedProgram
from rules_engine.ir.fold import NOT_STATIC
from rules_engine.program.layers import table_keys
from rules_engine.syntax import nodes as n

_PLAIN = (bool, str, int, type(None))
_OPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult}
_COMPARE = {"=": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}


class Module:
    """The constants and functions of one generated module."""

    def __init__(self):
        self.constants: list[Any] = []
        self.constant_index: dict[tuple, int] = {}
        self.functions: list[ast.FunctionDef] = []

    def const(self, value) -> ast.expr:
        """A value as the module holds it: a literal, or an entry of `K`."""
        if type(value) in _PLAIN and not (type(value) is int and abs(value) > 2 ** 62):
            return ast.Constant(value)
        try:
            key = (type(value), value)
            index = self.constant_index.get(key)
        except TypeError:  # a table row (a dict), a reader: by identity
            key, index = (type(value), id(value)), None
            index = self.constant_index.get(key)
        if index is None:
            index = self.constant_index[key] = len(self.constants)
            self.constants.append(value)
        entry = ast.Subscript(_load("K"), ast.Constant(index), LOAD)
        entry.known = type(value) is not Unknown  # read by `_may_be_unknown`, not compiled
        return entry


class Function:
    """One generated function: its statements, a block at a time, and its temporaries."""

    def __init__(self, gen: "Generator", name: str, span):
        self.gen, self.name, self.span = gen, name, span
        self.blocks: list[list[ast.stmt]] = [[]]
        # What each open block has worked out already (`reuse`): a read's key
        # to the temporary holding it, valid in that block and those inside it.
        self.known: list[dict | None] = [{}]
        self.count = 0
        self.bindings_read = False
        self.loops = 0  # how many quantifiers' bodies the statements emitted now are in
        self.loop_variables: list[str] = []  # the variables those quantifiers bind, outermost first
        # The temporaries that hold a bound record a fact path starts from
        # (a subject, an item of a list of records: never an unknown).
        self.records: set[str] = set()

    def tmp(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def emit(self, statement: ast.stmt, span=None) -> None:
        span = span or self.span
        if span is not None:
            statement.lineno, statement.col_offset = max(span.line, 1), max(span.column - 1, 0)
            statement.end_lineno, statement.end_col_offset = statement.lineno, statement.col_offset
        self.blocks[-1].append(statement)

    def assign(self, value: ast.expr, span=None) -> ast.Name:
        name = self.tmp()
        self.emit(ast.Assign([_store(name)], value), span)
        return _load(name)

    def block(self, barrier: bool = False, variable: str | None = None) -> list[ast.stmt]:
        """A nested block; a `barrier` (a loop's body, where a bound name
        changes) reuses nothing worked out outside it; a quantifier's body,
        where only its `variable` changes, reuses what does not read it."""
        self.blocks.append([])
        self.known.append({"": variable} if barrier or variable is not None else {})
        return self.blocks[-1]

    def end(self) -> list[ast.stmt]:
        body = self.blocks.pop()
        self.known.pop()
        return body or [ast.Pass()]

    def known_value(self, key) -> ast.Name | None:
        """The temporary an open block holds the read `key` in, if any."""
        for known in reversed(self.known):
            found = known.get(key)
            if found is not None:
                return _load(found.id)
            if "" in known and _changes(key, known[""]):
                return None
        return None

    def reuse(self, key, make) -> ast.expr:
        """A read worked out once per run of the function: the temporary an
        enclosing block already holds it in, or `make()` now (reads of bound
        names, facts, definitions, table rows and fact paths have no effect
        but a local layer's flag, which a first read has set already)."""
        found = self.known_value(key)
        if found is not None:
            return found
        made = make()
        if isinstance(made, ast.Name):
            self.known[-1][key] = made
        return made

    def bindings(self) -> ast.Name:
        self.bindings_read = True
        return _load("B")

    def finish(self, args: list[str]) -> ast.FunctionDef:
        body = self.blocks[0]
        if self.bindings_read:
            body.insert(0, ast.Assign([_store("B")], _attr(_load("E"), "bindings")))
        function = ast.FunctionDef(self.name, ast.arguments([], [ast.arg(a) for a in args], None, [], [], None, []),
                                   body, [], None)
        line = self.span.line if self.span is not None else 1
        function.lineno, function.col_offset = line, 0
        function.end_lineno, function.end_col_offset = line, 0
        return function


class Generator(Reads):
    """Builds the module of one checked program (`generated.GeneratedRunner` compiles it)."""

    def __init__(self, checked: CheckedProgram):
        self.checked = checked
        self.program = checked.program
        self.types = checked.types
        self.names = checked.names
        self.module = Module()
        self.define_names = {name: f"d{i}" for i, name in enumerate(checked.define_order)}
        self.fn: Function | None = None
        self.inlined: frozenset[str] = frozenset()  # definitions worked out where they are read (`inline`)
        self.unread: frozenset[str] = frozenset()  # reported ones no term reads (`generated.unread`)
        self.columns: dict[tuple, dict] = {}  # (table, field) -> each key's cell (`column`)

    def const(self, value) -> ast.expr:
        return self.module.const(value)

    # -- expressions ------------------------------------------------------------

    def expr(self, node) -> ast.expr:
        """Statements working out `node` into the current function; the result
        (a temporary, a literal or a constant)."""
        value = self.checked.static_value(node)
        if value is not NOT_STATIC:
            return self.const(value)
        return getattr(self, "g_" + type(node).__name__)(node)

    def binary(self, node, left: ast.expr, right: ast.expr, operation, settle=None) -> ast.expr:
        """`operation(left, right)` (an ast builder), an unknown side passed on
        (or given to `settle(left, right)`, an ast builder, when there is one)."""
        fn = self.fn
        test = _unknown_test((left, right))
        if test is None:
            return fn.assign(operation(left, right), node.span)
        result = fn.tmp()
        unknown = [ast.Assign([_store(result)], settle(left, right) if settle is not None
                              else _merged((left, right)))]
        known = [ast.Assign([_store(result)], operation(left, right))]
        fn.emit(ast.If(test, unknown, known), node.span)
        return _load(result)

    def g_Name(self, node):
        resolved = self.names[id(node)]
        kind, target = resolved.kind, resolved.target
        fn = self.fn
        if kind == "binding":
            return self.bound(target, node.span)
        if kind == "member":
            return ast.Constant(target)
        if kind == "as_of":
            return fn.assign(_attr(_load("E"), "as_of"), node.span)
        if kind == "fact":
            return fn.reuse(("fact", target), lambda: fn.assign(
                _call(_load("fact"), _load("E"), ast.Constant(target)), node.span))
        if kind == "param":  # a parameter with a value is static
            return fn.assign(_call(self.const(runtime.no_value(target, node.span)), _load("E")), node.span)
        if kind == "table":
            table = self.program.tables[target]
            chooser = (lambda keys, national, opted: lambda env: keys if opted(env) else national)(
                table_keys(self.program, target), table_keys(self.program, target, national=True),
                runtime.opted_in(table.opted_in))
            return fn.reuse(("table", target), lambda: fn.assign(_call(self.const(chooser), _load("E")), node.span))
        if target in self.define_names:
            if target in self.inlined and self.read_once_per_key(target, fn):  # worked out here
                return fn.reuse(("define", target), lambda: self.inline(target, node.span))
            return fn.reuse(("define", target), lambda: fn.assign(
                _call(_load(self.define_names[target]), _load("E")), node.span))
        return fn.assign(_call(_load("because"), ast.Constant("no-definition"),
                               ast.Constant(f"definition {target}")), node.span)

    def read_once_per_key(self, name: str, fn: Function) -> bool:
        """Whether a definition read in one place only is read there once for
        each of its subjects and keys: out of any loop, or in loops each of
        which binds one of its keys (`qof_points = sum code in indicators:
        points_for`, with `points_for` per code), so that a pass reads it for
        another key than the last and a memo would not be read again."""
        keys = self.checked.define_scopes.get(name, ())[1:]
        return all(variable in keys for variable in fn.loop_variables)

    def g_Field(self, node):
        return self.path(node)

    def g_Index(self, node):
        if isinstance(self.types[id(node.collection)], t.Table):
            return self.table_row(node)
        return self.path(node)

    def g_Membership(self, node):
        element, collection = self.expr(node.element), self.expr(node.collection)
        of_table = self.table_member(node)
        if of_table is not None:
            return self.fn.assign(_call(self.const(of_table), _load("E"), element, collection), node.span)
        operator = ast.NotIn() if node.negated else ast.In()
        return self.binary(node, element, collection, lambda a, c: ast.Compare(a, [operator], [c]))

    def g_Arithmetic(self, node):
        spine = n.chain(node)
        value = self.expr(spine[-1].left)
        for link in reversed(spine):
            right = self.expr(link.right)
            left_type, right_type = self.types[id(link.left)], self.types[id(link.right)]
            plain = link.operator in _OPS and isinstance(left_type, t.Quantity) and isinstance(right_type, t.Quantity)
            if plain:
                op = _OPS[link.operator]()
                value = self.binary(link, value, right, lambda a, b, op=op: ast.BinOp(a, op, b))
            else:
                operation = self.const(ops.arithmetic(link.operator, left_type, right_type, link.span))
                value = self.binary(link, value, right, lambda a, b, f=operation: _call(f, a, b))
        return value

    def g_Compare(self, node):
        operator = _COMPARE[node.operator]()
        ranged = self.checked.declared_range(node)
        settle = None
        left, right = self.expr(node.left), self.expr(node.right)
        if ranged is not None:  # an unknown side may not be needed (`ir.ranged`)
            holds = self.const(ops.COMPARE[node.operator])
            bounds = [ast.Constant(ranged.side), self.const(ranged.low), self.const(ranged.high)]
            if ranged.shape is not None:  # arithmetic over ranged reads: its operands' values too
                bounds += [self.const(ranged.shape), ast.List([self.expr(leaf) for leaf in ranged.leaves],
                                                              LOAD)]
            settle = lambda a, b: _call(_load("settle"), _load("E"), a, b, holds, *bounds)  # noqa: E731
        return self.binary(node, left, right, lambda a, b: ast.Compare(a, [operator], [b]), settle)

    def g_Covers(self, node):
        cover = self.const(ops.ranges_cover)
        return self.binary(node, self.expr(node.times), self.expr(node.required), lambda a, b: _call(cover, a, b))

    def g_Within(self, node):
        within = self.const(ops.within(self.types[id(node.inner)]))
        return self.binary(node, self.expr(node.inner), self.expr(node.outer), lambda a, b: _call(within, a, b))

    def g_Negate(self, node):
        value = self.expr(node.operand)
        return self.fn.assign(ast.IfExp(_is_unknown(value), value, ast.UnaryOp(ast.USub(), value)), node.span)

    def g_Not(self, node):
        value = self.expr(node.operand)  # Kleene's not, as `knot`: an unknown stays
        return self.fn.assign(ast.IfExp(_is(value, ast.Constant(True)), ast.Constant(False),
                                        ast.IfExp(_is(value, ast.Constant(False)), ast.Constant(True), value)),
                              node.span)

    def g_SetLiteral(self, node):
        items = [self.expr(i) for i in node.items]
        make = lambda *values: _call(_load("frozenset"), ast.Tuple(list(values), LOAD))  # noqa: E731
        fn = self.fn
        test = _unknown_test(items)
        if test is None:
            return fn.assign(make(*items), node.span)
        result = fn.tmp()
        fn.emit(ast.If(test, [ast.Assign([_store(result)], _merged(items))],
                       [ast.Assign([_store(result)], make(*items))]), node.span)
        return _load(result)

    def fact_path(self, node) -> bool:
        """Whether `node` is a fact path read from an arrangement (with a plan)."""
        if self.checked.static_value(node) is not NOT_STATIC:
            return False
        return isinstance(node, n.Field) or (isinstance(node, n.Index)
                                             and not isinstance(self.types[id(node.collection)], t.Table))

    def g_Call(self, node):
        builtin = self.checked.builtins[node.function]
        fn = self.fn
        if not builtin.strict and self.fact_path(node.arguments[0]):  # `known` of a fact path
            return self.known_path(node.arguments[0])
        args = [self.expr(a) for a in node.arguments]
        if not builtin.strict:  # `known`
            return fn.assign(_is(_call(_load("type"), args[0]), _load("U"), negated=True), node.span)
        function = self.const(builtin.implementation)
        call_args = ([self.const(node.span)] if builtin.takes_span else []) + args
        test = _unknown_test(args)
        result = fn.tmp()
        known = [ast.Assign([_store(result)], _call(function, *call_args))]
        if test is None:
            for statement in known:
                fn.emit(statement, node.span)
            return _load(result)
        fn.emit(ast.If(test, [ast.Assign([_store(result)], _merged(args))], known), node.span)
        return _load(result)

    def g_Logic(self, node):
        """Each side in turn, in one flat run of `if`s, stopping at the first
        that decides; a side known when compiling may decide, or drop out."""
        spine = n.chain(node)
        sides = [spine[-1].left] + [link.right for link in reversed(spine)]
        deciding, neutral = (False, True) if node.operator == "and" else (True, False)
        values = [self.checked.static_value(side) for side in sides]
        if any(v is deciding for v in values):
            return ast.Constant(deciding)
        sides = [side for side, v in zip(sides, values) if v is not neutral]
        if not sides:
            return ast.Constant(neutral)
        fn = self.fn
        result = fn.tmp()
        fn.emit(ast.Assign([_store(result)], self.expr(sides[0])), node.span)
        for side in sides[1:]:
            fn.block()
            value = self.expr(side)
            # `kand`/`kor` inline: the result so far is not the deciding value
            # here, so the side decides, or both are the neutral value, or
            # they merge as unknowns.
            fn.emit(ast.If(_is(value, ast.Constant(deciding)), [ast.Assign([_store(result)], ast.Constant(deciding))],
                           [ast.If(ast.BoolOp(ast.Or(), [_is(_load(result), ast.Constant(neutral), negated=True),
                                                         _is(value, ast.Constant(neutral), negated=True)]),
                                   [ast.Assign([_store(result)], _call(_load("merge2"), _load(result), value))],
                                   [])]), side.span)
            body = fn.end()
            fn.emit(ast.If(_is(_load(result), ast.Constant(deciding), negated=True), body, []), side.span)
        return _load(result)

    def g_Conditional(self, node):
        condition = self.expr(node.condition)
        if isinstance(condition, ast.Constant) and condition.value in (True, False):
            return self.expr(node.then if condition.value else node.otherwise)
        fn = self.fn
        result = fn.tmp()
        branches = []
        for branch in (node.then, node.otherwise):
            fn.block()
            value = self.expr(branch)
            fn.emit(ast.Assign([_store(result)], value), branch.span)
            branches.append(fn.end())
        fn.emit(ast.If(_is(condition, ast.Constant(True)), branches[0],
                       [ast.If(_is(condition, ast.Constant(False)), branches[1],
                               [ast.Assign([_store(result)], condition)])]), node.span)
        return _load(result)

    def g_Quantified(self, node):
        fn = self.fn
        items = self.expr(node.collection)
        result, saved, values, index, item = fn.tmp(), fn.tmp(), fn.tmp(), fn.tmp(), fn.tmp()
        bindings = fn.bindings()
        variable = ast.Constant(node.variable)
        fn.block()
        iterate = _call(_load("list"), items) if isinstance(self.types[id(node.collection)], t.MapOf) else items
        fn.emit(ast.Assign([_store(saved)], _call(_attr(bindings, "get"), variable, _load("MISSING"))))
        fn.emit(ast.Assign([_store(values)], ast.List([], LOAD)))
        fn.block(variable=node.variable)  # the loop's body: the variable's value changes
        fn.loops += 1
        fn.loop_variables.append(node.variable)
        fn.emit(ast.If(_is(_load(item), ast.Constant(None)),
                       [ast.Expr(_call(_attr(_load(values), "append"),
                                       _call(_load("item_missing"), items, _load(index)))), ast.Continue()], []))
        fn.emit(ast.Assign([ast.Subscript(bindings, variable, STORE)], _load(item)))
        fn.known[-1][("binding", node.variable)] = _load(item)
        body = self.expr(node.body)
        fn.emit(ast.Expr(_call(_attr(_load(values), "append"), body)), node.body.span)
        fn.loops -= 1
        fn.loop_variables.pop()
        loop = fn.end()
        fn.emit(ast.For(ast.Tuple([_store(index), _store(item)], STORE), _call(_load("enumerate"), iterate),
                        loop, [], None), node.span)
        fn.emit(ast.If(_is(_load(saved), _load("MISSING")),
                       [ast.Expr(_call(_attr(bindings, "pop"), variable, ast.Constant(None)))],
                       [ast.Assign([ast.Subscript(bindings, variable, STORE)], _load(saved))]))
        fn.emit(ast.Assign([_store(result)], _call(_load("combine"), ast.Constant(node.quantifier), _load(values))))
        known = fn.end()
        if not _may_be_unknown(items):  # a constant collection: never unknown
            fn.blocks[-1].extend(known)
            return _load(result)
        fn.emit(ast.If(_is_unknown(items), [ast.Assign([_store(result)], items)], known), node.span)
        return _load(result)


__all__ = ["Generator", "Function", "Module", "Unknown", "node_key", "_is_unknown", "_unknown_test"]
