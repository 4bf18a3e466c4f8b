"""The generated backend: a checked program as one Python module, built as an
`ast` tree (`codegen`), compiled once, run in a namespace that holds only the
run-time helpers (`runtime.HELPERS`) and the module's constants.

The module has a function per definition (`d0`, `d1`, ... in dependency
order, each worked out once per subject and key, remembering whether it read
a local layer's change), a function per requirement (its `where`, waivers,
`must`, `unless` and warnings, deciding as the reference backend decides),
and the subject loops: `decisions` and `values` answer the backend protocol
for a whole arrangement. `why` asks `value_of` for one expression, compiled
on first use the same way.

The module's functions are made from the compiled module's code objects
(`types.FunctionType` with the helpers as their globals); the module body
itself is never run, and there is no `exec`. The one `compile()` is of an
`ast.Module` built here, whose every name is generated and every rule-file
value a constant.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import gc
import types
from typing import Any

from rules_engine.backends.closure_runner import CLOSURES, ClosureRunner
from rules_engine.backends.codegen import Function, Generator, _attr, _call, _is, _is_unknown, _load, _store
from rules_engine.backends.protocol import EXEMPT, NOT_IN_FORCE, NOT_SELECTED, WAIVED, Decision, Value
from rules_engine.backends.runtime import HELPERS, Env, opted_in
from rules_engine.base.pyast import LOAD, STORE, located
from rules_engine.base.values import FactRecord, Unknown
from rules_engine.ir import operations as ops
from rules_engine.ir.checked import CheckedProgram
from rules_engine.syntax import nodes as n
from rules_engine.syntax.walk import descendants

#: How a generated module's file name begins: each statement carries its
#: rule file's line and column, and each module its own name (`module_name`).
FILENAME = "<generated "


def module_name(checked: CheckedProgram) -> str:
    """`<generated national 2024-04-01>`: the module's layer and the first day
    of its period, so that a profile tells one program's functions from
    another's (`pstats` keeps one entry per file, line and function name)."""
    layer = (checked.local_layer or "national")[:80]
    return f"{FILENAME}{layer if layer.isprintable() else repr(layer)} {checked.period[0].isoformat()}>"


def _return(*values: ast.expr) -> ast.Return:
    return ast.Return(ast.Tuple(list(values), LOAD))


