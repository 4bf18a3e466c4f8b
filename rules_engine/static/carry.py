"""Carry forward: a provisional national period after the contracts end.

A national contract may carry earlier contracts into its own period:

    national contract provisional_2026_27 "Provisional national terms, 2026/27"
      effective 2026-04-01 to 2027-03-31
      carries forward gms, qof
      provisional "2026/27 figure not published; 2025/26 carried forward as an assumption"

Over its period each carried contract stays in force with the terms it had
on its last day: a dated value, a table row or an `effective` period that
reached that day is repeated (or extended) over the carrying period (a date
value that is its own period's first or last day, such as the contract
year's start, is derived from the period: carried, it becomes the carrying
period's first or last day), unless
the carrying contract declares a term of the same name itself (its form then
supersedes the carried one: a 2026/27 figure). Terms that had ended before
the carried contract's last day stay ended.

Input: the lowered layers. Output: the same layers with each carried one
replaced by its carried form (new nodes made with `attrs.evolve`; spans stay
those of the declarations they repeat, so a note points at the 2025/26 text),
and a `Carry` per carried contract: what `marks` adds to every term read from
it on a carried date, the reason of the carrying contract.
Diagnostics: E-LAYER-018 (carries forward what is not a national contract in
the library), E-LAYER-019 (the carrying period does not start the day after
the carried contract's last day, or the carried contract has no last day).

>>> import datetime as dt
>>> from rules_engine.base.source import SourceFile
>>> from rules_engine.syntax.lower import lower
>>> from rules_engine.static.library import Layer
>>> def layer(text):
...     source = SourceFile("x.rules", text)
...     return Layer("x.rules", source, lower(source).layer)
>>> old = layer('national contract c "C"\\n  effective 2025-04-01 to 2026-03-31\\n'
...             'parameter p: count\\n  from 2025-04-01 to 2026-03-31 = 3\\n')
>>> new = layer('national contract c27 "C, 2026/27"\\n  effective 2026-04-01 to 2027-03-31\\n'
...             '  carries forward c\\n  provisional "carried as an assumption"\\n')
>>> layers, carried, problems = carry_forward([old, new])
>>> [str(v.period.describe()) for v in layers[0].syntax.declarations[0].dated_values]
['2025-04-01 to 2026-03-31', '2026-04-01 to 2027-03-31']
>>> carried["c"].on(dt.date(2026, 6, 1)), carried["c"].on(dt.date(2026, 3, 31))
(True, False)
"""

from __future__ import annotations

import datetime as dt

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic, Related, did_you_mean
from rules_engine.static.forms import Layer, contract_year

_TERMS = (n.ParameterDecl, n.TableDecl, n.DefineDecl, n.RequirementDecl)


@attrs.frozen
class Carry:
    """A national contract carried into a later, provisional period."""

    layer: str  # the carried contract
    carrier: str  # the contract that carries it
    last_day: dt.date  # the carried contract's own last day
    period: n.Period  # the carrying period
    reason: str  # why the carried terms are provisional there
    superseded: frozenset = frozenset()  # terms the carrier declares itself (not carried)

    def on(self, day: dt.date) -> bool:
        return self.period.contains(day)

    def mark(self, day: dt.date) -> str:
        return (f"{self.layer} carried into {contract_year(day)} by {self.carrier}: {self.reason}")


