"""The fact schema declared in rule files, and the checks of an arrangement
that need the library (keys of tables in force).

Input: the `fact`, `enum` and `subject` declarations of the loaded layers.
Output: `Schema` (the root record type, the enumerations, the subjects, the
key constraints, and the arrangement reader's validator and typed decoder
built for it: `io/facts.py`, `io/decoding.py`; reading an arrangement is
`io/arrangements.py`).
Diagnostics: E-TYPE-006 and E-NAME-002/004/007 in rule files; E-FACT-003 for
a key not in its table on the date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, did_you_mean, one_of
from rules_engine.base.source import Span
from rules_engine.base.values import FactList, FactRecord
from rules_engine.io.arrangements import Arrangement, place_problems
from rules_engine.io.facts import Problems, record_validator, show_parts

if TYPE_CHECKING:
    from rules_engine.io.decoding import Decoder


@attrs.frozen
class Subject:
    """What a requirement can be `for`: the PCN, each practice, each claim."""

    name: str
    each: bool
    path: tuple[str, ...]
    keyed_by: str | None
    numbered_within: str | None
    record: t.Record
    span: Span


@attrs.frozen
class KeyConstraint:
    """A fact (or a map's keys) whose values must be keys of a table in force.

    Declared by using a one-key table's name as a type:
    `fact pcn.arrs_claims[].role: arrs_roles` or `indicators{qof_indicators}`.
    Checked per date, since the rows in force change from year to year.
    """

    segments: tuple[tuple[str, str], ...]  # (name, field|list|map)
    table: str
    on_keys: bool
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(name + ("[]" if kind == "list" else "{}" if kind == "map" else "")
                        for name, kind in self.segments)


#: The decoder's absence until it is built (`Schema.decoder`).
LATER = object()
#: Documents (files, dicts) the validator reads before the decoder is built
#: for them: building it costs about as much as validating 70 of them.
DECODE_AFTER = 16


@attrs.frozen
class Schema:
    root: t.Record
    enums: dict[str, t.Enum]
    subjects: dict[str, Subject]
    required: frozenset[str]  # dotted schema paths that must be present
    validator: Callable = attrs.field(eq=False, repr=False)  # io/facts.py: explains every problem
    constraints: tuple[KeyConstraint, ...] = ()
    # io/decoding.py, the fast reader: built when first asked for (`decoder`),
    # ~30 ms, which a command reading one file need not pay
    _decoder: Any = attrs.field(default=LATER, eq=False, repr=False)
    _documents: list = attrs.field(factory=lambda: [0], eq=False, repr=False, init=False)

    @property
    def decoder(self) -> Decoder | None:
        """The typed decoder (None for a schema it cannot read), built once."""
        if self._decoder is LATER:
            from rules_engine.io.decoding import decoder_for  # here, not at the top: start-up (msgspec and the decoders, ~10 ms, load with the first decoder)
            object.__setattr__(self, "_decoder", decoder_for(self.root, self.required))
        return self._decoder

    def document_decoder(self) -> Decoder | None:
        """The decoder for a parsed document (a file, or a dict given to the
        API), once the schema has read DECODE_AFTER documents or a population
        line built it; before, None: the validator reads them, to the same facts."""
        if self._decoder is LATER:
            self._documents[0] += 1
            if self._documents[0] <= DECODE_AFTER:
                return None
        return self.decoder

    def __reduce__(self):
        """Kept (static/checked_cache.py) without its reader, which is rebuilt."""
        return rebuilt, (self.root, self.enums, self.subjects, self.required, self.constraints)


def rebuilt(root: t.Record, enums: dict, subjects: dict, required: frozenset,
            constraints: tuple) -> Schema:
    """A schema kept in the cache, with its validator and decoder built again."""
    return Schema(root, enums, subjects, required, record_validator(root, required, ""), constraints)


# ------------------------------------------------------------ building a schema

class _Builder:
    """A mutable record tree while fact declarations are read."""

    def __init__(self, path: str):
        self.path = path
        self.fields: dict[str, tuple[str, Any, Span]] = {}  # name -> (kind, child, span)

    def freeze(self) -> t.Record:
        fields = []
        for name, (kind, child, _span) in self.fields.items():
            fields.append((name, _freeze(kind, child)))
        return t.Record(self.path, tuple(fields))


def _freeze(kind: str, child) -> t.Type:
    if kind == "leaf":
        return child
    if kind == "record":
        return child.freeze()
    if kind == "list":
        return t.ListOf(child.freeze())
    key_type, inner_kind, inner = child
    return t.MapOf(key_type, _freeze(inner_kind, inner))


def resolve_type(expr: n.TypeExpr, enums: dict[str, t.Enum],
                 diagnostics: list[Diagnostic]) -> t.Type:
    """A type expression from a rule file as a type (reports unknown names)."""
    if isinstance(expr, n.ListType):
        return t.ListOf(resolve_type(expr.element, enums, diagnostics))
    if isinstance(expr, n.SetType):
        return t.SetOf(resolve_type(expr.element, enums, diagnostics))
    builtin = t.type_named(expr.name, expr.per)
    if builtin is None and expr.name in enums:
        builtin = enums[expr.name]
    if builtin is not None:
        if expr.per and not isinstance(builtin, t.Quantity):  # `bool per patient` means nothing
            per = " per ".join(expr.per)
            diagnostics.append(Diagnostic(
                "E-UNIT-003", f"{t.describe(builtin)} has no unit, so it cannot be `per {per}`", expr.span,
                hint="only numbers, counts, amounts and durations take `per`: "
                     "`money per patient`, `minutes per week`"))
        return builtin
    hint = did_you_mean(expr.name, list(t.BUILTIN_TYPES) + list(enums))
    diagnostics.append(Diagnostic(
        "E-TYPE-006", f"unknown type `{expr.name}`", expr.span,
        hint=hint or f"types are {', '.join(t.BUILTIN_TYPES)} or an enumeration declared with `enum`"))
    return t.ERROR


def build_schema(enum_decls: list[n.EnumDecl], fact_decls: list[n.FactDecl],
                 subject_decls: list[n.SubjectDecl],
                 tables: dict[str, n.TableDecl] | None = None) -> tuple[Schema, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    tables = tables or {}
    constraints: dict[tuple, KeyConstraint] = {}

    def fact_type(expr: n.TypeExpr, segments: tuple, on_keys: bool) -> t.Type:
        """A fact's type; a one-key table's name means one of its keys in force."""
        if isinstance(expr, n.NamedType) and expr.name in tables and expr.name not in enums \
                and t.type_named(expr.name) is None:
            table = tables[expr.name]
            key_column = next((c for c in table.columns if table.keys and c.name == table.keys[0]), None)
            if len(table.keys) != 1 or key_column is None or key_column.type is None:
                diagnostics.append(Diagnostic(
                    "E-TYPE-006", f"the table `{expr.name}` has {len(table.keys)} keys; only a one-key "
                    "table can be used as a type", expr.span))
                return t.ERROR
            constraints[(segments, on_keys)] = KeyConstraint(segments, expr.name, on_keys, expr.span)
            return resolve_type(key_column.type, enums, diagnostics)
        return resolve_type(expr, enums, diagnostics)

    def leaf_type(decl: n.FactDecl, segments: tuple) -> t.Type:
        """A fact's own type, `signed` when the declaration says it may be negative."""
        type_ = fact_type(decl.type, segments, False)
        if decl.signed is None:
            return type_
        if isinstance(type_, t.Quantity) and not type_.fraction:
            return attrs.evolve(type_, signed=True)
        if type_ is not t.ERROR:
            diagnostics.append(Diagnostic(
                "E-TYPE-003", f"`signed` is for a number fact; `{decl.dotted}` is {t.describe(type_)}",
                decl.signed, hint="only counts, numbers and amounts (money, minutes, points, days, "
                "months) may be declared `signed`; a fraction is always 0 to 1"))
        return type_

    enums: dict[str, t.Enum] = {}
    enum_spans: dict[str, Span] = {}
    for decl in enum_decls:
        if decl.name in enums:
            diagnostics.append(_twice(f"enumeration `{decl.name}`", decl.span, enum_spans[decl.name]))
            continue
        enums[decl.name] = t.Enum(decl.name, decl.members)
        enum_spans[decl.name] = decl.span

    root = _Builder("")
    required: set[str] = set()
    for decl in fact_decls:
        builder, dotted = root, ""
        all_segments = tuple((seg.name, seg.kind) for seg in decl.path)
        for position, segment in enumerate(decl.path):
            last = position == len(decl.path) - 1
            dotted = f"{dotted}.{segment.name}" if dotted else segment.name
            if segment.kind == "list":
                dotted += "[]"
            elif segment.kind == "map":
                dotted += "{}"
            existing = builder.fields.get(segment.name)
            if last and segment.kind == "field":
                if existing is not None:
                    diagnostics.append(_twice(f"fact `{decl.dotted}`", segment.span, existing[2]))
                    break
                builder.fields[segment.name] = ("leaf", leaf_type(decl, all_segments), segment.span)
                break
            if segment.kind == "map":
                key_type = fact_type(segment.key_type, all_segments[:position + 1], True)
                if existing is None:
                    if last:
                        inner = ("leaf", leaf_type(decl, all_segments))
                    else:
                        inner = ("record", _Builder(dotted))
                    builder.fields[segment.name] = ("map", (key_type, *inner), segment.span)
                    existing = builder.fields[segment.name]
                elif existing[0] != "map" or last:
                    diagnostics.append(_twice(f"fact `{decl.dotted}`", segment.span, existing[2]))
                    break
                builder = existing[1][2]
                continue
            kind = "list" if segment.kind == "list" else "record"
            if existing is None:
                builder.fields[segment.name] = (kind, _Builder(dotted), segment.span)
                existing = builder.fields[segment.name]
            elif existing[0] != kind:
                diagnostics.append(Diagnostic(
                    "E-NAME-002", f"`{dotted}` is declared both as a {existing[0]} and as a {kind}",
                    segment.span, related=(_related(existing[2], "declared here first"),)))
                break
            builder = existing[1]
        else:
            pass
        if decl.required:
            required.add(decl.dotted)
    root_type = root.freeze()

    subjects: dict[str, Subject] = {}
    for decl in subject_decls:
        if decl.name in subjects:
            diagnostics.append(_twice(f"subject `{decl.name}`", decl.span, subjects[decl.name].span))
            continue
        outer = subjects.get(decl.numbered_within) if decl.numbered_within else None
        if outer is not None and decl.path[0] == outer.name:
            # `each practice.registrations numbered within practice`: a path
            # that starts with the enclosing subject is read from its record.
            target = _record_at(outer.record, decl.path[1:])
        else:
            target = _record_at(root_type, decl.path)
        expected = "list" if decl.each else "record"
        if target is None or (decl.each != isinstance(target, t.ListOf)):
            diagnostics.append(Diagnostic(
                "E-NAME-004", f"subject `{decl.name}` needs a {expected} of facts at "
                f"`{'.'.join(decl.path)}`, which the schema does not declare", decl.span))
            continue
        record = target.element if isinstance(target, t.ListOf) else target
        if not isinstance(record, t.Record):
            continue
        if decl.keyed_by and record.field(decl.keyed_by) is None:
            diagnostics.append(Diagnostic(
                "E-NAME-004", f"`{decl.keyed_by}` is not a fact of `{'.'.join(decl.path)}`",
                decl.span, hint=did_you_mean(decl.keyed_by, [f for f, _ in record.fields])))
        if decl.numbered_within and decl.numbered_within not in subjects:
            diagnostics.append(Diagnostic(
                "E-NAME-007", f"unknown subject `{decl.numbered_within}`", decl.span,
                hint="declare the enclosing subject first"))
        subjects[decl.name] = Subject(decl.name, decl.each, decl.path, decl.keyed_by,
                                      decl.numbered_within, record, decl.span)
    validator = record_validator(root_type, frozenset(required), "")
    return Schema(root_type, enums, subjects, frozenset(required), validator,
                  tuple(constraints.values())), diagnostics


def _governed(container, segments, on_keys: bool, found: list | None = None) -> list:
    """The values (or map keys) a constraint governs, as `constrained_values`
    finds them, without their paths."""
    if found is None:
        found = []
    name, kind = segments[0]
    value = container.get(name) if isinstance(container, dict) else None
    if value is None:
        return found
    rest = segments[1:]
    if kind == "list":
        for item in value:
            if item is not None:
                if rest:
                    _governed(item, rest, on_keys, found)
                else:
                    found.append(item)
    elif kind == "map":
        if not rest:
            found.extend(value.keys() if on_keys else value.values())
        else:
            for item in value.values():
                _governed(item, rest, on_keys, found)
    elif not rest:
        found.append(value)
    else:
        _governed(value, rest, on_keys, found)
    return found


def constrained_values(root: FactRecord, constraint: KeyConstraint):
    """(field path, value) for every value (or map key) a constraint governs."""
    yield from _constrained(root, constraint.segments, [], constraint.on_keys)


def _constrained(container, segments, path, on_keys: bool):
    """`constrained_values` below `path` (a function of the module, not a
    closure that calls itself: that was a reference cycle on every line)."""
    name, kind = segments[0]
    if not isinstance(container, dict) or container.get(name) is None:
        return
    value, here = container[name], [*path, name]
    rest = segments[1:]
    if kind == "list":
        for index, item in enumerate(value):
            if item is None:
                continue
            if rest:
                yield from _constrained(item, rest, [*here, index], on_keys)
            else:
                yield [*here, index], item
    elif kind == "map":
        for key, item in value.items():
            if not rest:  # the map itself is constrained: its keys, or its values
                yield [*here, key], (key if on_keys else item)
            else:
                yield from _constrained(item, rest, [*here, key], on_keys)
    elif not rest:
        yield here, value
    else:
        yield from _constrained(value, rest, here, on_keys)


def _record_at(root: t.Record, path: tuple[str, ...]) -> t.Type | None:
    current: t.Type | None = root
    for name in path:
        if isinstance(current, t.ListOf):
            current = current.element
        if not isinstance(current, t.Record):
            return None
        current = current.field(name)
    return current


def _twice(what: str, span: Span, first: Span) -> Diagnostic:
    return Diagnostic("E-NAME-002", f"{what} is declared twice", span,
                      related=(_related(first, "first declared here"),))


def _related(span: Span, message: str):
    return Related(span, message)


def _without(container, path):
    """A copy of `container` without the entry at `path`, copying only the
    records and lists along the path (the rest is shared)."""
    head, rest = path[0], path[1:]
    if isinstance(container, FactList):
        copy = FactList(container.chain, container)
    else:
        copy = FactRecord(container.chain, container.items())
    if rest:
        copy[head] = _without(container[head], rest)
    else:
        del copy[head]
    return copy


def without_keys_out_of_force(schema: Schema, arrangement: Arrangement, keys_in_force) -> Arrangement:
    """The arrangement without the map entries whose keys are not keys of
    their table in force (`keys_in_force(table)`): how a layer that lacks a
    row reads facts reported for it. `impact` evaluates its baseline so, since
    rows that only the proposal adds (a local QOF indicator) mean nothing
    before it; the proposal itself still checks every key."""
    paths = [path for constraint in schema.constraints if constraint.on_keys
             for path, key in constrained_values(arrangement.facts, constraint)
             if key not in keys_in_force(constraint.table)]
    if not paths:
        return arrangement
    facts = arrangement.facts
    for path in paths:
        facts = _without(facts, path)
    return attrs.evolve(arrangement, facts=facts)


def check_constraints(schema: Schema, arrangement: Arrangement, keys_in_force, as_of,
                      retired=lambda table: frozenset()) -> None:
    """Values that must be keys of a table in force on `as_of`; raises
    InvalidInput. A value (not a map key) naming a row a local layer retired
    (`retired(table)`) is valid: a fact the terms read as not in the table."""
    problems = Problems()
    for constraint in schema.constraints:
        valid = keys_in_force(constraint.table)
        gone = frozenset() if constraint.on_keys else retired(constraint.table)
        if all(value in valid or value in gone
               for value in _governed(arrangement.facts, constraint.segments, constraint.on_keys)):
            continue  # the common case: every value valid (the walk below names the paths of those not)
        for path, value in constrained_values(arrangement.facts, constraint):
            if value in valid or value in gone:
                continue
            what = constraint.table.replace("_", " ")
            suggestion = did_you_mean(str(value), [str(v) for v in valid])
            problems.add(path, "E-FACT-003",
                         f"`{value}` at `{show_parts(path)}` is not in {what} on {as_of}",
                         hint=(suggestion + " " if suggestion else "") +
                         f"valid on that date: {one_of([str(v) for v in valid], 30)}",
                         at_key=constraint.on_keys)
    if problems:
        origin = arrangement.source if arrangement.line is None else arrangement.source.rsplit(":", 1)[0]
        raise InvalidInput(place_problems(problems, arrangement.document, arrangement.raw_source,
                                          origin, arrangement.line, arrangement.text))