class ModuleBuilder(Generator):
    """The functions of the module: definitions, requirements, subject loops."""

    def function(self, name: str, span, args=("E",)) -> Function:
        self.fn = Function(self, name, span)
        self.fn_args = list(args)
        return self.fn

    def done(self) -> ast.FunctionDef:
        built = self.fn.finish(self.fn_args)
        self.module.functions.append(built)
        self.fn = None
        return built

    # -- definitions ------------------------------------------------------------

    def memo_key(self, name: str, fn) -> ast.expr:
        """A definition's memo key: its name, the subject record's identity and its key."""
        needed = self.checked.define_scopes.get(name, ())
        if not needed:
            return ast.Constant(name)
        parts = [ast.Constant(name), _call(_load("id"), ast.Subscript(fn.bindings(), ast.Constant(needed[0]),
                                                                    LOAD))]
        if len(needed) == 2:
            parts.append(ast.Subscript(fn.bindings(), ast.Constant(needed[1]), LOAD))
        return ast.Tuple(parts, LOAD)

    def define(self, name: str) -> None:
        """A definition's function: its value worked out once per subject (and
        key) and memoised. One that may rest on a comparison decided over a
        declared range (`ir.ranged`) memoises `(value, what it did not need)`:
        working it out, what the comparisons it reads add to the log
        `E.unneeded` from where it began; read again, that added once more
        (nothing to do when it needed everything)."""
        define = self.program.defines[name]
        tracks = name in self.checked.resolving
        fn = self.function(self.define_names[name], define.term.span)
        fn.emit(ast.Assign([_store("k")], self.memo_key(name, fn)))
        fn.emit(ast.Assign([_store("M")], _attr(_load("E"), "memo")))
        local_flag = _attr(_load("E"), "local_rows")
        store_flag = ast.Attribute(_load("E"), "local_rows", STORE)
        log = _attr(_load("E"), "unneeded")
        begin = [ast.Assign([_store("L")], log), ast.Assign([_store("n")], _call(_load("len"), _load("L")))]

        def remembered(value: ast.expr) -> ast.expr:  # what the memo holds
            if not tracks:
                return value
            added = ast.Subscript(_load("L"), ast.Slice(_load("n"), None, None), LOAD)
            return ast.Tuple([value, _call(_load("tuple"), added)], LOAD)

        def read_again(entry: ast.expr) -> list[ast.stmt]:  # a memo hit: its value (and what it did not need)
            if not tracks:
                return [ast.Return(entry)]
            unneeded = ast.Subscript(_load("v"), ast.Constant(1), LOAD)
            fetch = [] if isinstance(entry, ast.Name) and entry.id == "v" else [ast.Assign([_store("v")], entry)]
            return [*fetch,
                    ast.If(unneeded, [ast.Expr(_call(_attr(log, "extend"), unneeded))], []),
                    ast.Return(ast.Subscript(_load("v"), ast.Constant(0), LOAD))]
        if self.checked.local_rows:
            memo_k = ast.Subscript(_load("M"), _load("k"), LOAD)
            fn.emit(ast.Assign([_store("lk")], ast.Tuple([ast.Constant("local rows"), _load("k")], LOAD)))
            memo_lk = ast.Subscript(_load("M"), _load("lk"), LOAD)
            fn.emit(ast.If(ast.Compare(_load("lk"), [ast.In()], [_load("M")]),
                           [ast.Assign([store_flag], ast.BoolOp(ast.Or(), [local_flag, memo_lk])),
                            *read_again(memo_k)], []))
            fn.emit(ast.Assign([_store("o")], local_flag))
            fn.emit(ast.Assign([store_flag], ast.Constant(False)))
            if tracks:
                for statement in begin:
                    fn.emit(statement)
            value = self.once(name, define)
            fn.emit(ast.Assign([ast.Subscript(_load("M"), _load("k"), STORE)], remembered(value)))
            fn.emit(ast.Assign([ast.Subscript(_load("M"), _load("lk"), STORE)], local_flag))
            fn.emit(ast.Assign([store_flag], ast.BoolOp(ast.Or(), [_load("o"), local_flag])))
            fn.emit(ast.Return(value))
        elif tracks:
            fn.emit(ast.Assign([_store("v")], _call(_attr(_load("M"), "get"), _load("k"))))
            fn.emit(ast.If(_is(_load("v"), ast.Constant(None), negated=True), read_again(_load("v")), []))
            for statement in begin:
                fn.emit(statement)
            value = self.once(name, define)
            fn.emit(ast.Assign([ast.Subscript(_load("M"), _load("k"), STORE)], remembered(value)))
            fn.emit(ast.Return(value))
        else:
            fn.emit(ast.Assign([_store("v")], _call(_attr(_load("M"), "get"), _load("k"), _load("MISSING"))))
            fn.block()
            value = self.once(name, define)
            fn.emit(ast.Assign([ast.Subscript(_load("M"), _load("k"), STORE), _store("v")], value))
            body = fn.end()
            fn.emit(ast.If(_is(_load("v"), _load("MISSING")), body, []))
            fn.emit(ast.Return(_load("v")))
        self.done()

    def inline(self, name: str, span) -> ast.Name:
        """A definition read in one place only, out of any loop, worked out
        there rather than called: the same statements its function runs, with
        the same reads, unknowns and local flag, without a call or a memo (its
        function stays, for `why`)."""
        value = self.once(name, self.program.defines[name])
        return value if isinstance(value, ast.Name) else self.fn.assign(value, span)

    def once(self, name: str, define) -> ast.expr:
        """A definition's value; for one that is the same for every arrangement
        of the program (`ir.fold`: it reads no facts, no date, no subject; a
        sum over a table), worked out by the first arrangement that reads it
        and kept in the runner with whether it read a local change, as the
        reference backend keeps it (`closures.once`)."""
        if not self.checked.is_constant(name) or name in self.checked.resolving:
            return self.define_body(define)
        fn = self.fn
        kept = self.const({})  # this program's, as K holds it
        cached = fn.assign(_call(_attr(kept, "get"), ast.Constant(name)))
        flag = _attr(_load("E"), "local_rows")
        store_flag = ast.Attribute(_load("E"), "local_rows", STORE)
        outer = fn.tmp()
        fn.block()
        fn.emit(ast.Assign([_store(outer)], flag))
        fn.emit(ast.Assign([store_flag], ast.Constant(False)))
        value = self.define_body(define)
        fn.emit(ast.Assign([ast.Subscript(kept, ast.Constant(name), STORE), _store(cached.id)],
                           ast.Tuple([value, flag], LOAD)))
        fn.emit(ast.Assign([store_flag], _load(outer)))
        body = fn.end()
        fn.emit(ast.If(_is(cached, ast.Constant(None)), body, []))
        fn.emit(ast.If(ast.Subscript(cached, ast.Constant(1), LOAD), [ast.Assign([store_flag],
                                                                                      ast.Constant(True))], []))
        return fn.assign(ast.Subscript(cached, ast.Constant(0), LOAD))

    def define_body(self, define) -> ast.expr:
        fn = self.fn
        replaced = define.replaced_by
        if replaced is None:
            value = self.expr(define.term.body)
        elif define.opted_in is None:
            value = self.expr(replaced.value)
        else:
            result = fn.tmp()
            fn.block()
            fn.emit(ast.Assign([ast.Attribute(_load("E"), "local_rows", STORE)], ast.Constant(True)))
            fn.emit(ast.Assign([_store(result)], self.expr(replaced.value)))
            local = fn.end()
            fn.block()
            fn.emit(ast.Assign([_store(result)], self.expr(define.term.body)))
            national = fn.end()
            from_runtime = self.const(opted_in(define.opted_in))
            fn.emit(ast.If(_call(from_runtime, _load("E")), local, national))
            value = _load(result)
        rounding = define.term.rounding
        if rounding is not None:
            value = fn.assign(_call(self.const(ops.rounder(rounding)), value))
        return value

    # -- requirements -----------------------------------------------------------

    def requirement(self, index: int, requirement) -> None:
        term = requirement.term
        fn = self.function(f"r{index}", term.span)
        if term.where is not None:
            where = self.expr(term.where)
            fn.emit(ast.If(_is(where, ast.Constant(False)),
                           [_return(_load("NA"), _empty(), _empty(), ast.Constant(NOT_SELECTED))], []))
            fn.emit(ast.If(_is_unknown(where),
                           [_return(_load("UNKNOWN"), _call(_load("lacking"), where), _empty(), ast.Constant(None))],
                           []))
        waived = _return(_load("NA"), _empty(), _empty(), ast.Constant(WAIVED))
        for waiver in requirement.waivers:
            if waiver.where is None:
                fn.emit(waived)
                break
            fn.emit(ast.If(_is(self.expr(waiver.where), ast.Constant(True)), [waived], []))
        holds = self.expr(term.must) if term.must is not None else self.const(Unknown())
        if not isinstance(holds, ast.Name):
            holds = fn.assign(holds)
        exempt = None  # no `unless`: never exempt
        if term.unless is not None:
            exempt = fn.assign(ast.Constant(None))
            fn.block()
            fn.emit(ast.Assign([_store(exempt.id)], self.expr(term.unless)))
            body = fn.end()
            fn.emit(ast.If(_is(holds, ast.Constant(True), negated=True), body, []))
        warnings: ast.expr = _empty()
        if term.warnings:
            warnings = fn.assign(ast.List([], LOAD))
            for warning in term.warnings:
                condition = self.expr(warning.condition)
                fn.emit(ast.If(_is(condition, ast.Constant(True)),
                               [ast.Expr(_call(_attr(warnings, "append"), ast.Constant(warning.message)))], []))
            warnings = fn.assign(_call(_load("tuple"), warnings))
        fn.emit(ast.If(_is(holds, ast.Constant(True)),
                       [_return(_load("PASS"), _empty(), warnings, ast.Constant(None))], []))
        failed = [_return(_load("FAIL"), _empty(), warnings, ast.Constant(None))]
        if exempt is None:
            fn.emit(ast.If(_is(holds, ast.Constant(False)), failed, []))
            fn.emit(_return(_load("UNKNOWN"), _call(_load("lacking"), holds), warnings, ast.Constant(None)))
            self.done()
            return
        fn.emit(ast.If(_is(exempt, ast.Constant(True)),
                       [_return(_load("PASS"), _empty(), warnings, ast.Constant(EXEMPT))], []))
        fn.emit(ast.If(ast.BoolOp(ast.And(), [_is(holds, ast.Constant(False)), ast.BoolOp(ast.Or(), [
            _is(exempt, ast.Constant(None)), _is(exempt, ast.Constant(False))])]), failed, []))
        fn.emit(_return(_load("UNKNOWN"), _call(_load("lacking"), holds, exempt), warnings, ast.Constant(None)))
        self.done()

    # -- the subject loops ---------------------------------------------------------

    def decisions(self) -> None:
        fn = self.function("decisions", None, ("E", "instances", "D"))
        fn.emit(ast.Assign([_store("out")], ast.List([], LOAD)))
        fn.emit(ast.Assign([_store("A")], _attr(_load("out"), "append")))
        subjects = Subjects()
        for index, requirement in enumerate(self.program.requirements):
            fn.block()
            append = _load("A")
            if requirement.in_force:
                fn.emit(ast.Assign([ast.Attribute(_load("E"), "bindings", STORE)], _attr(_load("I"), "bindings")))
                fn.emit(ast.Assign([ast.Attribute(_load("E"), "local_rows", STORE)], ast.Constant(False)))
                decided = ast.Starred(_call(_load(f"r{index}"), _load("E")), LOAD)
                extra = []
                if requirement.id in self.checked.resolving:  # what it did not need (`ir.ranged`)
                    fn.emit(ast.Assign([ast.Attribute(_load("E"), "unneeded", STORE)], ast.List([], LOAD)))
                    extra = [_unneeded()]
                fn.emit(ast.Expr(_call(append, _call(_load("D"), ast.Constant(index), _load("I"), decided,
                                                     _attr(_load("E"), "local_rows"), *extra))))
            else:
                fn.emit(ast.Expr(_call(append, _call(_load("D"), ast.Constant(index), _load("I"), _load("NA"),
                                                     _empty(), _empty(), ast.Constant(NOT_IN_FORCE),
                                                     ast.Constant(False)))))
            body = fn.end()
            fn.emit(ast.For(_store("I"), subjects.of(requirement.term.scope), body, [], None), requirement.term.span)
        fn.emit(ast.Return(_load("out")))
        subjects.fetch(self)
        self.done()

    def values(self) -> None:
        keyed: dict[str, str] = {}
        for name, define in self.program.defines.items():
            scope = define.term.scope
            if define.term.report is not None and define.in_force and scope is not None \
                    and scope.key_collection is not None:
                keyed[name] = f"k{len(keyed)}"
                self.function(keyed[name], scope.span)
                self.fn.emit(ast.Return(self.expr(scope.key_collection)))
                self.done()
        fn = self.function("values", None, ("E", "instances", "V"))
        fn.emit(ast.Assign([_store("out")], ast.List([], LOAD)))
        fn.emit(ast.Assign([_store("A")], _attr(_load("out"), "append")))
        append = _load("A")
        subjects = Subjects()
        bindings = ast.Attribute(_load("E"), "bindings", STORE)
        flag = ast.Attribute(_load("E"), "local_rows", STORE)
        for name, define in self.program.defines.items():
            if define.term.report is None or not define.in_force:
                continue
            scope = define.term.scope
            tracks = name in self.checked.resolving  # what it did not need (`ir.ranged`)
            extra = [_unneeded()] if tracks else []
            reset = [ast.Assign([ast.Attribute(_load("E"), "unneeded", STORE)], ast.List([], LOAD))] \
                if tracks else []
            # One no other term reads is worked out here, its body in the loop:
            # no call, no memo (nothing reads it again).
            direct = name in self.unread
            targets = [bindings, _store("B")] if direct else [bindings]
            fn.block(barrier=True)
            if name not in keyed:
                fn.emit(ast.Assign(targets, _attr(_load("I"), "bindings")))
                fn.emit(ast.Assign([flag], ast.Constant(False)))
                for statement in reset:
                    fn.emit(statement)
                value = self.once(name, define) if direct else _call(_load(self.define_names[name]), _load("E"))
                fn.emit(ast.Expr(_call(append, _call(_load("V"), ast.Constant(name), _load("I"), ast.Constant(None),
                                                     value, _attr(_load("E"), "local_rows"), *extra))))
            else:
                variable = ast.Constant(scope.key_variable)
                fn.emit(ast.Assign(targets, _call(_load("dict"), _attr(_load("I"), "bindings"))))
                fn.emit(ast.Assign([_store("keys")], _call(_load(keyed[name]), _load("E"))))
                fn.emit(ast.If(_is_unknown(_load("keys")), [ast.Continue()], []))
                fn.emit(ast.If(_call(_load("isinstance"), _load("keys"),
                                     ast.Tuple([_load("frozenset"), _load("set")], LOAD)),
                               [ast.Assign([_store("keys")], ast.Call(_load("sorted"), [_load("keys")],
                                                                      [ast.keyword("key", _load("str"))]))], []))
                fn.block(barrier=True)  # the key's: its value changes
                fn.emit(ast.Assign([ast.Subscript(_attr(_load("E"), "bindings"), variable, STORE)], _load("key")))
                fn.emit(ast.Assign([flag], ast.Constant(False)))
                for statement in reset:
                    fn.emit(statement)
                value = self.once(name, define) if direct else _call(_load(self.define_names[name]), _load("E"))
                fn.emit(ast.Expr(_call(append, _call(_load("V"), ast.Constant(name), _load("I"),
                                                     ast.Tuple([variable, _load("key")], LOAD), value,
                                                     _attr(_load("E"), "local_rows"), *extra))))
                fn.emit(ast.For(_store("key"), _load("keys"), fn.end(), [], None))
            body = fn.end()
            fn.emit(ast.For(_store("I"), subjects.of(scope), body, [], None), define.term.span)
        fn.emit(ast.Return(_load("out")))
        subjects.fetch(self)
        self.done()

    def expression(self, name: str, node) -> None:
        """A function working out one expression (what `why` asks for)."""
        self.function(name, node.span)
        self.fn.emit(ast.Return(self.expr(node)))
        self.done()


