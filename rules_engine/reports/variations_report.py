"""The terminal report of `vary-check`: the verdict first, then each variation.

Layout, for an ICB deciding whether a proposed layer can be agreed: one
summary line (permitted or refused, how many variations are permitted, the
envelope they were judged under, and each budget with its figures), then the
layer's file, date and envelope; then each variation, the refused ones
first (in line order), with the national term and clause, the national and
proposed values, the reason given and what decided it. Lines are wrapped at
`width` (80 by default, `$COLUMNS` from the CLI), as `check`'s text is, so the
report fits an 80- or 120-column terminal and a piped file alike.

The terms the layer declares for its own use (facts, parameters,
definitions) are not variations: they are listed last, apart.

The diagnostics of a refused variation (caret, national term) are not
repeated here: the CLI prints them on stderr.
"""

from __future__ import annotations

from rules_engine.base.values import Outcome
from rules_engine.queries.variations import VariationVerdict, VaryCheck
from rules_engine.reports.text_report import DEFAULT_WIDTH, _Writer
from rules_engine.base.numbers import money as pounds


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(result: VaryCheck, label=lambda outcome, text: text) -> str:
    """`qmm (ICB QMM): permitted; 3 of 3 variations permitted under the envelope
    todays_powers` and each budget's verdict with its figures; `label` styles
    the verdict."""
    verdicts = result.verdicts
    allowed = sum(1 for v in verdicts if v.permitted)
    verdict = label(Outcome.PASS if result.permitted else Outcome.FAIL,
                    "permitted" if result.permitted else "refused")
    text = f"{result.layer} (ICB {result.icb}): {verdict}; "
    if verdicts:
        text += f"{allowed} of {_plural(len(verdicts), 'variation')} permitted"
    else:
        text += "no variations"
    if result.envelope is not None:
        text += (f" under the envelope {result.envelope.name}" if verdicts else
                 f"; the envelope in force is {result.envelope.name}")
    else:
        text += " (no flexibility envelope in force: the contracts' own flexibility only)"
    if result.other_diagnostics:
        text += f"; {_plural(len(result.other_diagnostics), 'problem')} in the layer"
    for budget in result.budgets:
        text += f"; budget of {budget.table} ({budget.column}): {budget.describe()}"
    for cap in result.caps:
        text += f"; cap on {cap.table}: {cap.describe()}"
    if result.analysis is not None:
        text += f"; {result.analysis.cone.summary().split(':')[0]}"
    return text


def _variation(out: _Writer, v: VariationVerdict) -> None:
    outcome = Outcome.PASS if v.permitted else Outcome.FAIL
    label = out.label(outcome, "permitted" if v.permitted else "REFUSED")
    head = f"{label} line {v.line}: {v.kind} {v.target}"
    if not v.permitted:
        head += f" ({v.verdict})"
    out.add(head, hang="    ")
    national = v.clause or ""
    if v.national_value:
        national += ("; " if national else "") + v.national_value
    if v.flexibility:
        national += f" (the contract's own flexibility: {v.flexibility})"
    fields = (("national", national), ("proposed", v.proposed), ("reason", v.because or "(none given)"),
              ("decided by", v.permission), ("provisional", v.provisional))
    for name, text in fields:
        if text:
            out.add(f"{name}: {text}", indent="  ", hang="    ")


def _analysis(out: _Writer, result: VaryCheck) -> None:
    """What the layer could change, and for whom, with the witnesses."""
    analysis = result.analysis
    out.blank()
    if analysis is None:
        if result.analysis_note:
            out.add(f"analysis: none ({result.analysis_note})", hang="  ")
        return
    cone = analysis.cone
    out.add(f"what it could change on {analysis.as_of} (against the national terms alone): "
            f"{cone.summary()}", hang="  ")
    if cone.changes:
        out.add("changes: " + ", ".join(c.describe() for c in cone.changes), indent="  ", hang="    ")
    if analysis.bounds:
        out.add(f"facts held to the bounds in {analysis.bounds}", indent="  ", hang="    ")
    for flip in analysis.flips:
        out.add(f"{flip.requirement}: {flip.describe()}", indent="  ", hang="    ")
        for question in flip.questions:
            if question.witness is None:
                continue
            out.add(f"witness ({question.direction}), an arrangement:", indent="    ", hang="      ")
            if question.checked:
                out.add(question.checked, indent="      # ", hang="      # ")
            out.lines += ["      " + line for line in question.witness_yaml.splitlines()]
    for value in cone.values:
        out.add(f"value {value.id}: reads {', '.join(value.because_of)}", indent="  ", hang="    ")
    for budget in analysis.budgets:
        _budget(out, budget)
    for question in analysis.populations:
        _population(out, question)


