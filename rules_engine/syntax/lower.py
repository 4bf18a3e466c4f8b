"""Lower a Lark parse tree to typed nodes (`nodes.LayerFile`).

Input: a `SourceFile` and its `parser.Parsed`. Output: `Lowered(layer, diagnostics,
partial)`; `layer` is None when the file has errors, `partial` holds what lowered.
Diagnostics: E-SYNTAX-004 (clause not allowed here), E-SYNTAX-005 (clause
given twice), E-SYNTAX-006 (a needed clause is missing), E-SYNTAX-007
(malformed literal), E-SYNTAX-008 (a national-only declaration in a local
layer, or the reverse), E-LIMIT-004 (an expression nested deeper than
`max_expression_depth`), E-LIMIT-007 (a number with more digits than
`max_number_digits`), E-LIMIT-008 (a date outside 1900..`max_year`).

Besides the parser, only the lowering (this module and its mixins:
`lower_expressions` for literals, expressions and types, `lower_clauses` for
clauses and their sorting, `lower_envelopes` for `allow`) imports Lark.
Clauses, which the grammar accepts in any order, become named fields here,
so that later stages read `requirement.must`, not a list of clauses.
"""

from __future__ import annotations

import attrs
from lark import Token, Transformer, Tree, v_args

from rules_engine.base import recursion
from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic
from rules_engine.syntax.lower_clauses import Clause, ClauseLowering
from rules_engine.syntax.lower_envelopes import EnvelopeLowering
from rules_engine.syntax.lower_expressions import ExpressionLowering
from rules_engine.syntax.parser import Parsed, parse
from rules_engine.base.source import SourceFile, Span


@attrs.frozen
class Lowered:
    layer: n.LayerFile | None
    diagnostics: tuple[Diagnostic, ...]
    partial: n.LayerFile | None = None  # what lowered despite errors (a half-typed file's other declarations)


_SEVERITIES = ("error", "warning")


