"""The folding pass: the value of every expression that reads nothing an
arrangement gives, worked out once per program and recorded in a side table.

An expression is static when it reads only literals, parameters, tables (the
rows in force, unless they depend on a subject opting in), members of an
enumeration, definitions that are themselves constant, and keys known when
compiling (a definition `for each practice, each code in ...` is specialised
per code, so `qof_indicators[code].points` folds to a number). `as_of` is not
static: one program serves every date of its period.

Values are worked out from the nodes by this pass (not by running a backend),
with the operations of `operations` and the built-ins of
`static.builtins.BUILTINS`. A static expression whose value would read a row
a local layer added, or that has no value in force (a table with no row for
the key, a parameter with none), is left to run time: results must say that
they read the local row, and name the date of the arrangement.
"""

from __future__ import annotations

from typing import Any

from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown, kleene_and, kleene_not, kleene_or, merge_unknown, ranges_cover
from rules_engine.ir import operations as ops
from rules_engine.program.layers import Program, table_keys
from rules_engine.static.builtins import BUILTINS
from rules_engine.syntax import nodes as n
from rules_engine.syntax.nodes import walk


class _NotStatic:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_STATIC"


#: What the pass records for an expression it cannot (or must not) fold.
NOT_STATIC = _NotStatic()

Known = tuple  # ((name, value), ...): the keys known while compiling


