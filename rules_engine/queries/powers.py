"""What a local layer may change on a date: `show --flexible`, and the
flexibility part of a static `explain`.

Input: a library and a date. Output: `Powers`, one `Power` per thing a local
layer may do to a national term (vary, waive, replace requirement, replace
value, add rows, retire rows) or may add (local requirements), grouped by
national contract: its bounds, budget, who must opt in, what a replacement
must keep, the national term's clause and who grants it (the contract's own
clause, or the flexibility envelope in force, with that permission's
reference and provisional mark).

Who grants what follows `flexibility.FLEXIBILITY_KINDS` and the order
`flexibility` judges in: a term's own clause (`flexible`, `waivable`,
`replaceable`, `extensible`) first, else the envelope's `allow`. A date past
the national contracts takes the latest national terms (as vary-check does),
and says so; the envelope is always the one in force on the date itself.

>>> from rules_engine.program.loaded import LoadedLibrary
>>> import datetime as dt
>>> powers = powers_on(LoadedLibrary.load().library, dt.date(2025, 6, 1))
>>> powers.envelope.name
'todays_powers'
>>> [p.kind for p in powers.powers_over("min_pcn_population")]
['vary']
"""

from __future__ import annotations

import datetime as dt
import textwrap
import attrs

from rules_engine.syntax import nodes as n
from rules_engine.static.flexibility import FLEXIBILITY_KINDS, Envelope, describe_bound, describe_permission
from rules_engine.static.forms import value_on
from rules_engine.static.forms import Form, show_literal
from rules_engine.static.library import Library

_TERM_KIND = {n.ParameterDecl: "parameter", n.RequirementDecl: "requirement", n.TableDecl: "table",
              n.DefineDecl: "definition"}


@attrs.frozen
class Power:
    """One change a local layer may make, and who grants it."""

    kind: str  # a FLEXIBILITY_KINDS name
    target: str | None  # the national term (None: local requirements, which name none)
    term_kind: str | None  # parameter | requirement | table | definition
    contract: str | None  # the national contract layer the term belongs to
    clause: str | None  # the national term's clause
    allows: str  # in words: "vary min_pcn_population between 20000 and 30000"
    national_value: str | None = None  # a parameter's national value on the date
    bounds: str | None = None
    budget: str | None = None  # the conserved column rows are added within
    opted_in: str | None = None  # the fact that says which subjects take part
    keeping: str | None = None  # the condition a replacement must keep
    granted_by: str = "envelope"  # contract | envelope | library (one without envelopes)
    envelope: str | None = None
    reference: str | None = None  # the permission's own `ref`
    provisional: str | None = None
    file: str | None = None  # where the term (or the permission) is written
    line: int | None = None
    protecting: tuple[str, ...] = ()  # the floors a replacement must still demand
    column_bounds: tuple[str, ...] = ()  # "lower between 20% and 89%": bounds on added rows' cells

    @property
    def grantor(self) -> str:
        """`envelope todays_powers`, or `the contract itself (Network Contract DES 2025/26 §4.1.1)`."""
        if self.granted_by == "contract":
            return "the contract itself" + (f" ({self.clause})" if self.clause else "")
        if self.granted_by == "library":
            return "the rule library, which has no flexibility envelopes"
        return f"envelope {self.envelope}"

    def as_json(self) -> dict:
        data = {"kind": self.kind, "target": self.target, "term_kind": self.term_kind,
                "contract": self.contract, "clause": self.clause, "allows": self.allows,
                "granted_by": self.granted_by, "envelope": self.envelope}
        for key in ("national_value", "bounds", "budget", "opted_in", "keeping", "reference",
                    "provisional"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        for key in ("protecting", "column_bounds"):
            if getattr(self, key):
                data[key] = list(getattr(self, key))
        if self.file is not None:
            data["where"] = f"{self.file}:{self.line}"
        return data


@attrs.frozen
class EnvelopeShown:
    """The flexibility envelope in force on the date."""

    name: str
    title: str
    period: str
    source: str | None
    file: str

    def as_json(self) -> dict:
        return {"name": self.name, "title": self.title, "period": self.period, "source": self.source,
                "file": self.file}


@attrs.frozen
class ContractPowers:
    """The powers over one national contract's terms."""

    contract: str
    title: str
    file: str
    powers: tuple[Power, ...]

    def as_json(self) -> dict:
        return {"contract": self.contract, "title": self.title, "file": self.file,
                "powers": [p.as_json() for p in self.powers]}


@attrs.frozen
class Powers:
    """Everything a local layer may change on one date."""

    as_of: dt.date
    envelope: EnvelopeShown | None
    contracts: tuple[ContractPowers, ...]
    general: tuple[Power, ...]  # powers that name no national term (local requirements)
    terms_note: str | None = None  # the national terms are not those in force on the date

    def powers_over(self, target: str) -> tuple[Power, ...]:
        return tuple(p for group in self.contracts for p in group.powers if p.target == target)

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(),
                "envelope": self.envelope.as_json() if self.envelope else None,
                "terms_note": self.terms_note,
                "contracts": [c.as_json() for c in self.contracts],
                "general": [p.as_json() for p in self.general]}

    to_dict = as_json

    def render(self, width: int = 80) -> str:
        lines = [f"What a local layer may change on {self.as_of}"]
        if self.envelope is not None:
            e = self.envelope
            lines += _wrapped(f"envelope in force: {e.name}, {e.title} ({e.period}; {e.file})", width, "")
            if e.source:
                lines += _wrapped(f"source: {e.source}", width, "  ")
        else:
            lines += _wrapped(f"no flexibility envelope is in force on {self.as_of}: only what the "
                              "contracts themselves allow", width, "")
        if self.terms_note:
            lines += _wrapped(f"note: {self.terms_note}", width, "")
        count = sum(len(c.powers) for c in self.contracts) + len(self.general)
        lines.append(f"{count} power{'s' if count != 1 else ''}")
        for group in self.contracts:
            lines += ["", f"{group.contract}: {group.title} ({group.file})"]
            for power in group.powers:
                lines += render_power(power, width)
        if self.general:
            lines += ["", "any contract: local terms of the layer's own"]
            for power in self.general:
                lines += render_power(power, width)
        return "\n".join(lines) + "\n"


