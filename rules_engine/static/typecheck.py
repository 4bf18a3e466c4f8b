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
from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.static.dependencies import chain_lengths, chain_path, find_cycles
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, did_you_mean
from rules_engine.static.forms import Form
from rules_engine.static.library import Library
from rules_engine.static.schema import resolve_type
from rules_engine.static.check_expressions import ExpressionChecks, Resolved  # noqa: F401 (Resolved: part of Checked)
from rules_engine.static.slip_checks import SlipChecks, write_literal



@attrs.frozen(eq=False)
class Checked:
    library: Library
    types: dict[int, t.Type]
    names: dict[int, Resolved]
    term_types: dict[str, t.Type]
    dependencies: dict[str, frozenset[str]]  # term name -> term names it reads
    define_scopes: dict[str, tuple[str, ...]]  # define name -> binding names it needs


class _Checker(ExpressionChecks, SlipChecks):
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

    def table_columns(self, table: n.TableDecl, report: bool = False) -> list[tuple[str, t.Type]]:
        return [(column.name, t.DATE if column.type is None else self.type_of_decl(column.type, report))
                for column in table.columns]

    def check_table(self, table: n.TableDecl) -> None:
        columns = self.table_columns(table, report=True)
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


def check_partial(library: Library) -> tuple[Checked, tuple[Diagnostic, ...]]:
    """Type-check every term, keeping what was found where there are errors
    (the language server hovers and completes in a half-typed file)."""
    recursion.ensure()
    checker = _Checker(library)
    return checker.run(), tuple(checker.diagnostics)


def check_library(library: Library) -> Checked:
    """Type-check every term; raises InvalidInput with all problems found."""
    checked, problems = check_partial(library)
    if problems:
        raise InvalidInput(problems)
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
