"""Resolve names and check types and units across a whole library.

Input: a `Library`. Output: `Checked`, side tables keyed by node identity: the
type of every expression, what every name refers to, and each term's direct
dependencies (for provenance and cycle checks).
Diagnostics: E-NAME-001 (unknown name, with "did you mean"), E-TYPE-009 (a name
where a member of an enumeration is expected that is not one), E-NAME-003
(definitions or parameters that read each other in a cycle), E-LIMIT-005 (a
chain of reads longer than `max_definition_chain`), E-NAME-005 (a definition
used where its subject is not bound), E-NAME-008 (a table key that is no
column), E-NAME-009 (no such column), E-NAME-010 (`weekday` without its
enumeration), E-NAME-006 (unknown function), E-TYPE-001..010, E-UNIT-001..004,
E-SYNTAX-013 (a hyphenated name, which reads as a subtraction of unknown names).
Where a literal is of the wrong type or unit, the hint writes the literal that
would do (`write `2000 minutes``, `write `70 minutes` without quotes`).

Every form of every term is checked once, whatever its dates: a name means
the same kind of thing, with the same type, in every year.
"""

from __future__ import annotations

import attrs

from rules_engine.base import limits, recursion
from rules_engine.syntax import slips
from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.static.builtins import BUILTINS, CallCheck
from rules_engine.static.dependencies import chain_lengths, chain_path, find_cycles
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, did_you_mean
from rules_engine.static.forms import Form
from rules_engine.static.library import Library
from rules_engine.static.schema import resolve_type
from rules_engine.static.slip_checks import SlipChecks, literal_fix, write_literal

BUILTIN_NAMES = {"as_of": t.DATE}
FUNCTIONS = tuple(BUILTINS)


@attrs.frozen
class Resolved:
    """What a name refers to: `kind` is param, table, define, binding, fact, member or as_of."""

    kind: str
    target: str


@attrs.frozen(eq=False)
class Checked:
    library: Library
    types: dict[int, t.Type]
    names: dict[int, Resolved]
    term_types: dict[str, t.Type]
    dependencies: dict[str, frozenset[str]]  # term name -> term names it reads
    define_scopes: dict[str, tuple[str, ...]]  # define name -> binding names it needs