class _Lowering(ExpressionLowering, ClauseLowering, EnvelopeLowering, Transformer):
    """Bottom-up: every rule method returns a node or a `Clause`."""

    def __init__(self, source: SourceFile):
        super().__init__(visit_tokens=False)
        self.file = source
        self.diagnostics: list[Diagnostic] = []

    def transform(self, tree):
        """Bottom-up, like Lark's `Transformer.transform`, but with an explicit
        stack: a tree of any depth lowers without recursion. Expressions
        nested deeper than `max_expression_depth` are reported first (E-LIMIT-004)."""
        self.check_depth(tree)
        results: list = []
        stack: list[tuple[object, bool]] = [(tree, False)]
        while stack:
            node, built = stack.pop()
            if not isinstance(node, Tree):
                results.append(node)
            elif built:
                count = len(node.children)
                children = results[len(results) - count:]
                del results[len(results) - count:]
                results.append(self._call_userfunc(node, children))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        return results[0]

    # -- helpers -------------------------------------------------------------

    def span(self, meta) -> Span:
        return self.file.span(meta.start_pos, meta.end_pos)

    def token_span(self, token: Token) -> Span:
        return self.file.span(token.start_pos, token.end_pos)

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    @staticmethod
    def text(token: Token) -> str:
        raw = str(token)[1:-1]
        return raw.replace('\\"', '"').replace("\\\\", "\\")

    # -- headers -------------------------------------------------------------

    def version(self, children):
        return ("version", self.text(children[0]))

    def effective(self, children):
        return ("effective", children[0])

    def source(self, children):
        return ("source", self.text(children[0]))

    @v_args(meta=True)
    def carries(self, meta, children):
        return ("carries", (children[0], self.span(meta)))

    @v_args(meta=True)
    def header_provisional(self, meta, children):
        return ("provisional", n.Provisional(self.span(meta), self.text(children[0])))

    @v_args(meta=True)
    def national_header(self, meta, children):
        name, title, *rest = children
        extra = dict(rest)
        return n.NationalHeader(self.span(meta), str(name), self.text(title),
                                extra.get("version"), extra.get("effective"), extra.get("source"),
                                carries=tuple(extra["carries"][0]) if "carries" in extra else (),
                                provisional=extra.get("provisional"),
                                carries_span=extra["carries"][1] if "carries" in extra else None)

    @v_args(meta=True)
    def flexibility_header(self, meta, children):
        name, title, *rest = children
        extra = dict(rest)
        return n.NationalHeader(self.span(meta), str(name), self.text(title), None,
                                extra.get("effective"), extra.get("source"), "flexibility")

    @v_args(meta=True)
    def local_header(self, meta, children):
        name, title, icb, extends, *rest = children
        extra = dict(rest)
        return n.LocalHeader(self.span(meta), str(name), self.text(title), str(icb), extends,
                             extra.get("effective"), extra.get("source"))

    # -- declarations --------------------------------------------------------

    @v_args(meta=True)
    def enum_decl(self, meta, children):
        name, members, *clauses = children
        found = self.sort_clauses("enum", clauses)
        return n.EnumDecl(self.span(meta), str(name), members, found.get("ref"),
                          found.get("provisional"))

    @v_args(meta=True)
    def field_segment(self, meta, children):
        return n.FactSegment(self.span(meta), str(children[0]), "field")

    @v_args(meta=True)
    def list_segment(self, meta, children):
        return n.FactSegment(self.span(meta), str(children[0]), "list")

    @v_args(meta=True)
    def map_segment(self, meta, children):
        return n.FactSegment(self.span(meta), str(children[0]), "map", children[1])

    def fact_path(self, children):
        return tuple(children)

    @v_args(meta=True)
    def fact_decl(self, meta, children):
        path, type_, *clauses = children
        found = self.sort_clauses("fact", clauses)
        return n.FactDecl(self.span(meta), path, type_, bool(found.get("required")),
                          (found.get("note") or [None])[0], found.get("signed"))

    def dotted_name(self, children):
        return tuple(str(c) for c in children)

    def keyed_by(self, children):
        return ("keyed_by", str(children[0]))

    def numbered_within(self, children):
        return ("numbered_within", str(children[0]))

    @v_args(meta=True)
    def subject_decl(self, meta, children):
        name = str(children[0])
        each = any(isinstance(c, Token) and c.type == "EACH" for c in children)
        path = next(c for c in children if isinstance(c, tuple) and all(isinstance(p, str) for p in c)
                    and not (len(c) == 2 and c[0] in ("keyed_by", "numbered_within")))
        how, target = children[-1]
        return n.SubjectDecl(self.span(meta), name, each, path,
                             target if how == "keyed_by" else None,
                             target if how == "numbered_within" else None)

    @v_args(meta=True)
    def parameter_decl(self, meta, children):
        name = str(children[0])
        rest = list(children[1:])
        title = self.text(rest.pop(0)) if isinstance(rest[0], Token) else None
        type_ = rest.pop(0)
        value = rest.pop(0) if rest and not isinstance(rest[0], Clause) else None
        span = self.span(meta)
        found = self.sort_clauses("parameter", rest)
        dated = tuple(found.get("dated_value") or ())
        if value is None and not dated:
            self.error("E-SYNTAX-006", f"parameter `{name}` has no value", span,
                       hint="give one with `= VALUE` after the type, or dated values with "
                            "`from 2025-04-01 = VALUE`")
        if value is not None and dated:
            self.error("E-SYNTAX-004", f"parameter `{name}` has both a value and dated values",
                       dated[0].span, hint="use either `= VALUE` or `from DATE = VALUE` lines")
        return n.ParameterDecl(span, name, title, type_, value, dated, found.get("ref"),
                               found["flexibility"], found.get("provisional"),
                               found.get("effective"))

    @v_args(meta=True)
    def table_decl(self, meta, children):
        name, keys, *rest = children
        title = self.text(rest.pop(0)) if rest and isinstance(rest[0], Token) else None
        span = self.span(meta)
        found = self.sort_clauses("table", rest)
        if "columns" not in found:
            self.error("E-SYNTAX-006", f"table `{name}` has no `columns` line", span,
                       hint="name its columns: `columns role: arrs_role | amount: money`")
        return n.TableDecl(span, str(name), keys, title, found.get("columns", ()),
                           tuple(found.get("row") or ()), found.get("ref"), found["flexibility"],
                           found.get("provisional"), found.get("effective"),
                           tuple(found.get("row_provisional") or ()))

    @v_args(meta=True)
    def define_decl(self, meta, children):
        name = str(children[0])
        rest = list(children[1:])
        scope = rest.pop(0) if isinstance(rest[0], n.Scope) else None
        type_, body, *clauses = rest
        span = self.span(meta)
        found = self.sort_clauses("define", clauses)
        return n.DefineDecl(span, name, scope, type_, body, found.get("report"), found.get("ref"),
                            found.get("provisional"), found.get("effective"),
                            found.get("rounded"))

    def _requirement(self, meta, children, kind: str) -> n.RequirementDecl:
        rid = str(children[0])
        rest = list(children[1:])
        title = self.text(rest.pop(0)) if rest and isinstance(rest[0], Token) else None
        span = self.span(meta)
        found = self.sort_clauses(kind, rest)
        if "must" not in found:
            self.error("E-SYNTAX-006", f"requirement `{rid}` has no `must` clause", span,
                       hint="say what must hold: `must pcn.network_agreement_signed`")
        severity = "error"
        if "severity" in found:
            severity, severity_span = found["severity"]
            if severity not in _SEVERITIES:
                self.error("E-SYNTAX-007", f"unknown severity `{severity}`", severity_span,
                           hint="severity is `error` or `warning`")
                severity = "error"
        return n.RequirementDecl(span, rid, title, found.get("for"), found.get("where"),
                                 found.get("must"), found.get("unless"), severity,
                                 found.get("ref"), found["flexibility"], found.get("provisional"),
                                 found.get("effective"), tuple(found.get("warn") or ()),
                                 found.get("because"))

    @v_args(meta=True)
    def requirement_decl(self, meta, children):
        return self._requirement(meta, children, "requirement")

    @v_args(meta=True)
    def vary_decl(self, meta, children):
        name, value, *clauses = children
        span = self.span(meta)
        found = self.sort_clauses("vary", clauses)
        return n.VaryDecl(span, str(name), self.token_span(name), value, found.get("because"))

    @v_args(meta=True)
    def waive_decl(self, meta, children):
        rid, *clauses = children
        span = self.span(meta)
        found = self.sort_clauses("waive", clauses)
        return n.WaiveDecl(span, str(rid), self.token_span(rid), found.get("for"),
                           found.get("where"), found.get("because"))

    @v_args(meta=True)
    def replace_decl(self, meta, children):
        requirement = self._requirement(meta, children, "local requirement")
        return n.ReplaceDecl(self.span(meta), self.token_span(children[0]), requirement)

    @v_args(meta=True)
    def add_requirement_decl(self, meta, children):
        return n.AddRequirementDecl(self.span(meta),
                                    self._requirement(meta, children, "local requirement"))

    @v_args(meta=True)
    def add_row_decl(self, meta, children):
        table, row, *clauses = children
        span = self.span(meta)
        found = self.sort_clauses("add row", clauses)
        return n.AddRowDecl(span, str(table), self.token_span(table), row, found.get("because"))

    @v_args(meta=True)
    def retire_decl(self, meta, children):
        table, *rest = children
        keys = tuple(c for c in rest if not isinstance(c, Clause))
        found = self.sort_clauses("retire", [c for c in rest if isinstance(c, Clause)])
        return n.RetireDecl(self.span(meta), str(table), self.token_span(table), keys,
                            found.get("because"))

    @v_args(meta=True)
    def replace_value_decl(self, meta, children):
        name, value, *clauses = children
        found = self.sort_clauses("replace value", clauses)
        return n.ReplaceValueDecl(self.span(meta), str(name), self.token_span(name), value,
                                  found.get("because"))

    @v_args(meta=True)
    def population_decl(self, meta, children):
        name, *rest = children
        title = self.text(rest.pop(0)) if rest[0].type == "STRING" else None
        across, measure, bound, *clauses = rest
        found = self.sort_clauses("population", clauses)
        return n.PopulationDecl(self.span(meta), str(name), title, str(across),
                                self.token_span(across), measure, bound, found.get("ref"),
                                found.get("provisional"), found.get("effective"),
                                found.get("because"))

    @v_args(meta=True)
    def total_measure(self, meta, children):
        return n.PopulationMeasure(self.span(meta), "total", str(children[0]),
                                   self.token_span(children[0]))

    @v_args(meta=True)
    def count_measure(self, meta, children):
        term, outcome = children
        return n.PopulationMeasure(self.span(meta), "count", str(term), self.token_span(term),
                                   str(outcome))

    # -- file ----------------------------------------------------------------

    @v_args(meta=True)
    def start(self, meta, children):
        return children

    @v_args(meta=True)
    def fragment(self, meta, children):
        return children


