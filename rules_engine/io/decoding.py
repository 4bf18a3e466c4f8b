"""Typed decoding: decoders generated from the fact schema, the fast path for
valid arrangements.

Input: the schema's root record type and the dotted paths of the required
facts; then a JSON text (a population line or a `.json` file) or a document
already read from YAML. Output: the same `FactRecord` tree the validator of
`facts.py` builds, or None when the input is not plainly valid; the caller
then runs the validator, which explains every problem with its field path,
line and code. So the decoder never reports anything: it accepts a subset
of what the validator accepts, and gives identical facts for it
(tests/test_decoding.py holds the two to that on hypothesis-made
arrangements).

Each record type becomes a `msgspec.Struct` (unknown fields forbidden,
required facts without a default, enumerations as `Literal`s), so that
msgspec parses and type-checks a line in C; a walk compiled once per schema
then builds the fact containers and turns numbers into Decimals exactly as
the validator does (the number, time and interval checks are the
validator's own). The walk of records, lists and maps is straight-line
Python generated per schema (`_Walk`): a function per record type with a
statement per field, built as an `ast` tree whose every name is generated
and every field name a constant (a schema's names, whatever they hold, stay
data), compiled once, run over a namespace holding only its helpers. msgspec keeps the last of a repeated key, which the
reader rejects (E-FACT-006), so a JSON text is decoded only when its colons
add up: every `:` outside a string separates a key from its value, so the
colons of the text must equal the keys decoded plus the colons inside the
strings decoded (a text that spells a colon as `\\u003a` goes to the
validator).
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import types
from decimal import Decimal
from typing import Any, Callable, Literal, Union

import msgspec

from rules_engine.base import limits
from rules_engine.base import typesys as t
from rules_engine.base.pyast import LOAD, STORE, attr as _attr, call as _call, is_ as _is, load as _load, located, store as _store
from rules_engine.base.values import FactList, FactRecord
from rules_engine.io import facts as f

_UNSET = msgspec.UNSET
_names = itertools.count()


class _Reject(Exception):
    """The input is not plainly valid: the validator decides."""


class _Unsupported(Exception):
    """A schema with a type the decoder does not handle (the validator does)."""


# How a record's field is turned into a fact: taken as it is, a string taken
# as it is (its colons counted), a number (the common cases inline), through
# a converter, or a time or interval's text (its reading looked up inline
# among those already read, the converter for a text not read before), a
# record (its fields inline), a list or a set (its items in a loop, inline).
_PLAIN, _STRING, _NUMBER, _CONVERT, _CLOCK, _RECORD, _LIST = range(7)

Converter = Callable[[Any, Any, list], Any]


class Decoder:
    """A schema's typed decoders (JSON text, and a YAML document once read)."""

    def __init__(self, root: t.Record, required: frozenset[str]):
        self._bound = [0]  # `facts.largest()` for the run, read by the walk's number checks
        walk = _Walk(self._bound)
        self._accepted = walk.accepted  # the floats accepted so far, which hold under that bound alone
        self.struct, plan = _record(root, required, "", walk)
        self._convert = walk.compiled(walk.converter(_RECORD, plan))
        self._json = msgspec.json.Decoder(self.struct)
        self.depth = _depth(root)  # no text the decoder accepts nests deeper


    def json_text(self, text: str) -> FactRecord | None:
        """The facts of a JSON object's text, or None (the validator decides)."""
        if self.depth > limits.current().max_nesting_depth:
            return None  # the reader names the depth (E-LIMIT)
        if "\\u003" in text and ("\\u003a" in text or "\\u003A" in text):
            return None  # a colon spelt as an escape would upset the count below
        self._set_bound()
        try:
            decoded = self._json.decode(text)
            tally = [0]
            facts = self._convert(decoded, None, tally)
        except (msgspec.DecodeError, _Reject, RecursionError):
            return None  # msgspec.ValidationError is a DecodeError
        return facts if tally[0] == text.count(":") else None

    def _set_bound(self) -> None:
        """The bound on numbers in force (`facts.largest()`) for the walk; the
        floats accepted under another one forgotten."""
        largest = f.largest()
        if largest != self._bound[0]:
            self._bound[0] = largest
            for accepted in self._accepted.values():
                accepted.clear()

    def document(self, document: Any) -> FactRecord | None:
        """The facts of a document read from YAML (repeated keys were already
        refused by the reader), or None (the validator decides)."""
        if self.depth > limits.current().max_nesting_depth:
            return None
        self._set_bound()
        try:
            decoded = msgspec.convert(document, self.struct)
            return self._convert(decoded, None, [0])
        except (msgspec.ValidationError, _Reject, RecursionError, TypeError, ValueError):
            return None