class _Checker(SlipChecks):
    def __init__(self, library: Library):
        self.library = library
        self.enums = library.enums
        self.types: dict[int, t.Type] = {}
        self.names: dict[int, Resolved] = {}
        self.diagnostics: list[Diagnostic] = []
        self.term_types: dict[str, t.Type] = {}
        self.term_kinds: dict[str, str] = {}
        self.define_scopes: dict[str, tuple[str, ...]] = {}
        self.define_forms: dict[str, Form] = {}
        self.tables: dict[str, n.TableDecl] = {}
        self.dependencies: dict[str, set[str]] = {}
        self.vary_reads: dict[int, set[str]] = {}  # id(VaryDecl) -> terms its value reads
        self.current: set[str] | None = None
        # term name -> {term it reads: the deepest level of nesting it is read at}
        self.read_levels: dict[str, dict[str, int]] = {}
        self.current_levels: dict[str, int] | None = None
        self.level = 0  # how many expressions enclose the one being checked
        self.sources = library.sources  # the text under a span, for slips such as `01/04/2025`

    # -- entry ---------------------------------------------------------------

    def run(self) -> Checked:
        forms = self.library.forms
        for name, name_forms in forms.items():
            first = name_forms[0].term
            if isinstance(first, n.ParameterDecl):
                self.term_kinds[name] = "param"
                self.term_types[name] = self.type_of_decl(first.type)
                for form in name_forms[1:]:
                    other = self.type_of_decl(form.term.type, report=False)
                    if t.join(other, self.term_types[name]) is None:
                        self.error("E-TYPE-003", f"`{name}` is {t.describe(other)} here but "
                                   f"{t.describe(self.term_types[name])} in another form",
                                   form.term.type.span, related=(Related(first.type.span, "other form"),))
            elif isinstance(first, n.TableDecl):
                self.term_kinds[name] = "table"
                self.tables[name] = first
            elif isinstance(first, n.DefineDecl):
                self.term_kinds[name] = "define"
                self.term_types[name] = self.type_of_decl(first.type)
                self.define_forms[name] = name_forms[0]
                self.define_scopes[name] = self.scope_names(first.scope)
            else:
                self.term_kinds[name] = "requirement"
        for name, name_forms in forms.items():
            for form in name_forms:
                self.current = self.dependencies.setdefault(name, set())
                self.current_levels = self.read_levels.setdefault(name, {})
                self.check_term(form.term)
        self.current_levels = None
        self.check_local_variations()
        self.current = None
        self.check_cycles()
        return Checked(self.library, self.types, self.names, self.term_types,
                       {k: frozenset(v) for k, v in self.dependencies.items()}, self.define_scopes)

    # -- helpers -------------------------------------------------------------

    def error(self, code, message, span, hint=None, related=()):
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint, related=tuple(related)))

    def type_of_decl(self, expr: n.TypeExpr, report: bool = True) -> t.Type:
        sink: list[Diagnostic] = []
        result = resolve_type(expr, self.enums, sink)
        if report:
            self.diagnostics.extend(sink)
        return result

    def scope_names(self, scope: n.Scope | None) -> tuple[str, ...]:
        if scope is None:
            return ()
        return (scope.subject,) + ((scope.key_variable,) if scope.key_variable else ())

    def scope_bindings(self, scope: n.Scope | None) -> dict[str, t.Type]:
        if scope is None:
            return {}
        subject = self.library.schema.subjects.get(scope.subject)
        if subject is None:
            self.error("E-NAME-007", f"unknown subject `{scope.subject}`", scope.span,
                       hint=did_you_mean(scope.subject, self.library.schema.subjects) or
                       "subjects: " + ", ".join(sorted(self.library.schema.subjects)))
            return {scope.subject: t.ERROR}
        bindings: dict[str, t.Type] = {scope.subject: subject.record}
        if subject.numbered_within:
            outer = self.library.schema.subjects.get(subject.numbered_within)
            if outer is not None:
                bindings.setdefault(outer.name, outer.record)
        if scope.key_variable:
            collection = self.check(scope.key_collection, bindings)
            bindings[scope.key_variable] = self.element_type(collection, scope.key_collection)
        return bindings

    def expect(self, expr, scope, expected: t.Type, what: str) -> t.Type:
        actual = self.check(expr, scope, expected)
        if isinstance(actual, t.Error) or isinstance(expected, t.Error):
            return actual
        if isinstance(expected, t.Quantity) and isinstance(actual, t.Quantity):
            if expected.unit != actual.unit and _literal_in_rate(expr, expected, actual):
                self.types[id(expr)] = expected  # `£225.49` declared `money per point`
                return expected
            if expected.unit != actual.unit:
                self.error("E-UNIT-001", f"{what} should be {t.describe(expected)}, "
                           f"but this is {t.describe(actual)}", expr.span,
                           hint=write_literal(expr, expected))
            return actual
        if self.quoted(expr, expected, f"{what} should be {t.describe(expected)}, but this is "
                       "a quoted text"):
            return t.ERROR
        if not isinstance(actual, type(expected)) and self.written_otherwise(expr, expected):
            return t.ERROR
        if t.join(expected, actual) is None:
            code = "E-TYPE-004" if isinstance(expected, t.Boolean) else "E-TYPE-003"
            self.error(code, f"{what} should be {t.describe(expected)}, but this is "
                       f"{t.describe(actual)}", expr.span)
        return actual

    # -- declarations --------------------------------------------------------

    def check_term(self, term) -> None:
        if isinstance(term, n.ParameterDecl):
            declared = self.term_types[term.name]
            values = [term.value] if term.value is not None else [
                d.value for d in term.dated_values if not isinstance(d.value, n.UnknownFigure)]
            for value in values:
                self.expect(value, {}, declared, f"the value of `{term.name}`")
            for flex in term.flexibility:
                if flex.bound is not None:
                    for literal in (flex.bound.low, flex.bound.high):
                        if literal is not None:
                            self.expect(literal, {}, declared, f"a bound of `{term.name}`")
        elif isinstance(term, n.TableDecl):
            self.check_table(term)
        elif isinstance(term, n.DefineDecl):
            bindings = self.scope_bindings(term.scope)
            declared = self.term_types[term.name]
            self.expect(term.body, bindings, declared, f"`{term.name}`")
            if (term.rounding is not None and declared != t.ERROR
                    and not (isinstance(declared, t.Quantity) and declared.unit == t.GBP)):
                self.error("E-TYPE-030", f"`{term.name}` is {t.describe(declared)}, not money: "
                           "only money is rounded to the penny or the pound", term.rounding.span,
                           hint="declare the definition `: money`, or use `round(x, places)` in "
                                "its expression for other values")
        elif isinstance(term, n.RequirementDecl):
            self.check_requirement(term)

    def check_requirement(self, term: n.RequirementDecl) -> None:
        bindings = self.scope_bindings(term.scope)
        for label, expr in (("`where`", term.where), ("`must`", term.must), ("`unless`", term.unless)):
            if expr is not None:
                self.expect(expr, bindings, t.BOOL, f"the {label} condition")
        for warning in term.warnings:
            self.expect(warning.condition, bindings, t.BOOL, "a `warn` condition")

    def table_columns(self, table: n.TableDecl) -> list[tuple[str, t.Type]]:
        columns = []
        for column in table.columns:
            if column.type is None:
                columns.append((column.name, t.DATE))
            else:
                columns.append((column.name, self.type_of_decl(column.type, report=False)))
        return columns

    def check_table(self, table: n.TableDecl) -> None:
        columns = []
        for column in table.columns:
            columns.append((column.name, t.DATE if column.type is None
                            else self.type_of_decl(column.type)))
        names = [c for c, _ in columns]
        for key in table.keys:
            if key not in names:
                self.error("E-NAME-008", f"key `{key}` is not a column of `{table.name}`", table.span,
                           hint=did_you_mean(key, names))
        for row in table.rows:
            self.check_row(table.name, columns, row)

    def check_row(self, table: str, columns, row: n.Row) -> None:
        if len(row.cells) != len(columns):
            self.error("E-TYPE-008", f"this row has {len(row.cells)} cells but `{table}` has "
                       f"{len(columns)} columns", row.span,
                       hint="columns: " + " | ".join(c for c, _ in columns))
            return
        for cell, (column, column_type) in zip(row.cells, columns):
            if cell is None:
                if column != "to":
                    self.error("E-TYPE-008", f"the `{column}` cell is empty", row.span,
                               hint="only the `to` cell may be left empty (open-ended)")
                continue
            self.expect(cell, {}, column_type, f"the `{column}` cell")

    def check_local_variations(self) -> None:
        for layer in self.library.local:
            for decl in layer.syntax.declarations:
                self.current = set()
                if isinstance(decl, n.VaryDecl) and decl.name in self.term_types:
                    self.vary_reads[id(decl)] = self.current
                    self.expect(decl.value, {}, self.term_types[decl.name], f"the value of `{decl.name}`")
                elif isinstance(decl, n.WaiveDecl):
                    bindings = self.scope_bindings(decl.scope)
                    if decl.where is not None:
                        self.expect(decl.where, bindings, t.BOOL, "the `where` condition")
                elif isinstance(decl, n.ReplaceDecl):
                    self.current = self.dependencies.setdefault(decl.requirement.id, set())
                    self.check_requirement(decl.requirement)
                elif isinstance(decl, n.ReplaceValueDecl) and self.term_kinds.get(decl.name) == "define":
                    national = next(f for f in self.library.forms[decl.name] if not f.layer.is_local)
                    self.current = self.dependencies.setdefault(decl.name, set())
                    self.expect(decl.value, self.scope_bindings(national.term.scope),
                                self.term_types[decl.name], f"the replacement of `{decl.name}`")
                elif isinstance(decl, n.AddRowDecl) and decl.table in self.tables:
                    table = self.tables[decl.table]
                    self.check_row(decl.table, self.table_columns(table), decl.row)

    def check_cycles(self) -> None:
        """Definitions and parameters that read themselves, directly or through
        others (E-NAME-003), and chains of reads longer than the limit
        (E-LIMIT-005). A local layer's `vary` gives its parameter a value that
        reads other terms in that layer's programs: each local layer's graph is
        checked with those edges in place of the national value's."""
        reading = ("param", "define")
        graph = {name: {d for d in deps if self.term_kinds.get(d) in reading}
                 for name, deps in self.dependencies.items() if self.term_kinds.get(name) in reading}
        graphs: list[tuple[dict[str, set[str]], dict[str, n.VaryDecl]]] = [(graph, {})]
        for layer in self.library.local:
            varies = {d.name: d for d in layer.syntax.declarations
                      if isinstance(d, n.VaryDecl) and id(d) in self.vary_reads}
            if any(self.vary_reads[id(d)] for d in varies.values()):
                local = dict(graph)
                for name, decl in varies.items():
                    local[name] = {r for r in self.vary_reads[id(decl)] if self.term_kinds.get(r) in reading}
                graphs.append((local, varies))
        reported: set[frozenset] = set()
        cyclic = False
        for each, varies in graphs:
            for cycle in find_cycles(each):
                cyclic = True
                key = frozenset(cycle)
                if key in reported:
                    continue
                reported.add(key)
                self.report_cycle(cycle, varies)
        if not cyclic:
            self.check_chains(graph)

    def term_span(self, name: str, varies: dict[str, n.VaryDecl] | None = None):
        if varies and name in varies:
            return varies[name].span
        return self.library.forms[name][0].term.span

    def report_cycle(self, cycle: list[str], varies: dict[str, n.VaryDecl]) -> None:
        kinds = {self.term_kinds[name] for name in cycle}
        what = ("definitions" if kinds == {"define"} else "parameters" if kinds == {"param"}
                else "definitions and parameters")
        notes = [Related(self.term_span(name, varies),
                         f"`{name}` reads `{after}`" + (" (the local `vary`)" if name in varies else ""))
                 for name, after in zip(cycle[1:_NOTES + 1], cycle[2:_NOTES + 2])]
        if len(cycle) > _NOTES + 2:
            notes.append(Related(None, f"... and {len(cycle) - _NOTES - 2:,} more in the cycle"))
        self.error("E-NAME-003", f"{what} depend on each other in a cycle: " + _show_path(cycle),
                   self.term_span(cycle[0], varies), related=notes,
                   hint="a definition or parameter cannot use itself, directly or through others")

    def check_chains(self, graph: dict[str, set[str]]) -> None:
        chains = chain_lengths(graph)
        limit = limits.current().max_definition_chain
        over = {name for name, chain in chains.items() if chain.length > limit}
        inner = {chains[name].next for name in over}
        for name in sorted(over - inner):
            path = chain_path(chains, name)
            shown = _show_path(path)
            self.error("E-LIMIT-005", f"`{name}` starts a chain of {len(path):,} definitions and "
                       f"parameters that read each other, longer than the limit of {limit:,}: {shown}",
                       self.term_span(name),
                       related=(Related(self.term_span(path[-1]), f"the chain ends at `{path[-1]}`"),),
                       hint="work the value out in fewer steps (a sum over a list, a table), or "
                            + limits.describe(limits.BY_NAME["max_definition_chain"]))
        if over:
            return
        # Working a value out nests each definition's expression inside the
        # reader's, at the depth it is read: bounded by both limits together.
        depths = chain_lengths(graph, lambda reader, read: self.read_levels.get(reader, {}).get(read, 1))
        allowed = limits.current().max_expression_depth + 2 * limit
        over = {name for name, chain in depths.items() if chain.length > allowed}
        inner = {depths[name].next for name in over}
        for name in sorted(over - inner):
            path = chain_path(depths, name)
            self.error("E-LIMIT-005", f"working out `{name}` nests expressions {depths[name].length:,} "
                       f"levels deep through the {len(path):,} definitions and parameters it reads "
                       f"({_show_path(path)}), more than the {allowed:,} the limits allow",
                       self.term_span(name),
                       related=(Related(self.term_span(path[-1]), f"the chain ends at `{path[-1]}`"),),
                       hint="read other definitions near the top of an expression, or in fewer "
                            "steps; the limit is `max_expression_depth` plus twice "
                            "`max_definition_chain`: "
                            + limits.describe(limits.BY_NAME["max_definition_chain"]))

    # -- expressions ---------------------------------------------------------

    def check(self, expr, scope: dict[str, t.Type], expected: t.Type | None = None) -> t.Type:
        self.level += 1
        result = self._check(expr, scope, expected)
        self.level -= 1
        self.types[id(expr)] = result
        return result

    def _check(self, expr, scope, expected) -> t.Type:
        method = getattr(self, "check_" + type(expr).__name__)
        return method(expr, scope, expected)

    def check_Number(self, expr, scope, expected):
        integral = expr.value == expr.value.to_integral_value()
        return t.COUNT if integral else t.NUMBER

    def check_Quantity(self, expr, scope, expected):
        unit = t.UNIT_WORDS.get(expr.unit)
        if unit is None and isinstance(expected, t.TimeOfDay) and self.written_otherwise(expr, expected):
            return t.ERROR  # `8am`
        if unit is None:
            number = slips.plain_number(expr.value)
            if isinstance(expected, t.Quantity) and expected.unit == t.DIMENSIONLESS:
                # `24000 patients`: counts, numbers and fractions are dimensionless
                self.error("E-UNIT-004", f"`{number} {expr.unit}`: {t.describe(expected)} is a "
                           "plain number, without a unit word", expr.span,
                           hint=f"write `{number}`; the name or the title says what is counted")
                return t.ERROR
            fix = write_literal(n.Number(expr.span, expr.value), expected) \
                if isinstance(expected, t.Quantity) else None
            self.error("E-UNIT-002", f"unknown unit `{expr.unit}`", expr.span,
                       hint=fix or did_you_mean(expr.unit, t.UNIT_WORDS) or
                       "units: minutes, hours, days, weeks, months, years, points")
            return t.ERROR
        return t.Quantity(unit[0], integral=expr.value == expr.value.to_integral_value())

    def check_Money(self, expr, scope, expected):
        return t.MONEY

    def check_Percent(self, expr, scope, expected):
        return t.FRACTION

    def check_DateLiteral(self, expr, scope, expected):
        return t.DATE

    def check_TimeLiteral(self, expr, scope, expected):
        return t.TIME

    def check_IntervalLiteral(self, expr, scope, expected):
        return t.INTERVAL

    def check_Text(self, expr, scope, expected):
        return t.TEXT

    def check_Boolean(self, expr, scope, expected):
        return t.BOOL

    def check_Name(self, expr: n.Name, scope, expected):
        name = expr.name
        if name in scope:
            self.names[id(expr)] = Resolved("binding", name)
            return scope[name]
        kind = self.term_kinds.get(name)
        if kind in ("param", "table", "define"):
            if self.current is not None:
                self.current.add(name)
            if self.current_levels is not None and self.current_levels.get(name, 0) < self.level:
                self.current_levels[name] = self.level
            self.names[id(expr)] = Resolved(kind, name)
            if kind == "table":
                table = self.tables[name]
                columns = dict(self.table_columns(table))
                key = columns.get(table.keys[0], t.ERROR) if len(table.keys) == 1 else t.ERROR
                return t.Table(name, key)
            if kind == "define":
                missing = [b for b in self.define_scopes[name] if b not in scope]
                if missing:
                    self.error("E-NAME-005", f"`{name}` is worked out for each "
                               f"`{missing[0]}`, and no `{missing[0]}` is in scope here", expr.span,
                               hint=f"use it inside `for each {missing[0]}`, or bind one: "
                                    f"`sum {missing[0]} in ...: {name}`")
                    return t.ERROR
            return self.term_types[name]
        # `as_of` is the evaluation date (the command line's --as-of wins over
        # the arrangement's `as_of` fact), never the fact read as given.
        if name in BUILTIN_NAMES:
            self.names[id(expr)] = Resolved("as_of", name)
            return BUILTIN_NAMES[name]
        root = self.library.schema.root.field(name)
        if root is not None:
            self.names[id(expr)] = Resolved("fact", name)
            return root
        enum = self.enum_for(name, expected)
        if enum is None and expected is None:
            owners = [e for e in self.enums.values() if name in e.members]
            enum = owners[0] if len(owners) == 1 else None
        if enum is not None:
            self.names[id(expr)] = Resolved("member", name)
            return enum
        visible = list(scope) + list(self.term_kinds) + [f for f, _ in self.library.schema.root.fields]
        element = expected.element if isinstance(expected, (t.SetOf, t.ListOf)) else expected
        if isinstance(element, t.Enum):  # compared with, or looked for in, an enumeration's values
            hint = did_you_mean(name, element.members) or did_you_mean(name, visible) \
                or f"a {element.name} is one of: {', '.join(element.members)}"
            self.error("E-TYPE-009", f"`{name}` is not a member of the enumeration `{element.name}`",
                       expr.span, hint=hint)
            return t.ERROR
        hint = ("yes/no values are written `true` and `false`"
                if name.lower() in ("true", "false", "yes", "no") else did_you_mean(name, visible))
        self.error("E-NAME-001", f"unknown name `{name}`", expr.span, hint=hint)
        return t.ERROR

    def enum_for(self, name: str, expected: t.Type | None) -> t.Enum | None:
        if isinstance(expected, t.Enum):
            return expected if name in expected.members else None
        if isinstance(expected, (t.SetOf, t.ListOf)) and isinstance(expected.element, t.Enum):
            return expected.element if name in expected.element.members else None
        return None

    def check_Field(self, expr: n.Field, scope, expected):
        record = self.check(expr.record, scope)
        if isinstance(record, t.Error):
            return record
        if isinstance(record, t.TableRow):
            columns = dict(self.table_columns(self.tables[record.table]))
            if expr.name in columns:
                return columns[expr.name]
            self.error("E-NAME-009", f"`{record.table}` has no column `{expr.name}`", expr.span,
                       hint=did_you_mean(expr.name, columns) or "columns: " + ", ".join(columns))
            return t.ERROR
        if not isinstance(record, t.Record):
            self.error("E-TYPE-001", f"`.{expr.name}` needs a group of facts, but this is "
                       f"{t.describe(record)}", expr.span)
            return t.ERROR
        field = record.field(expr.name)
        if field is None:
            names = [f for f, _ in record.fields]
            self.error("E-NAME-004", f"`{record.path or 'the arrangement'}` has no fact `{expr.name}`",
                       expr.span, hint=did_you_mean(expr.name, names) or
                       ("its facts: " + ", ".join(names) if names else None))
            return t.ERROR
        return field

    def check_Index(self, expr: n.Index, scope, expected):
        base = self.check(expr.collection, scope)
        if isinstance(base, t.Error):
            for key in expr.keys:
                self.check(key, scope)
            return base
        if isinstance(base, t.Table):
            table = self.tables[base.name]
            columns = dict(self.table_columns(table))
            if len(expr.keys) != len(table.keys):
                self.error("E-TYPE-005", f"`{table.name}` is looked up by {len(table.keys)} "
                           f"key{'s' if len(table.keys) != 1 else ''} ({', '.join(table.keys)}), "
                           f"not {len(expr.keys)}", expr.span)
                return t.ERROR
            for key_expr, key_name in zip(expr.keys, table.keys):
                self.expect(key_expr, scope, columns.get(key_name, t.ERROR), f"the `{key_name}` key")
            return t.TableRow(table.name)
        if isinstance(base, t.MapOf):
            if len(expr.keys) != 1:
                self.error("E-TYPE-005", "a map is looked up by one key", expr.span)
                return t.ERROR
            self.expect(expr.keys[0], scope, base.key, "the key")
            return base.value
        self.error("E-TYPE-007", f"cannot look up by key in {t.describe(base)}", expr.span,
                   hint="keys look up maps (`practice.core_hours[day]`) and tables (`arrs_max[role, region]`)")
        return t.ERROR

    def check_Call(self, expr: n.Call, scope, expected):
        """A built-in function: its row of `builtins.BUILTINS` says its type rule."""
        name, args = expr.function, expr.arguments
        builtin = BUILTINS.get(name)
        if builtin is None:
            self.error("E-NAME-006", f"unknown function `{name}`", expr.span,
                       hint=did_you_mean(name, FUNCTIONS) or "functions: " + ", ".join(FUNCTIONS))
            for arg in args:
                self.check(arg, scope)
            return t.ERROR
        types = [self.check(arg, scope, expected if builtin.passes_expected else None) for arg in args]
        if any(isinstance(a, t.Error) for a in types):
            return t.ERROR
        return builtin.type_rule(CallCheck(self, expr, types))

    def check_SetLiteral(self, expr: n.SetLiteral, scope, expected):
        element_expected = expected.element if isinstance(expected, (t.SetOf, t.ListOf)) else None
        element: t.Type | None = None
        for item in expr.items:
            item_type = self.check(item, scope, element_expected)
            if element is None:
                element = item_type
                continue
            joined = t.join(element, item_type)
            if joined is None:
                self.error("E-TYPE-001", f"a set mixes {t.describe(element)} and "
                           f"{t.describe(item_type)}", item.span)
                return t.ERROR
            element = joined
        return t.SetOf(element if element is not None else (element_expected or t.ERROR))

    def check_Negate(self, expr, scope, expected):
        operand = self.check(expr.operand, scope, expected)
        if not isinstance(operand, (t.Quantity, t.Error)):
            self.error("E-TYPE-001", f"cannot negate {t.describe(operand)}", expr.span)
            return t.ERROR
        return operand

    def check_Arithmetic(self, expr: n.Arithmetic, scope, expected):
        """A chain `a + b - c + ...` (or `a * b / c ...`) is walked in a loop
        down its left side, so that its length costs no recursion."""
        spine = n.chain(expr)
        if self.hyphenated(spine, scope):
            return t.ERROR
        left = self.check(spine[-1].left, scope)
        for node in reversed(spine):
            right = self.check(node.right, scope)
            left = self.arithmetic(node, left, right)
            if node is not expr:
                self.types[id(node)] = left
        return left

    def known(self, name: str, scope) -> bool:
        """Whether a bare name means something here (without recording it)."""
        return (name in scope or name in self.term_kinds or name in BUILTIN_NAMES
                or self.library.schema.root.field(name) is not None
                or any(name in e.members for e in self.enums.values()))

    def arithmetic(self, expr: n.Arithmetic, left: t.Type, right: t.Type) -> t.Type:
        if isinstance(left, t.Error) or isinstance(right, t.Error):
            return t.ERROR
        op = expr.operator
        if isinstance(left, t.TimeOfDay):
            if op in "+-" and isinstance(right, t.Quantity) and right.unit == t.MINUTE:
                return t.TIME
            if op == "-" and isinstance(right, t.TimeOfDay):
                return t.MINUTES
            self.error("E-TYPE-001", f"a time of day {'plus' if op == '+' else 'minus' if op == '-' else op} "
                       f"{t.describe(right)} has no meaning", expr.span,
                       hint="add or take away minutes or hours (`18:30 + 90 minutes`), or take one "
                            "time from another (`closes(hours) - opens(hours)`)")
            return t.ERROR
        if isinstance(left, t.Date):
            if op in "+-" and isinstance(right, t.Quantity) and right.unit in (t.DAY, t.MONTH):
                return t.DATE
            if op == "-" and isinstance(right, t.Date):
                return t.DAYS
            self.error("E-TYPE-001", f"a date {'plus' if op == '+' else 'minus' if op == '-' else op} "
                       f"{t.describe(right)} has no meaning", expr.span,
                       hint="add or take away days, weeks, months or years: `start + 2 years`")
            return t.ERROR
        if not isinstance(left, t.Quantity) or not isinstance(right, t.Quantity):
            bad = expr.left if not isinstance(left, t.Quantity) else expr.right
            self.error("E-TYPE-001", f"`{op}` needs numbers or amounts, but this is "
                       f"{t.describe(left if bad is expr.left else right)}", bad.span)
            return t.ERROR
        if op in "+-":
            if left.unit != right.unit:
                span, fix = literal_fix(expr, left, right)
                self.error("E-UNIT-001", f"cannot {'add' if op == '+' else 'subtract'} "
                           f"{t.describe(right)} {'to' if op == '+' else 'from'} {t.describe(left)}",
                           span, hint=(fix + ": " if fix else "")
                           + "both sides of + and - need the same unit")
                return t.ERROR
            return t.Quantity(left.unit, left.integral and right.integral,
                              left.fraction and right.fraction)
        if op == "*":
            return t.multiply(left, right)
        return t.divide(left, right)

    def check_Compare(self, expr: n.Compare, scope, expected):
        left = self.check(expr.left, scope)
        right = self.check(expr.right, scope, left)
        if not t.comparable(left, right):
            for side, other in ((expr.right, left), (expr.left, right)):
                if self.quoted(side, other, f"cannot compare {t.describe(other)} with a quoted text"):
                    return t.BOOL
                if self.written_otherwise(side, other):
                    return t.BOOL
            code = "E-UNIT-001" if isinstance(left, t.Quantity) and isinstance(right, t.Quantity) \
                else "E-TYPE-002"
            span, fix = literal_fix(expr, left, right) if code == "E-UNIT-001" else (expr.span, None)
            self.error(code, f"cannot compare {t.describe(left)} with {t.describe(right)}", span,
                       hint=fix)
            return t.BOOL
        if expr.operator not in ("=", "!=") and not (t.ordered(left) and t.ordered(right)):
            self.error("E-TYPE-002", f"`{expr.operator}` needs numbers, amounts, dates or times, "
                       f"not {t.describe(left)}", expr.span, hint="use `=` or `!=` for other values")
        return t.BOOL

    def check_Logic(self, expr: n.Logic, scope, expected):
        spine = n.chain(expr)  # `a and b and c ...` in a loop, as for arithmetic
        self.expect(spine[-1].left, scope, t.BOOL, f"each side of `{expr.operator}`")
        for node in reversed(spine):
            self.expect(node.right, scope, t.BOOL, f"each side of `{expr.operator}`")
            if node is not expr:
                self.types[id(node)] = t.BOOL
        return t.BOOL

    def check_Not(self, expr, scope, expected):
        self.expect(expr.operand, scope, t.BOOL, "what `not` applies to")
        return t.BOOL

    def check_Membership(self, expr: n.Membership, scope, expected):
        element = self.check(expr.element, scope)
        collection = self.check(expr.collection, scope, t.SetOf(element) if not isinstance(
            element, t.Error) else None)
        inner = self.element_type(collection, expr.collection)
        if not t.comparable(element, inner):
            self.error("E-TYPE-002", f"{t.describe(element)} cannot be in a collection of "
                       f"{t.describe(inner)}", expr.span)
        return t.BOOL

    def element_type(self, collection: t.Type, expr) -> t.Type:
        if isinstance(collection, (t.SetOf, t.ListOf)):
            return collection.element
        if isinstance(collection, t.MapOf):
            return collection.key
        if isinstance(collection, t.Table):
            if isinstance(collection.key, t.Error):
                self.error("E-TYPE-007", f"the table `{collection.name}` has more than one key, so "
                           "it is not a collection of keys", expr.span)
            return collection.key
        if isinstance(collection, t.Error):
            return t.ERROR
        self.error("E-TYPE-007", f"{t.describe(collection)} is not a collection", expr.span,
                   hint="collections are lists, sets, maps (their keys) and one-key tables")
        return t.ERROR

    def check_Covers(self, expr: n.Covers, scope, expected):
        self.expect(expr.times, scope, t.INTERVAL, "the left of `covers`")
        self.expect(expr.required, scope, t.INTERVAL, "the right of `covers`")
        return t.BOOL

    def check_Within(self, expr: n.Within, scope, expected):
        inner = self.check(expr.inner, scope)
        if not isinstance(inner, (t.TimeOfDay, t.Interval, t.Error)):
            self.error("E-TYPE-001", f"`within` needs a time or an interval on its left, not "
                       f"{t.describe(inner)}", expr.inner.span)
        self.expect(expr.outer, scope, t.INTERVAL, "the right of `within`")
        return t.BOOL

    def check_Conditional(self, expr: n.Conditional, scope, expected):
        self.expect(expr.condition, scope, t.BOOL, "the `if` condition")
        then = self.check(expr.then, scope, expected)
        otherwise = self.check(expr.otherwise, scope, expected if not isinstance(
            then, t.Error) else None)
        joined = t.join(then, otherwise)
        if joined is None:
            code = "E-UNIT-001" if isinstance(then, t.Quantity) and isinstance(otherwise, t.Quantity) \
                else "E-TYPE-001"
            self.error(code, f"the two branches differ: {t.describe(then)} and "
                       f"{t.describe(otherwise)}", expr.span)
            return t.ERROR
        return joined

    def check_Quantified(self, expr: n.Quantified, scope, expected):
        collection = self.check(expr.collection, scope)
        element = self.element_type(collection, expr.collection)
        inner = dict(scope)
        inner[expr.variable] = element
        if expr.quantifier == "sum":
            body = self.check(expr.body, inner)
            if not isinstance(body, (t.Quantity, t.Error)):
                self.error("E-TYPE-001", f"`sum` adds numbers or amounts, not {t.describe(body)}",
                           expr.body.span)
                return t.ERROR
            return body
        self.expect(expr.body, inner, t.BOOL, f"the `{expr.quantifier}` condition")
        return t.COUNT if expr.quantifier == "count" else t.BOOL