def carry_forward(layers: list) -> tuple[list, dict[str, Carry], list[Diagnostic]]:
    """The layers with every carried contract extended over its carrier's period."""
    by_name = {l.name: l for l in layers if not l.is_local and not l.header.is_envelope}
    carried: dict[str, Carry] = {}
    replaced: dict[str, object] = {}
    problems: list[Diagnostic] = []
    for carrier in layers:
        header = carrier.header
        names = getattr(header, "carries", ())
        if not names:
            continue
        period = header.effective
        at = header.carries_span or header.span
        reason = header.provisional.reason if header.provisional else \
            "terms carried forward from the previous year as an assumption"
        declared = _declared_terms(carrier)
        for name in names:
            old = by_name.get(name)
            if old is None or old is carrier:
                problems.append(Diagnostic(
                    "E-LAYER-018", f"`carries forward {name}`: `{name}` is not a national contract "
                    "in the library", at,
                    hint=did_you_mean(name, [k for k in by_name if k != carrier.name])
                    or "name the national contracts whose terms this period carries forward"))
                continue
            own = old.own_period
            if period is None or own is None or own.end is None \
                    or period.start != own.end + dt.timedelta(days=1):
                ends = f"ends {own.end}" if own is not None and own.end else "has no last day"
                problems.append(Diagnostic(
                    "E-LAYER-019", f"`{carrier.name}` carries `{name}` forward, but `{name}` {ends} "
                    f"and `{carrier.name}` " + (f"starts {period.start}" if period else "has no dates"),
                    at, related=(Related(old.header.span, f"`{name}` is declared here"),),
                    hint=(f"start the carrying period on {own.end + dt.timedelta(days=1)}, the day "
                          f"after `{name}` ends" if own is not None and own.end else
                          f"give `{name}` an `effective FROM to TO` period")))
                continue
            if name in carried:
                problems.append(Diagnostic(
                    "E-LAYER-018", f"`{name}` is carried forward twice (by `{carried[name].carrier}` "
                    f"and `{carrier.name}`)", at,
                    hint="carry each contract forward from one period only"))
                continue
            carried[name] = Carry(name, carrier.name, own.end, period, reason,
                                  frozenset(declared) & _declared_terms(old))
            replaced[name] = _carried_layer(old, own, period, declared, carried[name])
    return [replaced.get(l.name, l) if not l.is_local else l for l in layers], carried, problems


def _declared_terms(layer) -> set[str]:
    return {_term_name(d) for d in layer.syntax.declarations if isinstance(d, _TERMS)}


def _term_name(decl) -> str:
    return decl.id if isinstance(decl, n.RequirementDecl) else decl.name


def _carried_layer(layer, own: n.Period, period: n.Period, superseded: set[str], carry: Carry):
    """The layer with its terms carried; its header keeps its own dates (the
    layer's `period` adds the carrying period, see `Layer.period`)."""
    declarations = tuple(_carry_decl(d, own, period, superseded) for d in layer.syntax.declarations)
    syntax = attrs.evolve(layer.syntax, declarations=declarations)
    return Layer(layer.file, layer.source, syntax, carry)


def _carry_decl(decl, own: n.Period, period: n.Period, superseded: set[str]):
    if not isinstance(decl, _TERMS):
        return decl
    last = own.end
    if _term_name(decl) in superseded:  # the carrier's own form takes the carrying period
        return attrs.evolve(decl, effective=decl.effective or own)
    effective = decl.effective
    if effective is not None and not effective.contains(last):
        return decl  # ended before the contract's last day: not carried
    if effective is not None and effective.end is not None:
        decl = attrs.evolve(decl, effective=attrs.evolve(effective, end=period.end))
    if isinstance(decl, n.ParameterDecl) and decl.dated_values:
        extra = tuple(_carried_value(v, period) for v in decl.dated_values
                      if v.period.contains(last) and v.period.end is not None)
        decl = attrs.evolve(decl, dated_values=decl.dated_values + extra)
    elif isinstance(decl, n.TableDecl):
        decl = attrs.evolve(decl, rows=decl.rows + _carried_rows(decl, last, period))
    return decl


def _carried_value(value: n.DatedValue, period: n.Period) -> n.DatedValue:
    """A dated value repeated over the carrying period. A date that is its own
    period's first or last day (the contract year's start or end) is derived
    from the period, not a figure: carried, it is the carrying period's."""
    literal = value.value
    if isinstance(literal, n.DateLiteral) and literal.value in (value.period.start, value.period.end):
        day = period.start if literal.value == value.period.start else period.end
        literal = attrs.evolve(literal, value=day)
    return attrs.evolve(value, value=literal, period=attrs.evolve(value.period, start=period.start,
                                                                  end=period.end))


def _carried_rows(table: n.TableDecl, last: dt.date, period: n.Period) -> tuple[n.Row, ...]:
    """The dated rows in force on the last day, repeated over the carrying period."""
    columns = [c.name for c in table.columns]
    if "from" not in columns or "to" not in columns:
        return ()
    start_at, end_at = columns.index("from"), columns.index("to")
    rows = []
    for row in table.rows:
        cells = list(row.cells) + [None] * (len(columns) - len(row.cells))
        start, end = cells[start_at], cells[end_at]
        if not isinstance(end, n.DateLiteral):
            continue  # open-ended: already in force
        if (isinstance(start, n.DateLiteral) and start.value > last) or end.value < last:
            continue
        cells[start_at] = n.DateLiteral(start.span if start is not None else row.span, period.start)
        cells[end_at] = n.DateLiteral(end.span, period.end)
        rows.append(attrs.evolve(row, cells=tuple(cells)))
    return tuple(rows)