def decoder_for(root: t.Record, required: frozenset[str]) -> Decoder | None:
    """The schema's decoder, or None for a schema it does not handle."""
    try:
        return Decoder(root, required)
    except (_Unsupported, TypeError, ValueError):  # msgspec refuses a type or a name: the validator alone reads
        return None


def _depth(type_: t.Type) -> int:
    """How deep a value of `type_` nests objects and lists."""
    if isinstance(type_, t.Record):
        return 1 + max((_depth(field) for _, field in type_.fields), default=0)
    if isinstance(type_, (t.ListOf, t.MapOf)):
        return 1 + _depth(type_.element if isinstance(type_, t.ListOf) else type_.value)
    return 1 if isinstance(type_, t.SetOf) else 0


# A converter, while the walk is built: the name of a generated function
# (`str`), or a Python function (the leaves' checks).
Convert = Any


class _Walk:
    """The generated walk of one schema, as an `ast` tree; `compiled` turns it
    into Python functions. A record's fields are converted inline, and so are
    the records and lists it holds (no call, no separate tally, per record);
    a map, and a list's or map's items where a converter is asked for, get a
    function of their own."""

    def __init__(self, bound: list):
        self.functions: list[ast.FunctionDef] = []
        self.constants: list[Any] = []
        self.count = itertools.count()
        # {(fraction, signed): {float: its Decimal}}: the floats the validator's
        # check accepted for a number of that kind (under the bound in force)
        self.accepted: dict[tuple[bool, bool], dict[float, Decimal]] = {}
        self.namespace: dict[str, Any] = {
            "__builtins__": {}, "new": dict.__new__, "FactRecord": FactRecord, "FactList": FactList,
            "Decimal": Decimal, "UNSET": _UNSET, "Reject": _Reject, "Problems": f.Problems,
            "bound": bound, "type": type, "int": int, "str": str, "len": len, "enumerate": enumerate,
            "frozenset": frozenset}

    def const(self, value) -> ast.expr:
        self.constants.append(value)
        return ast.Subscript(_load("K"), ast.Constant(len(self.constants) - 1), LOAD)

    def callable(self, convert: Convert) -> ast.expr:
        return _load(convert) if isinstance(convert, str) else self.const(convert)

    def name(self, stem: str) -> str:
        """A local variable of its own (the walk's names are all generated)."""
        return f"{stem}{next(self.count)}"

    def function(self, body: list[ast.stmt]) -> str:
        """A function `(value, chain, tally)` of `body`, run with the count of
        keys (`keys`) and the bound on numbers (`largest`) set."""
        name = f"w{len(self.functions)}"
        arguments = ast.arguments([], [ast.arg(a) for a in ("value", "chain", "tally")], None, [], [], None, [])
        start = [_set("keys", ast.Constant(0)),
                 _set("largest", ast.Subscript(_load("bound"), ast.Constant(0), LOAD))]
        self.functions.append(ast.FunctionDef(name, arguments, start + body, [], None))
        return name

    def compiled(self, convert: Convert) -> Converter:
        """The walk's functions (the one compile: of an `ast.Module` built
        here, whose code objects become functions over the namespace; the
        module body is never run), and the one for `convert`."""
        module = located(ast.Module(self.functions, []))
        code = compile(module, "<contract-rules: decoder generated from the fact schema>", "exec")
        self.namespace["K"] = tuple(self.constants)
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                self.namespace[constant.co_name] = types.FunctionType(constant, self.namespace, constant.co_name)
        self.functions = []
        return self.namespace[convert] if isinstance(convert, str) else convert

    def converter(self, kind: int, converter) -> Convert:
        """A field's conversion as a function `(value, chain, tally)`."""
        if kind == _CONVERT:
            return converter
        if kind == _CLOCK:
            return converter[1]
        if kind == _NUMBER:
            return converter[-1]
        if kind == _STRING:
            def counted(item, chain, tally):
                tally[0] += item.count(":")
                return item
            return counted
        if kind == _PLAIN:
            return lambda item, chain, tally: item
        result = self.name("r")
        return self.function(self.convert(kind, converter, "value", _store(result), _load("chain"))
                             + [_add_to_tally(_load("keys")), ast.Return(_load(result))])

    def convert(self, kind: int, converter, source: str, target: ast.expr, path: ast.expr) -> list[ast.stmt]:
        """`target` set from the variable `source`, a value at the chain `path`,
        converted as `kind` says; its keys counted in `keys`."""
        item = _load(source)
        if kind == _PLAIN:
            return [ast.Assign([target], item)]
        if kind == _STRING:
            return [ast.Assign([target], item),
                    ast.If(ast.Compare(ast.Constant(":"), [ast.In()], [item]),
                           [_add("keys", _call(_attr(item, "count"), ast.Constant(":")))], [])]
        if kind == _NUMBER:
            return self.number(target, source, path, converter)
        if kind == _CLOCK:
            return self.clock(target, source, path, converter)
        if kind == _RECORD:
            return self.record(converter, source, target, path)
        if kind == _LIST:
            return self.sequence(converter, source, target, path)
        return [ast.Assign([target], _call(self.callable(converter), item, path, _load("tally")))]

    def record(self, plan, source: str, target: ast.expr, path: ast.expr) -> list[ast.stmt]:
        """A record: a statement per field. A required field is there and not
        null (msgspec made sure); another is converted when given, not null."""
        chain, out = self.name("c"), self.name("o")
        body = [_set(chain, path), *_new_record(out, _load(chain))]
        required = 0
        for attribute, name, kind, converter, needed in plan:
            item = self.name("i")
            given = self.convert(kind, converter, item, ast.Subscript(_load(out), ast.Constant(name), STORE),
                                 ast.Tuple([_load(chain), ast.Constant(name)], LOAD))
            body.append(_set(item, _attr(_load(source), attribute)))
            if needed:
                required += 1
                body += given
            else:
                body.append(ast.If(_is(_load(item), _load("UNSET"), negated=True),
                                   [_add("keys", ast.Constant(1)),
                                    ast.If(_is(_load(item), ast.Constant(None), negated=True), given, [])], []))
        if required:
            body.append(_add("keys", ast.Constant(required)))
        return body + [ast.Assign([target], _load(out))]

    def sequence(self, converter, source: str, target: ast.expr, path: ast.expr) -> list[ast.stmt]:
        """A list (`FactList`, a null item kept as None) or a set: its items
        converted in a loop."""
        kind, element, make = converter
        chain, items, index, item, made = (self.name(stem) for stem in "clxev")
        convert = self.convert(kind, element, item, _store(made), ast.Tuple([_load(chain), _load(index)], LOAD))
        append = ast.Expr(_call(_attr(_load(items), "append"), _load(made)))
        if make == "FactList":
            step = [ast.If(_is(_load(item), ast.Constant(None)),
                           [ast.Expr(_call(_attr(_load(items), "append"), ast.Constant(None)))], convert + [append])]
            made_all = _call(_load("FactList"), _load(chain), _load(items))
        else:
            step = convert + [append]
            made_all = _call(_load("frozenset"), _load(items))
        loop = ast.For(ast.Tuple([_store(index), _store(item)], STORE),
                       _call(_load("enumerate"), _load(source)), step, [], None)
        return [_set(chain, path), _set(items, ast.List([], LOAD)), loop, ast.Assign([target], made_all)]

    def clock(self, target: ast.expr, text: str, path: ast.expr, converter: tuple) -> list[ast.stmt]:
        """`target` set from a time or interval's text (the variable `text`):
        its reading looked up among those read before, else converted (and
        kept); a reading found counts the text's keys as the converter would."""
        read, convert = converter
        found = _load("found")
        return [_set("found", _call(_attr(self.const(read), "get"), _load(text))),
                ast.If(_is(found, ast.Constant(None)),
                       [ast.Assign([target], _call(self.const(convert), _load(text), path, _load("tally")))],
                       [ast.Assign([target], found),
                        _add("keys", _call(_attr(_load(text), "count"), ast.Constant(":")))])]

    def number(self, target: ast.expr, source: str, path: ast.expr, converter) -> list[ast.stmt]:
        """A number (the variable `source`): the validator's own fast cases
        (`facts.leaf_check`) inline (a whole number in range; a float its check
        has accepted before for a number of this kind, looked up), its check
        for the rest."""
        fraction, integral, signed, check, accepted = converter
        checked = [ast.Assign([target], _call(self.const(check), _load(source), path, _load("tally")))]
        largest, item, known = _load("largest"), _load(source), _load("known")
        within = [ast.Compare(ast.UnaryOp(ast.USub(), largest), [ast.Lt(), ast.Lt()], [item, largest])]
        if fraction:
            whole = checked  # a fraction is never given as a whole number here: the check decides
        else:
            tests = within if signed else [ast.Compare(item, [ast.GtE()], [ast.Constant(0)])] + within
            whole = [ast.If(ast.BoolOp(ast.And(), tests), [ast.Assign([target], _call(_load("Decimal"), item))],
                            checked)]
        if integral:
            other = checked
        else:
            other = [_set("known", _call(_attr(self.const(accepted), "get"), item)),
                     ast.If(_is(known, ast.Constant(None), negated=True), [ast.Assign([target], known)], checked)]
        return [ast.If(_is(_call(_load("type"), item), _load("int")), whole, other)]

    def mapping(self, key_type: t.Type, kind: int, value) -> str:
        """A map's walk: its keys checked as the validator checks them (text,
        or a name of an enumeration: msgspec made sure of those, `_key_spec`;
        a key of another type by the validator's check), each counted, and
        each value converted inline as a record's field would be."""
        key, raw_key = _load("key"), _load("raw_key")
        path = ast.Tuple([_load("chain"), raw_key], LOAD)
        count_colons = [ast.If(ast.Compare(ast.Constant(":"), [ast.In()], [raw_key]),
                               [_add("keys", _call(_attr(raw_key, "count"), ast.Constant(":")))], [])]
        if _key_spec(key_type) is not Any:  # every key counted at once; one with a colon counts its colons
            start = [_add("keys", _call(_load("len"), _load("value")))]
            loop = count_colons if not isinstance(key_type, t.Enum) or any(":" in m for m in key_type.members) else []
            loop = loop + [_set("key", raw_key)]
        else:
            start = []
            loop = [_add("keys", ast.Constant(1)), *count_colons,
                    _set("key", _call(self.const(f.leaf_check(key_type)), raw_key, path, _load("problems"))),
                    ast.If(_load("problems"), [ast.Raise(_load("Reject"), None)], [])]
        target = ast.Subscript(_load("out"), key, STORE)
        given = self.convert(kind, value, "raw_value", target, path)
        loop.append(ast.If(_is(_load("raw_value"), ast.Constant(None), negated=True), given, []))
        checks = [] if start else [_set("problems", _call(_load("Problems")))]
        body = [*_new_record("out", _load("chain")), *checks, *start,
                ast.For(ast.Tuple([_store("raw_key"), _store("raw_value")], STORE),
                        _call(_attr(_load("value"), "items")), loop, [], None),
                _add_to_tally(_load("keys")), ast.Return(_load("out"))]
        return self.function(body)