#: How many members of a cycle get a note of their own.
_NOTES = 12


def _show_path(path: list[str]) -> str:
    """`a -> b -> c`, with the middle left out of a long path."""
    return " -> ".join(path[:3] + ["..."] + path[-2:]) if len(path) > 8 else " -> ".join(path)


def _literal_in_rate(expr, expected: t.Quantity, actual: t.Quantity) -> bool:
    """A plain amount stands for a rate when the declaration names the rate:
    `parameter point_value: money per point = £225.49`."""
    if not isinstance(expr, (n.Money, n.Number, n.Quantity)):
        return False
    numerator = t.Unit(tuple((d, e) for d, e in expected.unit.exponents if e > 0))
    return numerator == actual.unit


def check_library(library: Library) -> Checked:
    """Type-check every term; raises InvalidInput with all problems found."""
    recursion.ensure()
    checker = _Checker(library)
    checked = checker.run()
    if checker.diagnostics:
        raise InvalidInput(checker.diagnostics)
    return checked


def transitive(checked: Checked, name: str) -> frozenset[str]:
    """Every term a term reads, directly or through definitions."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        for dep in checked.dependencies.get(stack.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return frozenset(seen)




def check_value(checked: Checked, value, declared: t.Type) -> str | None:
    """What a literal is, when it is no value of `declared` ("money", "a
    count"), or None when it is one: an assumed figure gets the checks a
    `vary` does."""
    checker = _Checker(checked.library)
    actual = checker.expect(value, {}, declared, "the value")
    if not checker.diagnostics:
        return None
    if isinstance(actual, t.Error):
        return f"not one ({checker.diagnostics[0].message})"
    return t.describe(actual)