def render_power(power: Power, width: int, indent: str = "  ") -> list[str]:
    head = power.allows
    if power.national_value is not None:
        head += f" (national value {power.national_value})"
    out = _wrapped(head, width, indent, indent + "    ")
    deeper = indent + "    "
    said = f"granted by {power.grantor}"
    if power.granted_by == "envelope" and power.clause:
        said += f"; clause: {power.clause}"
    out += _wrapped(said, width, deeper, deeper + "  ")
    if power.reference:
        out += _wrapped(f"ref: {power.reference}", width, deeper, deeper + "  ")
    if power.provisional:
        out += _wrapped(f"provisional: {power.provisional}", width, deeper, deeper + "  ")
    return out


def _wrapped(text: str, width: int, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(text, max(width, 40), initial_indent=first,
                         subsequent_indent=rest if rest is not None else first + "  ",
                         break_on_hyphens=False, break_long_words=False) or [first.rstrip()]


# ------------------------------------------------------------------ building

def terms_day(library: Library, day: dt.date) -> tuple[dt.date, str | None]:
    """The date whose national terms apply: `day`, or (before or past the
    contracts) their nearest day, with a note saying so."""
    contracts = library.contracts
    carried = library.carried_on(day)
    if carried:  # a provisional period carries the contracts forward (carry.py)
        return day, (f"the national terms on {day} are provisional: {carried[0].carrier} carries "
                     f"{', '.join(c.layer for c in carried)} forward from {carried[0].last_day}")
    if not contracts or any(l.in_force(day) for l in contracts):
        return day, None
    starts = [l.period.start for l in contracts if l.period]
    ends = [l.period.end for l in contracts if l.period and l.period.end]
    if starts and day < min(starts):
        nearest = min(starts)
        which = "earliest"
    elif ends:
        nearest = max(ends)
        which = "latest"
    else:
        return day, None
    return nearest, (f"no national contract is in force on {day}; the {which} national terms "
                     f"({library.coverage()}) are shown")


def envelope_shown(envelope: Envelope | None) -> EnvelopeShown | None:
    if envelope is None:
        return None
    return EnvelopeShown(envelope.name, envelope.title,
                         envelope.period.describe() if envelope.period else "always",
                         envelope.layer.header.source, envelope.layer.file)


def national_form(library: Library, name: str, day: dt.date) -> Form | None:
    """The national form of a term on `day` (else its latest)."""
    forms = [f for f in library.forms.get(name, ()) if not f.layer.is_local
             and not f.layer.header.is_envelope]
    if not forms:
        return None
    in_force = [f for f in forms if f.in_force(day)]
    return (in_force or forms)[-1]


def powers_of(form: Form, envelope: Envelope | None, day: dt.date) -> list[Power]:
    """What a local layer may do to one national term on `day`: per kind of
    flexibility, the term's own clause, else the envelope's permission."""
    term = form.term
    found = []
    for kind in FLEXIBILITY_KINDS:
        if not kind.term_kinds or not isinstance(term, kind.term_kinds):
            continue
        clause = form.layer.clause(term.reference, day)
        value = None
        if isinstance(term, n.ParameterDecl) and kind.name == "vary":
            literal = value_on(term, day)
            if literal is None and term.dated_values:
                literal = term.dated_values[-1].value
            value = show_literal(literal) if literal is not None else None
        own = next((f for f in form.flexibility if f.kind == kind.contract_clause), None) \
            if kind.contract_clause else None
        if own is not None:
            found.append(Power(
                kind.name, form.name, _TERM_KIND.get(type(term)), form.layer.name, clause,
                _contract_words(kind.name, form.name, own), value,
                describe_bound(own.bound) if own.bound is not None else None,
                granted_by="contract", file=form.layer.file, line=own.span.line))
            continue
        allow = envelope.allow(kind.name, form.name) if envelope is not None else None
        if allow is not None:
            found.append(_from_allow(allow, envelope, form, clause, value))
    return found


def _contract_words(kind: str, target: str, flex: n.Flexibility) -> str:
    if kind == "vary":
        return f"vary {target} " + (describe_bound(flex.bound) if flex.bound is not None else "(any value)")
    return {"waive": f"waive {target} (with a reason)", "add rows": f"add rows to {target}"}.get(
        kind, f"{kind} {target}")


def _from_allow(allow: n.AllowDecl, envelope: Envelope, form: Form | None, clause: str | None,
                value: str | None) -> Power:
    return Power(
        allow.kind, allow.target, _TERM_KIND.get(type(form.term)) if form is not None else None,
        form.layer.name if form is not None else None, clause, describe_permission(allow, as_verb=True), value,
        describe_bound(allow.bound) if allow.bound is not None else None,
        allow.budget, ".".join(allow.opted_in) if allow.opted_in else None,
        ".".join(allow.keeping) if allow.keeping else None, "envelope", envelope.name,
        allow.reference.text if allow.reference else None,
        allow.provisional.reason if allow.provisional else None, envelope.layer.file, allow.span.line,
        tuple(p.text for p in allow.protecting),
        tuple(f"{b.column} {describe_bound(b.bound)}" for b in allow.columns))


def powers_on(library: Library, day: dt.date) -> Powers:
    """Every power a local layer has on `day`, grouped by national contract."""
    envelope = library.envelope_on(day)
    day_of_terms, note = terms_day(library, day)
    groups = []
    for contract in library.national:
        if contract.header.is_envelope:
            continue
        names = [d for d in contract.syntax.declarations if type(d) in _TERM_KIND]
        powers: list[Power] = []
        seen = set()
        for decl in names:
            name = decl.id if isinstance(decl, n.RequirementDecl) else decl.name
            if name in seen:
                continue
            seen.add(name)
            form = national_form(library, name, day_of_terms)
            if form is None or form.layer is not contract or not form.in_force(day_of_terms):
                continue  # a term not in force on the date gives a local layer nothing to change
            powers += powers_of(form, envelope, day_of_terms)
        if powers:
            groups.append(ContractPowers(contract.name, contract.header.title, contract.file, tuple(powers)))
    general = tuple(_from_allow(a, envelope, None, None, None) for a in
                    (envelope.permissions if envelope is not None else ()) if a.target is None)
    if not library.envelopes:  # a library without envelopes lets local requirements be added
        general = (Power("add requirement", None, None, None, None, "add local requirements",
                         granted_by="library"),)
    return Powers(day, envelope_shown(envelope), tuple(groups), general, note)


def powers_for_terms(library: Library, names, day: dt.date) -> list[Power]:
    """The powers over each of `names` (a term and what it reads), in that order."""
    envelope = library.envelope_on(day)
    day_of_terms, _ = terms_day(library, day)
    out: list[Power] = []
    for name in names:
        form = national_form(library, name, day_of_terms)
        if form is not None:
            out += powers_of(form, envelope, day_of_terms)
    return out
