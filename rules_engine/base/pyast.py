"""The few `ast` node builders that both code generators use: the generated
backend (backends/codegen.py) and the typed decoder's walk (io/decoding.py).
Generated code is only ever built as an `ast` tree from these (and `ast`
itself), never as text.
"""

from __future__ import annotations

import ast


#: The contexts, one of each, shared by every node that has one (as CPython's
#: own parser shares them): a generated module has some 15,000.
LOAD, STORE = ast.Load(), ast.Store()


def load(name: str) -> ast.Name:
    return ast.Name(name, LOAD)


def store(name: str) -> ast.Name:
    return ast.Name(name, STORE)


def call(function: ast.expr, *args: ast.expr) -> ast.Call:
    return ast.Call(function, list(args), [])


def attr(value: ast.expr, name: str) -> ast.Attribute:
    return ast.Attribute(value, name, LOAD)


_IS, _IS_NOT = ast.Is(), ast.IsNot()


def is_(left: ast.expr, right: ast.expr, negated: bool = False) -> ast.Compare:
    return ast.Compare(left, [_IS_NOT if negated else _IS], [right])


def located(module: ast.Module) -> ast.Module:
    """`ast.fix_missing_locations`, done faster (a generated module of the
    national library is some 44,000 nodes): every node without a line and
    column takes its parent's (a generated statement carries its rule file's),
    and its end is its start; the nodes that have neither fields nor a
    location (contexts and operators: a third of a module) are not visited."""
    todo: list = [(module, 1, 0)]
    pop, push, AST = todo.pop, todo.append, ast.AST
    while todo:
        node, line, column = pop()
        state = node.__dict__
        if "lineno" in state:
            line, column = state["lineno"], state["col_offset"]
            if "end_lineno" not in state:
                state["end_lineno"], state["end_col_offset"] = line, column
        elif node._attributes:
            state["lineno"] = state["end_lineno"] = line
            state["col_offset"] = state["end_col_offset"] = column
        for name in node._fields:
            value = state.get(name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST) and (item._fields or item._attributes):
                        push((item, line, column))
            elif isinstance(value, AST) and (value._fields or value._attributes):
                push((value, line, column))
    return module


__all__ = ["LOAD", "STORE", "load", "store", "call", "attr", "is_", "located"]