_NATIONAL_ONLY = (n.EnumDecl, n.FactDecl, n.SubjectDecl, n.ParameterDecl, n.TableDecl,
                  n.DefineDecl, n.RequirementDecl)
_LOCAL_ONLY = (n.VaryDecl, n.WaiveDecl, n.ReplaceDecl, n.AddRequirementDecl, n.AddRowDecl,
               n.RetireDecl, n.ReplaceValueDecl)
#: Local layers may declare new facts, enumerations, parameters, tables and
#: definitions for their own added requirements; they cannot declare national
#: requirements (they `add` them).
_LOCAL_MAY_DECLARE = (n.EnumDecl, n.FactDecl, n.ParameterDecl, n.TableDecl, n.DefineDecl)


def _check_placement(header: n.Header, declarations, diagnostics: list[Diagnostic]) -> None:
    local = isinstance(header, n.LocalHeader)
    envelope = isinstance(header, n.NationalHeader) and header.is_envelope
    for decl in declarations:
        if envelope != isinstance(decl, n.AllowDecl):
            diagnostics.append(Diagnostic(
                "E-SYNTAX-008",
                f"a flexibility envelope holds only `allow` permissions, not a {_kind(decl)}"
                if envelope else "`allow` belongs in a flexibility envelope",
                decl.span, hint='an envelope starts `national flexibility NAME "Title" effective FROM to TO`'
                " and lists `allow ...` permissions; contracts and local layers do not"))
            continue
        if local and isinstance(decl, _NATIONAL_ONLY) and not isinstance(decl, _LOCAL_MAY_DECLARE):
            hint = ("a local layer adds a requirement with `add requirement ID ...`"
                    if isinstance(decl, n.RequirementDecl) else None)
            diagnostics.append(Diagnostic(
                "E-SYNTAX-008", f"a local layer cannot declare a {_kind(decl)}", decl.span,
                hint=hint))
        if not local and isinstance(decl, _LOCAL_ONLY):
            diagnostics.append(Diagnostic(
                "E-SYNTAX-008", f"`{_kind(decl)}` belongs in a local layer, not a national contract",
                decl.span, hint="variations are written in a file that starts "
                                '`local layer NAME "Title" for icb CODE extends CONTRACT`'))


