"""The closure backend's runner: the subject loop over the compiled closures,
answering the backend protocol (`protocol.Runner`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from rules_engine.backends import runtime
from rules_engine.backends.closures import Compiler, Env, compile_program
from rules_engine.backends.protocol import (EXEMPT, NOT_IN_FORCE, NOT_SELECTED, WAIVED, Decision, Instances,
    Probe, Tracer, Value)
from rules_engine.base.values import FactRecord, Outcome, Unknown
from rules_engine.ir.checked import CheckedProgram


def _missing(value) -> tuple[str, ...]:
    return value.lacking() if type(value) is Unknown else ()


#: The outcomes `decide` gives, read once (an enumeration's member as
#: `Outcome.PASS` is a lookup costing some 0.2 µs, on every decision).
_PASS, _FAIL, _UNKNOWN, _NA = Outcome.PASS, Outcome.FAIL, Outcome.UNKNOWN, Outcome.NOT_APPLICABLE


class ClosureRunner:
    """A checked program compiled to closures."""

    def __init__(self, checked: CheckedProgram, traced: bool = False, probe: Probe | None = None):
        self.checked = checked
        self.note: str | None = None  # why it runs in place of generated code, when it does
        program = checked.program
        compiler = self.compiler = compile_program(checked, fold=not traced, probe=probe)

        def condition(role, node):
            return compiler.probed(role, node, compiler.expr(node))
        self.defines = {}
        for name, define in program.defines.items():
            scope = define.term.scope
            key_collection = None
            if scope is not None and scope.key_collection is not None:
                key_collection = compiler.expr(scope.key_collection)
            self.defines[name] = (compiler.define(name), key_collection)
        self.requirements = []
        for requirement in program.requirements:
            term = requirement.term
            self.requirements.append((
                condition("where", term.where) if term.where is not None else None,
                condition("must", term.must) if term.must is not None else (lambda env: Unknown()),
                condition("unless", term.unless) if term.unless is not None else None,
                tuple((w.message, compiler.expr(w.condition)) for w in term.warnings),
                tuple(condition("waiver", w.where) if w.where is not None else None for w in requirement.waivers)))

    # -- the protocol -------------------------------------------------------------

    def decisions(self, facts: FactRecord, as_of: dt.date, instances: Instances,
                  tracer: Tracer | None = None, make=Decision) -> Iterator:
        env = Env(facts, as_of)
        resolving = self.checked.resolving
        for index, (requirement, compiled) in enumerate(zip(self.checked.program.requirements,
                                                            self.requirements)):
            scope = requirement.term.scope
            tracks = requirement.id in resolving
            for instance in instances(scope):
                if tracer is not None:
                    trace = tracer.begin("requirement", requirement.id, instance, None)
                    if trace is None:
                        continue
                    env = Env(facts, as_of, trace)
                env.bindings = instance.bindings  # quantifiers restore what they bind
                if tracer is not None:
                    env.bindings = dict(instance.bindings)
                env.local_rows = False
                if tracks:
                    env.unneeded = []
                outcome, missing, warnings, reason = self.decide(requirement, compiled, env)
                yield make(index, instance, outcome, missing, warnings, reason, env.local_rows,
                               runtime.unneeded(env) if tracks else ())

    @staticmethod
    def decide(requirement, compiled, env: Env) -> tuple:
        """(outcome, missing paths, warnings, reason) for one subject."""
        if not requirement.in_force:
            return _NA, (), (), NOT_IN_FORCE
        where, must, unless, warned, waivers = compiled
        if where is not None:
            selected = where(env)
            if selected is False:
                return _NA, (), (), NOT_SELECTED
            if type(selected) is Unknown:
                return _UNKNOWN, _missing(selected), (), None
        for waiver in waivers:
            if waiver is None or waiver(env) is True:
                return _NA, (), (), WAIVED
        holds = must(env)
        exempt = None
        if holds is not True and unless is not None:
            exempt = unless(env)
        warnings = tuple(message for message, condition in warned
                         if condition(env) is True) if warned else ()
        if holds is True:
            return _PASS, (), warnings, None
        if exempt is True:
            return _PASS, (), warnings, EXEMPT
        if holds is False and (exempt is None or exempt is False):
            return _FAIL, (), warnings, None
        missing = tuple(sorted(set(_missing(holds)) | set(_missing(exempt))))
        return _UNKNOWN, missing, warnings, None

    def values(self, facts: FactRecord, as_of: dt.date, instances: Instances,
               tracer: Tracer | None = None, make=Value) -> Iterator:
        env = Env(facts, as_of)
        for name, define in self.checked.program.defines.items():
            report = define.term.report
            if report is None or not define.in_force:
                continue
            body, key_collection = self.defines[name]
            scope = define.term.scope
            tracks = name in self.checked.resolving
            for instance in instances(scope):
                if key_collection is None:
                    if tracer is not None:
                        trace = tracer.begin("value", name, instance, None)
                        if trace is None:
                            continue
                        env = Env(facts, as_of, trace)
                    env.bindings = instance.bindings
                    env.local_rows = False
                    if tracks:
                        env.unneeded = []
                    value = body(env)
                    yield make(name, instance, None, value, env.local_rows,
                                runtime.unneeded(env) if tracks else ())
                    continue
                env.bindings = dict(instance.bindings)  # the key variable is bound below
                keys = key_collection(env)
                if type(keys) is Unknown:
                    continue
                if isinstance(keys, (frozenset, set)):  # a set's order is the hash seed's
                    keys = sorted(keys, key=str)
                for key in keys:
                    if tracer is not None:
                        trace = tracer.begin("value", name, instance, (scope.key_variable, key))
                        if trace is None:
                            continue
                        bindings, env = env.bindings, Env(facts, as_of, trace)
                        env.bindings = bindings
                    env.bindings[scope.key_variable] = key
                    env.local_rows = False
                    if tracks:
                        env.unneeded = []
                    value = body(env)
                    yield make(name, instance, (scope.key_variable, key), value, env.local_rows,
                                runtime.unneeded(env) if tracks else ())

    def scope(self, facts: FactRecord, as_of: dt.date, bindings: dict) -> Env:
        env = Env(facts, as_of)
        env.bindings = dict(bindings)
        return env

    def value_of(self, node, scope: Env) -> Any:
        return self.compiler.closure_of(node)(scope)


class ClosureBackend:
    """The reference backend, and the one that traces (`explain`)."""

    name = "closures"

    def compile(self, checked: CheckedProgram, traced: bool = False, probe: Probe | None = None) -> ClosureRunner:
        """A runner; with a `probe` (coverage), one that records every condition's value."""
        return ClosureRunner(checked, traced, probe)


CLOSURES = ClosureBackend()
__all__ = ["ClosureRunner", "ClosureBackend", "CLOSURES", "Compiler"]