def _population(out: _Writer, question) -> None:
    """A population term the cone reaches: one member's largest increase, the
    total's given the stated members, and the witness."""
    def shown(amount) -> str:
        return pounds(amount) if question.money else f"{amount:f}"
    head = (f"population {question.term} ({question.layer}, line {question.line}): the layer changes "
            f"{question.measure}, which it totals across {question.across}"
            + (f" (at most {shown(question.cap)})" if question.cap is not None else ""))
    out.add(head, indent="  ", hang="    ")
    if question.per_member is not None:
        largest = (f"the largest value per {question.subject} under the layer {shown(question.per_member_value)}; "
                   if question.per_member_value is not None else "")
        out.add(f"largest increase per {question.subject}: {shown(question.per_member)} ({largest}proved by the "
                f"solver)", indent="    ", hang="      ")
    if question.total_value is not None:
        low, high = question.members
        verdict = "" if question.exceeded is None else (
            "; the total CAN exceed its cap" if question.exceeded else "; the total cannot exceed its cap")
        out.add(f"with at most {high} {question.subject} members (stated): largest increase of the total "
                f"{shown(question.total_increase)}, largest total {shown(question.total_value)}{verdict}",
                indent="    ", hang="      ")
    if question.why:
        out.add(f"undecided: {question.why}" if question.per_member is None or question.total_value is None
                else question.why, indent="    ", hang="      ")
    if question.witness is not None:
        out.add(f"witness, an arrangement (one {question.subject}):", indent="    ", hang="      ")
        if question.checked:
            out.add(question.checked, indent="      # ", hang="      # ")
        out.lines += ["      " + line for line in question.witness_yaml.splitlines()]


def _budget(out: _Writer, budget) -> None:
    """A declared budget: the largest increase for one subject, its witness,
    and each added key's reach."""
    answer = budget.answer
    head = f"budget of {budget.table} ({budget.budget} {budget.unit} retired): "
    if answer is None or answer.largest_increase is None:
        out.add(head + f"largest increase undecided ({answer.why if answer else 'not searched'})",
                indent="  ", hang="    ")
        return
    verdict = "CAN exceed the budget" if answer.exceeded else "cannot exceed the budget"
    out.add(head + f"largest increase for one {budget.subject}: {answer.largest_increase} {budget.unit} "
            f"on {answer.measured} ({verdict}; a bounded search over each key's {budget.field} at 0, "
            f"100 % and every threshold)", indent="  ", hang="    ")
    for line in answer.reach:
        out.add(line, indent="    ", hang="      ")
    for key in answer.any_achievement:
        out.add(f"{key} earns its whole amount at any achievement: its thresholds ask nothing",
                indent="    ", hang="      ")
    in_pounds = answer.pounds
    if in_pounds is not None and in_pounds.largest_increase is not None:
        _pounds(out, budget, in_pounds)
        return
    if answer.money:
        out.add(f"money: {answer.money}", indent="    ", hang="      ")
    if in_pounds is not None:
        out.add(f"largest increase in pounds: unknown, lacking:", indent="    ", hang="      ")
        for line in in_pounds.lacking:
            out.add(line, indent="      ", hang="        ")
    if answer.witness is not None:
        out.add("witness, an arrangement:", indent="    ", hang="      ")
        if answer.checked:
            out.add(answer.checked, indent="      # ", hang="      # ")
        out.lines += ["      " + line for line in answer.witness_yaml.splitlines()]


def _pounds(out: _Writer, budget, in_pounds) -> None:
    """A budget's largest increase in pounds, what it rests on, its witness."""
    answer = budget.answer
    verdict = ("CAN pay more than the retired rows' worth" if in_pounds.exceeded
               else "cannot pay more than the retired rows' worth")
    out.add(f"in pounds: largest increase for one {budget.subject} {pounds(in_pounds.largest_increase)} on "
            f"{in_pounds.value}; the retired rows' worth there {pounds(in_pounds.budget)} ({verdict}; the "
            f"largest over each figure's range, every corner run by the evaluator)", indent="    ", hang="      ")
    for line in in_pounds.rests_on:
        out.add(f"rests on: {line}", indent="      ", hang="        ")
    for line in in_pounds.filled:
        out.add(f"filled: {line}", indent="      ", hang="        ")
    out.add("witness, an arrangement:", indent="    ", hang="      ")
    for line in (answer.checked, in_pounds.checked):
        if line:
            out.add(line, indent="      # ", hang="      # ")
    out.lines += ["      " + line for line in answer.as_json()["pounds_witness_yaml"].splitlines()]


def render(result: VaryCheck, width: int | None = None, color: bool = False) -> str:
    """The vary-check report as text, wrapped at `width` columns (80 by default)."""
    out = _Writer(width or DEFAULT_WIDTH, color)
    out.add(summary_line(result, out.label), hang="  ")
    out.add(f"{result.file}: local layer for ICB {result.icb}, extends {', '.join(result.extends)}; "
            f"national values as of {result.as_of}", indent="  ", hang="    ")
    envelope = result.envelope
    if envelope is not None:
        out.add(f"envelope {envelope.name} \u201c{envelope.title}\u201d ({envelope.period})",
                indent="  ", hang="    ")
    if result.terms_note:
        out.add(f"note: {result.terms_note}", indent="  ", hang="    ")
    if result.other_diagnostics:
        out.add("the problems of the layer are listed on stderr", indent="  ", hang="    ")
    refused = [v for v in result.verdicts if not v.permitted]
    permitted = [v for v in result.verdicts if v.permitted]
    for v in refused + permitted:
        out.blank()
        _variation(out, v)
    _analysis(out, result)
    if result.local_declarations:
        out.blank()
        out.add("local declarations (the layer's own terms, not variations):", hang="  ")
        for d in result.local_declarations:
            title = f": {d.title}" if d.title else ""
            out.add(f"line {d.line}: {d.kind} {d.name}{title}", indent="  ", hang="    ")
    return "\n".join(out.lines) + "\n"