def _kind(decl) -> str:
    return {n.RequirementDecl: "requirement", n.SubjectDecl: "subject", n.VaryDecl: "vary",
            n.WaiveDecl: "waive", n.ReplaceDecl: "replace", n.AddRequirementDecl: "add requirement",
            n.AddRowDecl: "add row", n.RetireDecl: "retire", n.ReplaceValueDecl: "replace value",
            n.AllowDecl: "allow", n.PopulationDecl: "population"}.get(type(decl), type(decl).__name__)


def lower_value(source: SourceFile, parsed: Parsed) -> tuple[n.Expr | None, tuple[Diagnostic, ...]]:
    """The literal node of a parsed assumed figure (`parser.parse_value`), and
    what lowering found wrong with it (a malformed date, too many digits)."""
    lowering = _Lowering(source)
    node = lowering.transform(parsed.tree)
    return (node if not lowering.diagnostics else None), tuple(lowering.diagnostics)


def lower(source: SourceFile, parsed: Parsed | None = None) -> Lowered:
    """Parse (unless given the parse) and lower one rule file."""
    parsed = parsed if parsed is not None else parse(source)
    recursion.ensure()
    lowering = _Lowering(source)
    diagnostics = list(parsed.diagnostics)
    comments = tuple(n.Comment(span, text) for span, text in parsed.comments)
    span = source.span(0, len(source.text))
    if parsed.tree is None:  # still lower (and report on) the pieces that parsed
        items = [item for fragment in parsed.fragments for item in lowering.transform(fragment)]
        header = next((i for i in items if isinstance(i, (n.NationalHeader, n.LocalHeader))), None)
        partial = n.LayerFile(span, header, tuple(i for i in items if i is not header), comments) \
            if header is not None else None
        return Lowered(None, tuple(diagnostics + lowering.diagnostics), partial)
    items = lowering.transform(parsed.tree)
    header, declarations = items[0], tuple(items[1:])
    diagnostics += lowering.diagnostics
    _check_placement(header, declarations, diagnostics)
    layer = n.LayerFile(span, header, declarations, comments)
    return Lowered(layer if not diagnostics else None, tuple(diagnostics), layer)
