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
validator's own). msgspec keeps the last of a repeated key, which the
reader rejects (E-FACT-006), so a JSON text is decoded only when its colons
add up: every `:` outside a string separates a key from its value, so the
colons of the text must equal the keys decoded plus the colons inside the
strings decoded (a text that spells a colon as `\\u003a` goes to the
validator).
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any, Callable, Literal, Union

import msgspec

from rules_engine.base import limits
from rules_engine.base import typesys as t
from rules_engine.base.values import FactList, FactRecord, new_record
from rules_engine.io import facts as f
from rules_engine.io.facts import FLOATS as _FLOATS

_UNSET = msgspec.UNSET
_names = itertools.count()


class _Reject(Exception):
    """The input is not plainly valid: the validator decides."""


class _Unsupported(Exception):
    """A schema with a type the decoder does not handle (the validator does)."""


# How a record's field is turned into a fact: taken as it is, a string taken
# as it is (its colons counted), a number (the common cases inline), or
# through a converter.
_PLAIN, _STRING, _NUMBER, _CONVERT = range(4)

Converter = Callable[[Any, Any, list], Any]


class Decoder:
    """A schema's typed decoders (JSON text, and a YAML document once read)."""

    def __init__(self, root: t.Record, required: frozenset[str]):
        self._bound = [0]  # `facts.largest()` for the run, read by the walk's number checks
        self.struct, self._convert = _record(root, required, "", self._bound)
        self._json = msgspec.json.Decoder(self.struct)
        self.depth = _depth(root)  # no text the decoder accepts nests deeper


    def json_text(self, text: str) -> FactRecord | None:
        """The facts of a JSON object's text, or None (the validator decides)."""
        if self.depth > limits.current().max_nesting_depth:
            return None  # the reader names the depth (E-LIMIT)
        if "\\u003a" in text or "\\u003A" in text:
            return None  # a colon spelt as an escape would upset the count below
        self._bound[0] = f.largest()
        try:
            decoded = self._json.decode(text)
            tally = [0]
            facts = self._convert(decoded, None, tally)
        except (msgspec.DecodeError, _Reject, RecursionError):
            return None  # msgspec.ValidationError is a DecodeError
        return facts if tally[0] == text.count(":") else None

    def document(self, document: Any) -> FactRecord | None:
        """The facts of a document read from YAML (repeated keys were already
        refused by the reader), or None (the validator decides)."""
        if self.depth > limits.current().max_nesting_depth:
            return None
        self._bound[0] = f.largest()
        try:
            decoded = msgspec.convert(document, self.struct)
            return self._convert(decoded, None, [0])
        except (msgspec.ValidationError, _Reject, RecursionError, TypeError, ValueError):
            return None


def decoder_for(root: t.Record, required: frozenset[str]) -> Decoder | None:
    """The schema's decoder, or None for a schema it does not handle."""
    try:
        return Decoder(root, required)
    except (_Unsupported, TypeError):  # msgspec refuses a type: the validator alone reads
        return None


def _depth(type_: t.Type) -> int:
    """How deep a value of `type_` nests objects and lists."""
    if isinstance(type_, t.Record):
        return 1 + max((_depth(field) for _, field in type_.fields), default=0)
    if isinstance(type_, (t.ListOf, t.MapOf)):
        return 1 + _depth(type_.element if isinstance(type_, t.ListOf) else type_.value)
    return 1 if isinstance(type_, t.SetOf) else 0


