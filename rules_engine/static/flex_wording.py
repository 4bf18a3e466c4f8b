"""The words of local flexibility: a permission, a bound, who allows what.

What vary-check, `show --flexible`, the catalogue and the flexibility
diagnostics say about an envelope's `allow` (`describe_permission`), a bound
(`describe_bound`) and a national term's own clause (`flex_note`).
"""

from __future__ import annotations

from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic, Related
from rules_engine.static.forms import show_literal

#: What a permission lets a local layer do, by kind: (as a noun phrase, "adding
#: rows to T", for the envelope that decided a variation; as a verb, "add rows
#: to T", for the list of powers); any other kind is its name and target.
_PERMISSION_VERBS = {
    "retire rows": ("retiring rows of {target}", "retire rows of {target}"),
    "add rows": ("adding rows to {target}", "add rows to {target}"),
    "add requirement": ("adding local requirements", "add local requirements"),
    "cap rows": ("at most {cap} live rows in {target}", "keep at most {cap} live rows in {target}"),
}


def describe_permission(allow: n.AllowDecl, *, as_verb: bool = False) -> str:
    """A permission in words: "retiring rows of qof_indicators within the
    budget of their `points`, for the subjects opted in by `...`" (or, with
    `as_verb`, "retire rows of ..."): vary-check, the catalogue and `show`."""
    words = _PERMISSION_VERBS.get(allow.kind)
    cap = show_literal(allow.bound.high) if allow.kind == "cap rows" else None
    if words is not None:
        text = words[as_verb].format(target=allow.target or "", cap=cap)
    else:
        text = f"{allow.kind} {allow.target}" if allow.target else allow.kind
    if allow.bound is not None and cap is None:
        text += f" {describe_bound(allow.bound)}"
    if allow.marking is not None:
        text += f" (kept, marked `{allow.marking}`)"
    if allow.budget is not None:
        text += f" within the budget of their `{allow.budget}`"
    if allow.opted_in is not None:
        text += f", for the subjects opted in by `{'.'.join(allow.opted_in)}`"
    if allow.keeping is not None:
        text += f", keeping `{'.'.join(allow.keeping)}` as a way to pass"
    for protected in allow.protecting:
        text += f", protecting `{protected.text}`"
    for bounded in allow.columns:
        text += f", with `{bounded.column}` {describe_bound(bounded.bound)}"
    return text


def provisional_note(allow: n.AllowDecl) -> str:
    return f" (provisional: {allow.provisional.reason})" if allow.provisional else ""


def describe_bound(bound: n.Bound | None) -> str:
    if bound is None:
        return "(any value)"
    if bound.kind == "between":
        return f"between {show_literal(bound.low)} and {show_literal(bound.high)}"
    if bound.kind == "at_least":
        return f"at least {show_literal(bound.low)}"
    return f"at most {show_literal(bound.high)}"


def term_word(kind) -> str:
    return {n.ParameterDecl: "parameter", n.RequirementDecl: "requirement", n.TableDecl: "table",
            n.DefineDecl: "definition"}.get(kind.term_kinds[0], "term") if kind.term_kinds else "term"


def flex_note(form, envelope) -> Related:
    own = form.describe_flexibility()
    if own == "locked":
        return Related(form.term.span, f"`{form.name}` ({form.clause}): the contract itself "
                                       "allows no local change")
    return Related(form.term.span, f"`{form.name}` is {own} ({form.clause})")


def because_missing(decl, what: str) -> Diagnostic:
    return Diagnostic("E-LAYER-005", f"{what} gives no reason", decl.span,
                      hint='every variation says why: add `because "..."`')


def because_empty(because: n.Because) -> Diagnostic:
    """E-LAYER-005 for `because ""`: the one rule of `lint`, `check` and `vary-check`."""
    return Diagnostic("E-LAYER-005", "this reason is empty", because.span,
                      hint='say why the ICB makes this change: `because "Sparse rural '
                           'geography; agreed by the primary care committee"`')

