"""The closure backend: a checked program's expressions as Python closures.

Input: a `CheckedProgram`. Output: closures, plain functions of an `Env` (the
arrangement's facts, the names bound to the subject, the date), one per
expression; `closure_runner` runs them over subjects. Nothing from a rule
file is ever passed to `eval` or `exec`: each node becomes a closure over the
closures of its children. This is the reference backend, and the one that
traces (`explain`): with `Env.trace` set, the closures record each fact,
parameter, table row and definition they read.

What the folding pass (`ir.fold`) worked out becomes a constant; a
definition for `each KEY in ...` is compiled once per key it meets, with the
key known, so that `qof_indicators[code].points` is a number by the time an
arrangement is read. A traced compile folds nothing, so that it reads every
parameter and row as it goes.

Three-valued throughout: a missing fact reads as `Unknown(missing=...)`,
arithmetic and comparisons pass it on, and `and`/`or`/`every`/`any` follow
Kleene's logic (`base.values`).
"""

from __future__ import annotations

from typing import Any, Callable

from rules_engine.backends import closure_facts as facts
from rules_engine.backends.closure_facts import MISSING, TraceEvent, literal, opted_in
from rules_engine.backends import runtime
from rules_engine.backends.runtime import Env, fact, no_value
from rules_engine.base import recursion
from rules_engine.base import typesys as t
from rules_engine.base.values import (Unknown, kleene_and, kleene_not, kleene_or, merge_unknown,
    ranges_cover, unknown_because)
from rules_engine.ir import operations as ops
from rules_engine.ir.checked import CheckedProgram
from rules_engine.ir.fold import NOT_STATIC, Known
from rules_engine.static.forms import value_on
from rules_engine.syntax import nodes as n

Closure = Callable[["Env"], Any]


def rounded(closure: Closure, rounding: n.Rounding) -> Closure:
    """A definition's value rounded as its `rounded to` clause says; an
    unknown passes through."""
    def round_value(env):
        return ops.rounded(closure(env), rounding)
    return round_value


