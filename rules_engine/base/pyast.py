"""The few `ast` node builders that both code generators use: the generated
backend (backends/codegen.py) and the typed decoder's walk (io/decoding.py).
Generated code is only ever built as an `ast` tree from these (and `ast`
itself), never as text.
"""

from __future__ import annotations

import ast


def load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def store(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())


def call(function: ast.expr, *args: ast.expr) -> ast.Call:
    return ast.Call(function, list(args), [])


def attr(value: ast.expr, name: str) -> ast.Attribute:
    return ast.Attribute(value, name, ast.Load())


def is_(left: ast.expr, right: ast.expr, negated: bool = False) -> ast.Compare:
    return ast.Compare(left, [ast.IsNot() if negated else ast.Is()], [right])


__all__ = ["load", "store", "call", "attr", "is_"]