def _record(record: t.Record, required: frozenset[str], dotted: str,
            bound: list) -> tuple[type, Converter]:
    fields, plan = [], []
    for index, (name, field_type) in enumerate(record.fields):
        child = f"{dotted}.{name}" if dotted else name
        spec, kind, convert = _type(field_type, required, child, bound)
        attribute = f"f{index}"  # fact names need not be Python names
        if child in required:
            fields.append((attribute, spec, msgspec.field(name=name)))
        else:
            fields.append((attribute, Union[spec, None, msgspec.UnsetType],
                           msgspec.field(default=_UNSET, name=name)))
        plan.append((attribute, name, kind, convert))
    struct = msgspec.defstruct(f"Record{next(_names)}", fields, kw_only=True,
                               forbid_unknown_fields=True)
    plan = tuple(plan)

    def convert(value, chain, tally):
        out = new_record(chain)
        keys = 0
        largest = bound[0]
        for attribute, name, kind, converter in plan:
            item = getattr(value, attribute)
            if item is _UNSET:
                continue
            keys += 1
            if item is None:
                continue  # an explicit null is a missing fact
            if kind == _PLAIN:
                out[name] = item
            elif kind == _STRING:
                out[name] = item
                if ":" in item:
                    keys += item.count(":")
            elif kind == _NUMBER:  # the validator's own fast cases (facts.leaf_check)
                fraction, integral, signed, check = converter
                if type(item) is int:
                    if not fraction and (item >= 0 or signed) and -largest < item < largest:
                        out[name] = Decimal(item)
                        continue
                elif not integral:
                    known = _FLOATS.get(item)
                    if known is not None and (0 <= known <= 1 if fraction else
                                              (known >= 0 or signed) and -largest < known < largest):
                        out[name] = known
                        continue
                out[name] = check(item, (chain, name), tally)
            else:
                out[name] = converter(item, (chain, name), tally)
        tally[0] += keys
        return out
    return struct, convert


def _type(type_: t.Type, required: frozenset[str], dotted: str,
          bound: list) -> tuple[Any, int, Converter | None]:
    """(msgspec type, how to convert, converter) for a field of `type_`."""
    if isinstance(type_, t.Record):
        struct, convert = _record(type_, required, dotted, bound)
        return struct, _CONVERT, convert
    if isinstance(type_, t.ListOf):
        spec, kind, element = _type(type_.element, required, dotted + "[]", bound)
        element = _as_converter(kind, element)

        def convert_list(value, chain, tally):
            return FactList(chain, [None if item is None else element(item, (chain, index), tally)
                                    for index, item in enumerate(value)])
        return list[Union[spec, None]], _CONVERT, convert_list
    if isinstance(type_, t.SetOf):
        spec, kind, element = _type(type_.element, required, dotted + "[]", bound)
        element = _as_converter(kind, element)

        def convert_set(value, chain, tally):
            return frozenset(element(item, (chain, index), tally) for index, item in enumerate(value))
        return list[spec], _CONVERT, convert_set
    if isinstance(type_, t.MapOf):
        key = f.leaf_check(type_.key)
        key_spec = str if isinstance(type_.key, (t.Text, t.Enum)) else Any
        spec, kind, value_converter = _type(type_.value, required, dotted + "{}", bound)
        value_converter = _as_converter(kind, value_converter)

        def convert_map(value, chain, tally):
            out = new_record(chain)
            problems = f.Problems()
            for raw_key, raw_value in value.items():
                if type(raw_key) is not str:
                    raise _Reject
                tally[0] += 1 + raw_key.count(":")
                converted_key = key(raw_key, (chain, raw_key), problems)
                if problems:
                    raise _Reject
                if raw_value is not None:
                    out[converted_key] = value_converter(raw_value, (chain, raw_key), tally)
            return out
        return dict[key_spec, Union[spec, None]], _CONVERT, convert_map
    return _leaf(type_)


def _as_converter(kind: int, converter) -> Converter:
    if kind == _CONVERT:
        return converter
    if kind == _NUMBER:
        return converter[-1]
    if kind == _STRING:
        def counted(item, chain, tally):
            tally[0] += item.count(":")
            return item
        return counted
    return lambda item, chain, tally: item


def _checked(check: Callable, strings: bool) -> Converter:
    """The validator's own check of a leaf, rejecting what it would report."""
    def convert(item, chain, tally):
        problems = f.Problems()
        value = check(item, chain, problems)
        if problems or value is f.MISSING:
            raise _Reject
        if strings:
            tally[0] += item.count(":")
        return value
    return convert


def _leaf(type_: t.Type) -> tuple[Any, int, Converter | None]:
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
        return str, _CONVERT, _checked(f.leaf_check(type_), strings=True)
    if isinstance(type_, t.Quantity):
        return Union[int, float], _NUMBER, (type_.fraction, type_.integral, type_.signed,
                                            _checked(f.leaf_check(type_), strings=False))
    raise _Unsupported(t.describe(type_))