class Compiler(facts.FactReads):
    """Closures for one checked program (`fold`: use what the folding pass
    worked out; a traced compile does not)."""

    def __init__(self, checked: CheckedProgram, fold: bool = True, probe=None):
        self.checked = checked
        self.probe = probe  # protocol.Probe: a coverage run's recorder, or None
        self.program = checked.program
        self.fold = fold
        self.known: Known = ()  # keys known while compiling (a keyed definition's key)
        self.types = checked.types
        self.names = checked.names
        self.define_closures: dict[str, Closure] = {}
        self.closures: dict[int, Closure] = {}  # node id -> closure, outside any known key
        self.local_layer = checked.local_layer
        self.local_rows = checked.local_rows

    # -- dispatch ------------------------------------------------------------

    def expr(self, node) -> Closure:
        if self.fold:
            value = self.checked.static_value(node, self.known)
            if value is not NOT_STATIC:
                closure = literal(value)
                if not self.known:
                    self.closures[id(node)] = closure
                return closure
        closure = getattr(self, "c_" + type(node).__name__)(node)
        if not self.known:
            self.closures[id(node)] = closure
        return closure

    def closure_of(self, node) -> Closure:
        """An expression's closure as `expr` made it (made now if it was folded away)."""
        closure = self.closures.get(id(node))
        if closure is None:
            closure = self.with_known((), lambda: self.expr(node))
        return closure

    def with_known(self, known: Known, compile_: Callable[[], Closure]) -> Closure:
        saved, self.known = self.known, known
        try:
            return compile_()
        finally:
            self.known = saved

    def by_key(self, body, variable: str) -> Closure:
        """A keyed definition's body, compiled for each key the first time it is met."""
        bodies: dict[Any, Closure] = {}

        def for_key(env):
            key = env.bindings[variable]
            compiled = bodies.get(key)
            if compiled is None:
                compiled = bodies[key] = self.with_known(((variable, key),), lambda: self.expr(body))
            return compiled(env)
        return for_key

    def constant(self, node) -> Any:
        """The value of a literal (parameter values and table cells)."""
        return self.expr(node)(None)

    # -- literals ------------------------------------------------------------

    def c_Number(self, node):
        return literal(ops.literal(node))

    c_Quantity = c_Money = c_Percent = c_DateLiteral = c_TimeLiteral = c_IntervalLiteral = c_Number
    c_Text = c_Boolean = c_Number

    # -- names ---------------------------------------------------------------

    def c_Name(self, node):
        resolved = self.names[id(node)]
        name = resolved.target
        if resolved.kind == "binding":
            known = dict(self.known)
            if name in known:
                return literal(known[name])
            return lambda env: env.bindings[name]
        if resolved.kind == "member":
            return lambda env: name
        if resolved.kind == "as_of":
            return lambda env: env.as_of
        if resolved.kind == "fact":
            return lambda env: fact(env, name)
        if resolved.kind == "param":
            return self.parameter(name, node.span)
        if resolved.kind == "table":
            return self.table_keys(name)
        return self.define(name)

    def binding_name(self, node) -> str | None:
        """The name, when a node reads a bound name (a subject or a loop variable)."""
        return self.checked.binding_name(node, self.known)

    def parameter(self, name: str, span) -> Closure:
        param = self.program.parameters.get(name)
        if param is None or param.value is None:
            return no_value(name, span)
        value = self.constant(param.value)
        national = None
        if param.varied_by is not None:
            national_node = value_on(param.form.term, self.program.as_of)
            national = self.constant(national_node) if national_node is not None else None
        detail = {"layer": param.layer}
        if national is not None:
            detail["national"] = national
        if param.assumed is not None:
            detail["assumed"] = param.assumed.origin

        def read_parameter(env):
            if env is not None and env.trace is not None:
                env.trace.append(TraceEvent("parameter", name, value, detail))
            return value
        return read_parameter

    def define(self, name: str) -> Closure:
        needed = self.checked.define_scopes.get(name, ())
        compiled = self.define_closures

        # A definition is worked out once per subject record (and key): the
        # subject binding is a record, compared by identity; a key by value.
        if not needed:
            def memo_key(env):
                return name
        elif len(needed) == 1:
            (subject,) = needed

            def memo_key(env):
                return (name, id(env.bindings[subject]))
        else:
            subject, key_variable = needed

            def memo_key(env):
                bindings = env.bindings
                return (name, id(bindings[subject]), bindings[key_variable])

        def evaluate_define(env):
            key = memo_key(env)
            memo = env.memo
            value = memo.get(key, MISSING)
            if value is MISSING:
                value = memo[key] = compiled[name](env)
            if env.trace is not None:
                env.trace.append(TraceEvent("definition", name, value))
            return value

        if self.local_rows:
            # A memoised value remembers whether it read a locally added row,
            # so that every result using it can say so.
            def evaluate_define(env, plain=evaluate_define):
                key = ("local rows", memo_key(env))
                if key in env.memo:
                    env.local_rows = env.local_rows or env.memo[key]
                    return plain(env)
                outer, env.local_rows = env.local_rows, False
                value = plain(env)
                env.memo[key] = env.local_rows
                env.local_rows = outer or env.local_rows
                return value

        if name in self.checked.resolving:
            # It may rest on a comparison decided over a declared range: each
            # result reading it names the unknowns it did not need.
            def evaluate_define(env, plain=evaluate_define):
                return runtime.tracked(env, memo_key(env), plain)

        if name not in compiled:
            compiled[name] = lambda env: unknown_because("no-definition", f"definition {name}")
            define = self.program.defines.get(name)
            if define is not None:
                national = self.define_body(name, define.term.body, needed)
                replaced = define.replaced_by
                if replaced is None:
                    compiled[name] = national
                elif define.opted_in is None:
                    compiled[name] = self.define_body(name, replaced.value, needed)
                else:
                    local, opted = self.define_body(name, replaced.value, needed), opted_in(define.opted_in)

                    def replaced_for_opted_in(env, local=local, opted=opted, national=national):
                        if opted(env):
                            env.local_rows = True  # the local formula is a local change read
                            return local(env)
                        return national(env)
                    compiled[name] = replaced_for_opted_in
        return evaluate_define

    def define_body(self, name: str, body, needed) -> Closure:
        keyed = self.fold and len(needed) == 2
        closure = self.by_key(body, needed[1]) if keyed else self.expr(body)
        define = self.program.defines.get(name)
        rounding = define.term.rounding if define is not None else None
        if rounding is not None:
            closure = rounded(closure, rounding)
        if keyed:
            return closure
        return self.once(closure) if self.checked.is_constant(name) else closure

    @staticmethod
    def once(body: Closure) -> Closure:
        cache: list = []  # [value, whether working it out read a local change]

        def constant(env):
            if not cache:
                outer, env.local_rows = env.local_rows, False
                cache.extend((body(env), env.local_rows))
                env.local_rows = outer
            if cache[1]:
                env.local_rows = True
            return cache[0]
        return constant

    # -- arithmetic ----------------------------------------------------------

    def c_SetLiteral(self, node):
        items = [self.expr(i) for i in node.items]

        def make_set(env):
            values = [i(env) for i in items]
            if ops.any_unknown(*values):
                return merge_unknown(*values)
            return frozenset(values)
        return make_set

    def c_Negate(self, node):
        operand = self.expr(node.operand)

        def negate(env):
            value = operand(env)
            return value if type(value) is Unknown else -value
        return negate

    def c_Arithmetic(self, node):
        """A chain `a + b - c ...` becomes one closure that works along it in a
        loop: the same order of reads, the same unknowns, as nested pairs."""
        spine = n.chain(node)
        if len(spine) == 1:
            return self._binary(self.expr(node.left), self.expr(node.right), self.operation(node),
                                node.operator == "/")
        first = self.expr(spine[-1].left)
        steps = tuple((self.operation(link), self.expr(link.right)) for link in reversed(spine))

        def along(env):
            a = first(env)
            for operation, right in steps:
                b = right(env)
                if type(a) is Unknown or type(b) is Unknown:
                    a = merge_unknown(a, b)
                else:
                    a = operation(a, b)
            return a
        return along

    def operation(self, node) -> Callable[[Any, Any], Any]:
        """What one arithmetic node does with two known values (`ir.operations`)."""
        return ops.arithmetic(node.operator, self.types[id(node.left)], self.types[id(node.right)], node.span)

    @staticmethod
    def _binary(left, right, operation, divides: bool = False):
        constant = getattr(right, "constant", MISSING)
        if constant is not MISSING and type(constant) is not Unknown and not (
                divides and constant == 0):
            def binary_constant(env):
                a = left(env)
                if type(a) is Unknown:
                    return a
                return operation(a, constant)
            return binary_constant

        def binary(env):
            a, b = left(env), right(env)
            if type(a) is Unknown or type(b) is Unknown:
                return merge_unknown(a, b)
            return operation(a, b)
        return binary

    def c_Call(self, node):
        """A built-in function (`static.builtins.BUILTINS`)."""
        builtin = self.checked.builtins[node.function]
        args = [self.expr(a) for a in node.arguments]
        function = builtin.implementation
        if not builtin.strict:  # `known`
            (arg,) = args
            return getattr(arg, "is_known", None) or (lambda env: function(arg(env)))
        if builtin.takes_span:
            span = node.span
            function = (lambda f: lambda *values: f(span, *values))(function)
        return self._apply(args, function)

    @staticmethod
    def _apply(args, function):
        if len(args) == 1:
            (arg,) = args

            def apply_one(env):
                value = arg(env)
                return value if type(value) is Unknown else function(value)
            return apply_one

        def apply(env):
            values = [a(env) for a in args]
            if ops.any_unknown(*values):
                return merge_unknown(*values)
            return function(*values)
        return apply

    # -- comparisons and logic -----------------------------------------------

    def c_Compare(self, node):
        holds = ops.COMPARE[node.operator]
        left, right = self.expr(node.left), self.expr(node.right)
        ranged = self.checked.declared_range(node)
        if ranged is None:
            return self._binary(left, right, holds)
        side, low, high, shape = ranged.side, ranged.low, ranged.high, ranged.shape
        leaves = [self.expr(leaf) for leaf in ranged.leaves]  # arithmetic over ranged reads: its operands

        def compare_ranged(env):  # an unknown side may not be needed (`ir.ranged`)
            a, b = left(env), right(env)
            if type(a) is Unknown or type(b) is Unknown:
                return runtime.settle(env, a, b, holds, side, low, high, shape, [leaf(env) for leaf in leaves])
            return holds(a, b)
        return compare_ranged

    def c_Logic(self, node):
        """`a and b and c ...` (or a chain of `or`): one closure that tries each
        side in turn and stops at the first that decides; Kleene logic for
        unknowns, as nested pairs would give."""
        spine = n.chain(node)
        sides = [self.expr(spine[-1].left)] + [self.expr(link.right) for link in reversed(spine)]
        deciding, neutral = (False, True) if node.operator == "and" else (True, False)
        if self.fold:
            # A side that is known when compiling may decide, or drop out.
            constants = [getattr(side, "constant", MISSING) for side in sides]
            if any(c is deciding for c in constants):
                return literal(deciding)
            sides = [side for side, c in zip(sides, constants) if c is not neutral]
            if not sides:
                return literal(neutral)
        if len(sides) == 1:
            return sides[0]
        combine = kleene_and if node.operator == "and" else kleene_or
        first, rest = sides[0], tuple(sides[1:])

        def logic(env):
            a = first(env)
            for side in rest:
                if a is deciding:
                    return a
                a = combine(a, side(env))
            return a
        return logic

    def c_Not(self, node):
        operand = self.expr(node.operand)
        return lambda env: kleene_not(operand(env))

    def c_Covers(self, node):
        return self._binary(self.expr(node.times), self.expr(node.required), ranges_cover)

    def c_Within(self, node):
        return self._binary(self.expr(node.inner), self.expr(node.outer), ops.within(self.types[id(node.inner)]))

    def probed(self, role: str, node, closure: Closure) -> Closure:
        """`closure`, recording each value it gives when a probe is set (coverage)."""
        if self.probe is None:
            return closure
        record = self.probe.point(role, node)

        def recorded(env):
            value = closure(env)
            record(value)
            return value
        return recorded

    def c_Conditional(self, node):
        condition = self.probed("if", node.condition, self.expr(node.condition))
        decided = getattr(condition, "constant", MISSING)
        if decided is True:
            return self.expr(node.then)
        if decided is False:
            return self.expr(node.otherwise)
        if type(decided) is Unknown:
            return condition
        then, otherwise = self.expr(node.then), self.expr(node.otherwise)

        def conditional(env):
            c = condition(env)
            if c is True:
                return then(env)
            if c is False:
                return otherwise(env)
            return c
        return conditional

    def c_Quantified(self, node):
        collection = self.expr(node.collection)
        variable, quantifier = node.variable, node.quantifier
        if variable in dict(self.known):  # the loop's variable hides a known key of the same name
            body = self.with_known(tuple((k, v) for k, v in self.known if k != variable),
                                   lambda: self.expr(node.body))
        else:
            body = self.expr(node.body)
        collection_type = self.types[id(node.collection)]
        iterate_keys = isinstance(collection_type, t.MapOf)
        # A set's own order is the hash seed's: walk it in a fixed one (an
        # enum's declared order, else sorted), so traces and explanations are
        # the same from run to run.
        order = _set_order(collection_type)

        def quantified(env):
            items = collection(env)
            if type(items) is Unknown:
                return items
            bindings = env.bindings
            saved = bindings.get(variable, MISSING)
            results = []
            path = getattr(items, "path", "")
            if isinstance(items, (frozenset, set)):
                items = sorted(items, key=order)
            for index, item in enumerate(items if not iterate_keys else list(items)):
                if item is None:
                    results.append(Unknown(frozenset((f"{path}[{index}]",))))
                    continue
                bindings[variable] = item
                results.append(body(env))
            if saved is MISSING:
                bindings.pop(variable, None)
            else:
                bindings[variable] = saved
            return ops.combine(quantifier, results)
        return quantified


def _set_order(type_) -> Callable:
    """The key that walks a set of `type_` in a fixed order."""
    element = getattr(type_, "element", None)
    members = getattr(element, "members", None)
    if members:
        rank = {member: index for index, member in enumerate(members)}
        return lambda item: (rank.get(item, len(rank)), str(item))
    return lambda item: (type(item).__name__, str(item))


def compile_program(checked: CheckedProgram, fold: bool = True, probe=None) -> Compiler:
    recursion.ensure()  # compiling, and evaluating what it gives, recurse per level and definition
    return Compiler(checked, fold, probe)
