"""`lint` warnings: terms that check, but would mislead a reader of the results.

Input: the checked library and the files the user named. Output: warning
`Diagnostic`s (severity "warning", codes registered in `base/diagnostics.py`
like every other code, each with a catalogue entry). A warning changes the
exit code only under `lint --strict`. The check is a row of `lint.WARNINGS`,
beside the static ones (`static/lint_checks.py`).

W-MONEY-001: a money definition that becomes £0 when a fact is unknown. In

    define support for each practice: money =
        if known(practice.plan_agreed) then £5,000 else £0

a practice whose plan date is missing is shown £0.00, certain, and `impact`
shows no change, though the money is unknown until the fact is given. The
check finds an `if` whose condition needs `known(X)` to hold (a conjunct of
it, not negated) and whose `else` is a zero amount, or whose condition holds
when `not known(X)` does (a disjunct) and whose `then` is a zero amount.
Without `known`, an unknown fact makes the condition, and so the value,
unknown: `if practice.plan_agreed <= as_of then £5,000 else £0`.

>>> from rules_engine.base.source import SourceFile
>>> from rules_engine.syntax.lower import lower
>>> text = ('national contract c "C"\\n'
...         'define x for each practice: money =\\n'
...         '    if known(practice.plan) and practice.ok then £5 else £0\\n')
>>> decl = lower(SourceFile("x.rules", text)).layer.declarations[0]
>>> [(c, s.line) for c, s in zero_when_unknown(decl.body)]
[('practice.plan', 3)]
"""

from __future__ import annotations

from typing import Iterator

from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic
from rules_engine.syntax import nodes as n


def _show(expr) -> str:
    if isinstance(expr, n.Name):
        return expr.name
    if isinstance(expr, n.Field):
        return f"{_show(expr.record)}.{expr.name}"
    if isinstance(expr, n.Index):
        return f"{_show(expr.collection)}[...]"
    return "a fact"


def _conjuncts(condition) -> list:
    if isinstance(condition, n.Logic) and condition.operator == "and":
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    return [condition]


def _disjuncts(condition) -> list:
    if isinstance(condition, n.Logic) and condition.operator == "or":
        return _disjuncts(condition.left) + _disjuncts(condition.right)
    return [condition]


def _is_zero_money(expr) -> bool:
    return isinstance(expr, n.Money) and expr.value == 0


def _children(node) -> Iterator:
    for name in getattr(node, "__attrs_attrs__", ()):
        value = getattr(node, name.name)
        if isinstance(value, tuple):
            yield from (v for v in value if hasattr(v, "span"))
        elif hasattr(value, "span") and not isinstance(value, str):
            yield value


def zero_when_unknown(body) -> Iterator[tuple[str, object]]:
    """(the fact shown, the span of its `known`) for each `if` in `body` that
    gives £0 when that fact is unknown."""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Conditional):
            if _is_zero_money(node.otherwise):  # `known(X)` a conjunct: unknown X takes the else
                for part in _conjuncts(node.condition):
                    if isinstance(part, n.Call) and part.function == "known" and part.arguments:
                        yield _show(part.arguments[0]), part.span
            if _is_zero_money(node.then):  # `not known(X)` a disjunct: unknown X takes the then
                for part in _disjuncts(node.condition):
                    if isinstance(part, n.Not) and isinstance(part.operand, n.Call) \
                            and part.operand.function == "known" and part.operand.arguments:
                        yield _show(part.operand.arguments[0]), part.span
        stack.extend(reversed(list(_children(node))))


def money_zero_when_unknown(checked, files: set[str]) -> Iterator[Diagnostic]:
    for name, forms in checked.library.forms.items():
        for form in forms:
            term = form.term
            if not isinstance(term, n.DefineDecl) or form.layer.file not in files:
                continue
            if checked.term_types.get(name) != t.MONEY:
                continue
            for fact, span in zero_when_unknown(term.body):
                yield Diagnostic(
                    "W-MONEY-001", f"`{name}` is £0 when `{fact}` is unknown: the result shows "
                    "£0.00 as certain, and impact no change", span, severity="warning",
                    hint=f"let an unknown `{fact}` make the value unknown: test the fact itself, "
                         f"not `known({fact})` (a date: `if {fact} <= as_of then ... else £0`), "
                         "or give a fact that says the money is not due")


#: The lint warnings: (code, check(checked library, files named) -> diagnostics).