def reads(checked: CheckedProgram) -> dict[str, int]:
    """How many places of the program read each definition (its terms,
    replacements, requirements and waivers; none of `why`'s questions)."""
    program, names = checked.program, checked.names
    roots: list = []
    for define in program.defines.values():
        roots.append(define.term)
        if define.replaced_by is not None:
            roots.append(define.replaced_by.value)
    for requirement in program.requirements:
        roots.append(requirement.term)
        roots.extend(waiver.where for waiver in requirement.waivers if waiver.where is not None)
    counts: dict[str, int] = {}
    for node in descendants(roots):
        if type(node) is n.Name:
            resolved = names.get(id(node))
            if resolved is not None and resolved.target in program.defines:
                counts[resolved.target] = counts.get(resolved.target, 0) + 1
    return counts


def read_once(checked: CheckedProgram, counts: dict[str, int]) -> frozenset[str]:
    """The definitions in force read in one place of the program, and not
    reported (the subject loop reads those): each is worked out where it is
    read (`ModuleBuilder.inline`)."""
    defines = checked.program.defines
    return frozenset(name for name, count in counts.items() if count == 1 and defines[name].term.report is None)


def unread(checked: CheckedProgram, counts: dict[str, int]) -> frozenset[str]:
    """The reported definitions in force that no term reads: the subject loop
    of `values` is the one place each is worked out, so it works each out
    there, without a call or a memo."""
    return frozenset(name for name, define in checked.program.defines.items()
                     if define.term.report is not None and define.in_force and not counts.get(name))


