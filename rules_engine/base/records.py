"""Frozen records pickled by their fields, for the checked library's cache.

Input: an attrs class. Output: the same class, which pickles as a call of
the class with its fields in order (`(cls, (field, ...))`) instead of attrs'
default (a new object, then `__setstate__` setting each field in a loop of
Python): the checked library's cache (static/checked_cache.py) holds some
20,000 such records (8,000 of them spans), and a warm command unpickles them
all before it reads a line. The entry is smaller, and read some 40% faster.

Only a class that its fields rebuild exactly is given this: every field
taken by `__init__`, by position and under its own name, with no converter
and no `__attrs_post_init__`; any other class keeps attrs' way. The cache's
unpickler still makes only the classes it allows (the call is of the class
itself, never of a function), so nothing here can run other code.

>>> import pickle
>>> @pickled_by_fields
... @attrs.frozen
... class Point:
...     x: int
...     y: int = 0
>>> Point.__reduce__(Point(1, 2))[1]
(1, 2)
"""

from __future__ import annotations

import contextlib
import copyreg
import gc
from typing import Iterator

import attrs


def pickled_by_fields(cls: type) -> type:
    """`cls`, pickled as `cls(*fields)` when its fields rebuild it exactly."""
    fields = attrs.fields(cls)
    if hasattr(cls, "__attrs_post_init__") or any(
            not f.init or f.kw_only or f.alias != f.name or f.converter is not None for f in fields):
        return cls
    names = tuple(f.name for f in fields)

    def __reduce__(self):
        if type(self) is not cls:  # a subclass has fields of its own: attrs' way
            return copyreg.__newobj__, (type(self),), self.__getstate__()
        return cls, tuple([getattr(self, name) for name in names])

    cls.__reduce__ = __reduce__
    return cls


def fields_repr(self) -> str:
    """attrs' repr of a record, `Name(span=Span(...), name='x')`, for classes
    made with `repr=False`: one function for them all, where attrs compiles a
    `__repr__` for each class as it is made (about 0.2 ms a class, at
    start-up: the syntax tree's classes are made by every command). Each
    field is shown as attrs shows it (left out with `repr=False`, through
    its own function if it has one); records are trees (no cycle), so
    attrs' guard against a record that contains itself is not needed."""
    cls = type(self)
    shown = ", ".join(f"{field.name}={(repr if field.repr is True else field.repr)(getattr(self, field.name))}"
                      for field in cls.__attrs_attrs__ if field.repr is not False)
    return f"{cls.__qualname__.rsplit('>.', 1)[-1]}({shown})"


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The garbage collector off while many long-lived records are made (the
    checked library unpickled, or parsed and checked): tens of thousands of
    new objects, none of them garbage, would otherwise set off collections
    that walk them all again and again. It is back on (if it was) after, to
    collect whatever the work left."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()