def _key_spec(key_type: t.Type) -> Any:
    """How msgspec reads a map's keys: text as it is, an enumeration's
    names as a `Literal` (any other text is refused, as the validator
    refuses it), anything else as it comes (the walk checks it)."""
    if isinstance(key_type, t.Text):
        return str
    if isinstance(key_type, t.Enum) and key_type.members:
        return Literal[tuple(key_type.members)]
    return Any


def _new_record(name: str, chain: ast.expr) -> list[ast.stmt]:
    """`name = ` an empty `FactRecord` at `chain`, made inline: `dict.__new__`
    and the chain set, without a Python-level `__init__` call (`FactRecord.path`
    is spelt when first asked for)."""
    return [_set(name, _call(_load("new"), _load("FactRecord"))),
            ast.Assign([ast.Attribute(_load(name), "chain", STORE)], chain)]


def _set(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign([_store(name)], value)


def _add(name: str, value: ast.expr) -> ast.AugAssign:
    return ast.AugAssign(_store(name), ast.Add(), value)


def _add_to_tally(value: ast.expr) -> ast.AugAssign:
    return ast.AugAssign(ast.Subscript(_load("tally"), ast.Constant(0), STORE), ast.Add(), value)


def _record(record: t.Record, required: frozenset[str], dotted: str, walk: _Walk) -> tuple[type, list]:
    """A record type's msgspec struct and its plan: (attribute, name, kind,
    converter, required) per field."""
    fields, plan = [], []
    for index, (name, field_type) in enumerate(record.fields):
        child = f"{dotted}.{name}" if dotted else name
        spec, kind, convert = _type(field_type, required, child, walk)
        attribute = f"f{index}"  # fact names need not be Python names
        if child in required:
            fields.append((attribute, spec, msgspec.field(name=name)))
        else:
            fields.append((attribute, Union[spec, None, msgspec.UnsetType],
                           msgspec.field(default=_UNSET, name=name)))
        plan.append((attribute, name, kind, convert, child in required))
    struct = msgspec.defstruct(f"Record{next(_names)}", fields, kw_only=True,
                               forbid_unknown_fields=True, gc=False)
    return struct, plan


def _type(type_: t.Type, required: frozenset[str], dotted: str,
          walk: _Walk) -> tuple[Any, int, Any]:
    """(msgspec type, how to convert, converter) for a field of `type_`."""
    if isinstance(type_, t.Record):
        struct, plan = _record(type_, required, dotted, walk)
        return struct, _RECORD, plan
    if isinstance(type_, t.ListOf):
        spec, kind, element = _type(type_.element, required, dotted + "[]", walk)
        return list[Union[spec, None]], _LIST, (kind, element, "FactList")
    if isinstance(type_, t.SetOf):
        spec, kind, element = _type(type_.element, required, dotted + "[]", walk)
        return list[spec], _LIST, (kind, element, "frozenset")
    if isinstance(type_, t.MapOf):
        spec, kind, value_converter = _type(type_.value, required, dotted + "{}", walk)
        return dict[_key_spec(type_.key), Union[spec, None]], _CONVERT, walk.mapping(type_.key, kind,
                                                                                     value_converter)
    return _leaf(type_, walk)


def _checked(check: Callable, strings: bool, read: dict | None = None,
             accepted: dict | None = None) -> Converter:
    """The validator's own check of a leaf, rejecting what it would report;
    with `read`, a text's reading is kept there (a time or an interval, the
    same few of which recur across a population: immutable values); with
    `accepted`, a float's Decimal (not zero's: 0.0 and -0.0 are one key but
    two Decimals)."""
    def convert(item, chain, tally):
        problems = f.Problems()
        value = check(item, chain, problems)
        if problems or value is f.MISSING:
            raise _Reject
        if strings:
            tally[0] += item.count(":")
        if read is not None and type(item) is str and len(read) < _READ_TEXTS:
            read[item] = value
        if accepted is not None and type(item) is float and item and len(accepted) < _ACCEPTED_FLOATS:
            accepted[item] = value
        return value
    return convert


#: Readings of time and interval texts a decoder keeps, per field type.
_READ_TEXTS = 4096
#: Floats a decoder keeps accepted, per kind of number (as `facts.FLOATS` keeps their Decimals).
_ACCEPTED_FLOATS = 65536


def _leaf(type_: t.Type, walk: _Walk) -> tuple[Any, int, Converter | None]:
    if isinstance(type_, t.Boolean):
        return bool, _PLAIN, None
    if isinstance(type_, t.Text):
        return str, _STRING, None
    if isinstance(type_, t.Enum):
        if not type_.members:
            raise _Unsupported(type_.name)
        return Literal[tuple(type_.members)], _STRING, None
    if isinstance(type_, t.Date):
        def convert_date(item, chain, tally):
            if not limits.EARLIEST_YEAR <= item.year <= limits.current().max_year:
                raise _Reject
            return item
        return dt.date, _CONVERT, convert_date
    if isinstance(type_, (t.TimeOfDay, t.Interval)):
        read: dict[str, Any] = {}
        return str, _CLOCK, (read, _checked(f.leaf_check(type_), strings=True, read=read))
    if isinstance(type_, t.Quantity):
        accepted = walk.accepted.setdefault((type_.fraction, type_.signed), {})
        return Union[int, float], _NUMBER, (type_.fraction, type_.integral, type_.signed,
                                            _checked(f.leaf_check(type_), strings=False, accepted=accepted),
                                            accepted)
    raise _Unsupported(t.describe(type_))