class Subjects:
    """The subject instances a subject loop reads, asked of `instances` once
    per subject at the top of the function (they depend on the scope's
    subject alone: `backends.protocol.Instances`)."""

    def __init__(self):
        self.names: dict[str | None, tuple[str, Any]] = {}  # subject -> (variable, a scope of it)

    def of(self, scope) -> ast.Name:
        subject = scope.subject if scope is not None else None
        if subject not in self.names:
            self.names[subject] = (f"s{len(self.names)}", scope)
        return _load(self.names[subject][0])

    def fetch(self, builder: "ModuleBuilder") -> None:
        builder.fn.blocks[0][0:0] = [ast.Assign([_store(name)], _call(_load("instances"), builder.const(scope)))
                                     for name, scope in self.names.values()]


def _empty() -> ast.Tuple:
    return ast.Tuple([], LOAD)


def _unneeded() -> ast.IfExp:
    """What a result did not need: `unneeded(E)` when the log holds any, else ()."""
    return ast.IfExp(_attr(_load("E"), "unneeded"), _call(_load("unneeded"), _load("E")), _empty())


@contextlib.contextmanager
def _uncollected():
    """No cyclic garbage collection while a module is built and compiled: the
    tree is some 50,000 new nodes for the national library, none of them
    garbage until compiled, and each collection they set off walks the whole
    heap of a running process (the loaded library, results) to find none;
    that was over half of building the tree. Collection resumes after, as it
    was (a caller that turned it off keeps it off)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class GeneratedRunner:
    """A checked program compiled to one generated module.

    The `ast` tree is dropped once compiled: a process holds a program per
    local layer in force (an England run, one per ICB layer), and the tree
    is the larger part of each (some 8 MB of nodes for the national library).
    `tree` builds the same module again, for inspection."""

    def __init__(self, checked: CheckedProgram):
        self.checked = checked
        self.namespace: dict[str, Any] = {"__builtins__": {}, **HELPERS}
        with _uncollected():
            self.builder = self._module(checked)
            self.build(self.builder.module.functions)
        self._decisions, self._values = self.namespace["decisions"], self.namespace["values"]
        self._expressions: dict[int, Any] = {}
        self._shared: Env | None = None  # the last decisions' Env, until its values are asked for
        self._expression_nodes: list = []  # in the order compiled, for `tree`

    @staticmethod
    def _module(checked: CheckedProgram) -> ModuleBuilder:
        builder = ModuleBuilder(checked)
        counts = reads(checked)
        builder.inlined, builder.unread = read_once(checked, counts), unread(checked, counts)
        for name in checked.define_order:
            builder.define(name)
        for index, requirement in enumerate(checked.program.requirements):
            if requirement.in_force:
                builder.requirement(index, requirement)
        builder.decisions()
        builder.values()
        return builder

    @property
    def tree(self) -> ast.Module:
        """The generated module, built again as it was compiled (the builder is
        deterministic), with the expression functions `value_of` compiled since."""
        builder = self._module(self.checked)
        for index, node in enumerate(self._expression_nodes):
            builder.expression(f"e{index}", node)
        return located(ast.Module(builder.module.functions, []))

    def build(self, functions: list[ast.FunctionDef]) -> None:
        """The one compile: an `ast.Module` of generated functions, whose code
        objects become functions over the helpers' namespace (the module body
        is never run). The functions' trees are let go once compiled."""
        module = located(ast.Module(list(functions), []))
        code = compile(module, module_name(self.checked), "exec")
        self.namespace["K"] = tuple(self.builder.module.constants)
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                self.namespace[constant.co_name] = types.FunctionType(constant, self.namespace, constant.co_name)
        self.builder.module.functions.clear()

    def decisions(self, facts: FactRecord, as_of: dt.date, instances, tracer=None, make=Decision):
        if tracer is not None:
            raise TypeError("the generated backend does not trace: explain runs the closure backend")
        env = self._shared = Env(facts, as_of)  # kept for the values of the same facts and date
        return self._decisions(env, instances, make)

    def values(self, facts: FactRecord, as_of: dt.date, instances, tracer=None, make=Value):
        """The values; after the decisions of the same facts and date (as the
        evaluation loop asks), with the definitions they worked out (the memo
        is of values that depend on the facts, the date and the subject alone)."""
        if tracer is not None:
            raise TypeError("the generated backend does not trace: explain runs the closure backend")
        env, self._shared = self._shared, None
        if env is None or env.root is not facts or env.as_of != as_of:
            env = Env(facts, as_of)
        return self._values(env, instances, make)

    def scope(self, facts: FactRecord, as_of: dt.date, bindings: dict) -> Env:
        env = Env(facts, as_of)
        env.bindings = dict(bindings)
        return env

    def value_of(self, node, scope: Env) -> Any:
        function = self._expressions.get(id(node))
        if function is None:
            name = f"e{len(self._expressions)}"
            with _uncollected():
                self.builder.expression(name, node)
                self.build(self.builder.module.functions)
            self._expression_nodes.append(node)
            function = self._expressions[id(node)] = self.namespace[name]
        return function(scope)


class GeneratedBackend:
    """The default backend: generated Python, built as an `ast` tree."""

    name = "generated"

    def compile(self, checked: CheckedProgram, traced: bool = False) -> GeneratedRunner | ClosureRunner:
        """A generated runner; the closure backend's, with a `note` saying
        why, for a program whose module CPython cannot build or compile (a
        very deeply nested expression: RecursionError or MemoryError)."""
        if traced:
            raise TypeError("the generated backend does not trace: explain runs the closure backend")
        try:
            return GeneratedRunner(checked)
        except (RecursionError, MemoryError) as error:
            runner = CLOSURES.compile(checked)
            runner.note = (f"the generated backend could not compile this program ({type(error).__name__}: "
                           "nested too deeply); it runs through the closure backend, with the same results")
            return runner


GENERATED = GeneratedBackend()