class Folder:
    """The folding pass over one program; `value(node, known)` reads (and on
    first use fills) the side table."""

    def __init__(self, program: Program, local_rows: bool):
        self.program = program
        checked = program.checked
        self.types, self.names = checked.types, checked.names
        self.define_scopes = checked.define_scopes
        self.local = program.local.name if program.local is not None else None
        self.local_rows = local_rows  # whether reads of local rows are tracked at all
        self.values: dict[tuple[int, Known], Any] = {}
        self.static: dict[tuple[int, Known], bool] = {}
        self.constants: dict[str, bool] = {}
        self.rows: dict[tuple[str, bool], dict[tuple, dict]] = {}

    # -- which expressions are static ------------------------------------------

    def is_static(self, node, known: Known = ()) -> bool:
        """Whether `node` reads nothing an arrangement gives (bottom-up, with an
        explicit stack: a long chain costs no recursion)."""
        memo = self.static
        hit = memo.get((id(node), known))
        if hit is not None:
            return hit
        names = {name for name, _ in known}
        stack = [(node, False)]
        while stack:
            item, ready = stack.pop()
            key = (id(item), known)
            if key in memo:
                continue
            if isinstance(item, n.Quantified):
                memo[key] = False
            elif isinstance(item, n.Name) and id(item) in self.names:
                memo[key] = self.static_name(self.names[id(item)], names)
            elif isinstance(item, n.Index) and self.opted_table(item.collection) is not None:
                memo[key] = False  # its rows depend on whether the subject opted in
            elif ready:
                memo[key] = all(memo[(id(child), known)] for child in n.children(item))
            else:
                stack.append((item, True))
                stack.extend((child, False) for child in n.children(item))
        return memo[(id(node), known)]

    def static_name(self, resolved, known_names=frozenset()) -> bool:
        kind = resolved.kind
        if kind == "table":
            table = self.program.tables.get(resolved.target)
            return table is None or table.opted_in is None
        if kind in ("param", "member"):
            return True
        if kind == "binding":
            return resolved.target in known_names
        return kind == "define" and self.is_constant(resolved.target)

    def opted_table(self, node):
        """The table a node reads, when its rows depend on a subject's opting in."""
        type_ = self.types.get(id(node))
        if isinstance(type_, t.Table):
            table = self.program.tables.get(type_.name)
            if table is not None and table.opted_in is not None:
                return table
        return None

    def no_value(self, name: str) -> bool:
        """A parameter with no value in force under this program."""
        param = self.program.parameters.get(name)
        return param is None or param.value is None

    def is_constant(self, name: str) -> bool:
        """A definition that reads no facts, no date and needs no subject: the
        same for every arrangement under this program."""
        if name in self.constants:
            return self.constants[name]
        self.constants[name] = False  # a cycle cannot be constant (and is a static error anyway)
        define = self.program.defines.get(name)
        constant = define is not None and define.replaced_by is None and not self.define_scopes.get(name)
        if constant:
            for node in walk(define.term.body):
                resolved = self.names.get(id(node)) if isinstance(node, n.Name) else None
                if resolved is None:
                    continue
                kind = resolved.kind
                if kind == "param" and self.no_value(resolved.target):
                    constant = False  # its unknown names the arrangement's date (`runtime.no_value`)
                    break
                if kind in ("param", "member", "binding") or (kind == "table" and self.static_name(resolved)):
                    continue
                if kind == "define" and self.is_constant(resolved.target):
                    continue
                constant = False
                break
        self.constants[name] = constant
        return constant

    # -- values -----------------------------------------------------------------

    def value(self, node, known: Known = ()) -> Any:
        """The expression's value, or `NOT_STATIC`."""
        key = (id(node), known)
        table = self.values
        if key in table:
            return table[key]
        result = self._work_out(node, known) if self.is_static(node, known) else NOT_STATIC
        table[key] = result
        return result

    def constant_define(self, name: str) -> Any:
        """A constant definition's value (rounded as it says), or `NOT_STATIC`."""
        if not self.is_constant(name):
            return NOT_STATIC
        define = self.program.defines[name]
        value = self.value(define.term.body)
        if value is NOT_STATIC or define.term.rounding is None:
            return value
        return ops.rounded(value, define.term.rounding)

    def _work_out(self, node, known: Known) -> Any:
        kind = type(node)
        if kind in ops.LITERALS:
            return ops.literal(node)
        if kind is n.Name:
            return self.name(node, known)
        if kind is n.Arithmetic:
            return self.arithmetic(node, known)
        if kind is n.Logic:
            spine = n.chain(node)
            combine = kleene_and if node.operator == "and" else kleene_or
            deciding = node.operator == "or"
            sides = [spine[-1].left] + [link.right for link in reversed(spine)]
            value = self.value(sides[0], known)
            for side in sides[1:]:
                if value is NOT_STATIC or value is deciding:
                    break
                other = self.value(side, known)
                value = NOT_STATIC if other is NOT_STATIC else combine(value, other)
            return value
        if kind is n.Conditional:  # only the branch taken is read
            condition = self.value(node.condition, known)
            if condition is True or condition is False:
                return self.value(node.then if condition else node.otherwise, known)
            return condition
        values = [self.value(child, known) for child in n.children(node)]
        if any(v is NOT_STATIC for v in values):
            return NOT_STATIC
        if kind is n.Not:
            return kleene_not(values[0])
        if kind is n.Call:
            builtin = BUILTINS[node.function]
            if not builtin.strict:
                return builtin.implementation(*values)
            if ops.any_unknown(*values):
                return merge_unknown(*values)
            return builtin.implementation(node.span, *values) if builtin.takes_span \
                else builtin.implementation(*values)
        if ops.any_unknown(*values):
            return merge_unknown(*values)
        if kind is n.SetLiteral:
            return frozenset(values)
        if kind is n.Negate:
            return -values[0]
        if kind is n.Compare:
            return ops.COMPARE[node.operator](*values)
        if kind is n.Covers:
            return ranges_cover(*values)
        if kind is n.Within:
            return ops.within(self.types[id(node.inner)])(*values)
        if kind is n.Membership:
            if self.local_rows and self.reads_local_key(node, values[0]):
                return NOT_STATIC
            return ops.member(node.negated)(*values)
        if kind is n.Field:
            return self.step(values[0], node.name)
        if kind is n.Index:
            if isinstance(self.types[id(node.collection)], t.Table):
                return self.row(self.types[id(node.collection)].name, tuple(values[1:]))
            return self.step(values[0], values[1])
        return NOT_STATIC

    def name(self, node, known: Known) -> Any:
        resolved = self.names[id(node)]
        kind, target = resolved.kind, resolved.target
        if kind == "binding":
            return dict(known)[target]
        if kind == "member":
            return target
        if kind == "param":
            param = self.program.parameters.get(target)
            if param is None or param.value is None:
                return NOT_STATIC  # its reason names the arrangement's date
            return self.value(param.value)
        if kind == "table":
            return table_keys(self.program, target)
        if kind == "define":
            return self.constant_define(target)
        return NOT_STATIC

    def arithmetic(self, node, known: Known) -> Any:
        spine = n.chain(node)
        value = self.value(spine[-1].left, known)
        for link in reversed(spine):
            right = self.value(link.right, known)
            if value is NOT_STATIC or right is NOT_STATIC:
                return NOT_STATIC
            if type(value) is Unknown or type(right) is Unknown:
                value = merge_unknown(value, right)
            else:
                value = ops.arithmetic(link.operator, self.types[id(link.left)], self.types[id(link.right)],
                                       link.span)(value, right)
        return value

    @staticmethod
    def step(value, key) -> Any:
        """One step of a path from a static value (a table row's cell)."""
        if type(value) is Unknown:
            return ops.deeper(value, key)
        found = value.get(key, NOT_STATIC) if isinstance(value, dict) else NOT_STATIC
        return Unknown(frozenset((str(key),))) if found is NOT_STATIC else found

    def row(self, table: str, key: tuple) -> Any:
        """`table[key, ...]`: the row in force, or NOT_STATIC when there is none
        (its reason names the date) or a local layer gave it."""
        row = self.table_rows(table).get(key)
        if row is None or (self.local_rows and row["_layer"] == self.local):
            return NOT_STATIC
        return row

    def table_rows(self, name: str, national: bool = False) -> dict[tuple, dict]:
        """A table's rows in force, by key: each row's cells by column (and the
        layer it came from, as `_layer`); with `national`, the rows of the
        subjects that did not opt in to a local change."""
        rows = self.rows.get((name, national))
        if rows is not None:
            return rows
        rows = self.rows[(name, national)] = {}
        table = self.program.tables.get(name)
        if table is None:
            return rows
        key_positions = [table.columns.index(k) for k in table.keys]
        for row, layer in (table.national_rows if national and table.opted_in else table.rows):
            cells = {column: (self.value(cell) if cell is not None else None)
                     for column, cell in zip(table.columns, row.cells)}
            cells["_layer"] = layer
            rows[tuple(cells[table.columns[p]] for p in key_positions)] = cells
        return rows

    def local_keys(self, table_name: str) -> tuple[frozenset, frozenset]:
        """The keys of a table's rows that a local layer added, and those it
        retired only for the subjects that opt in."""
        table = self.program.tables.get(table_name)
        if table is None:
            return frozenset(), frozenset()
        position = table.columns.index(table.keys[0])
        added = frozenset(self.value(row.cells[position]) for row, layer in table.rows if layer == self.local)
        removed = frozenset()
        if table.opted_in is not None:
            removed = table_keys(self.program, table_name, national=True) - table_keys(self.program, table_name)
        return added, removed

    def reads_local_key(self, node: n.Membership, element) -> bool:
        type_ = self.types[id(node.collection)]
        if not isinstance(type_, t.Table):
            return False
        added, removed = self.local_keys(type_.name)
        return element in added or element in removed
