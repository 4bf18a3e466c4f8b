"""The dependency graph between terms: cycles and chain lengths, worked out
without recursion.

Input: a graph as a mapping from a term's name to the names it reads (only
the terms that take part: parameters and definitions). Output: plain data,
the cycles found (each as the path that closes it) and, for a graph without
cycles, the longest chain of reads from each term. The type checker turns
them into diagnostics (E-NAME-003, E-LIMIT-005).

Both walks use an explicit stack, so a chain of any length (a fuzzer's
100,000 definitions, say) is measured and refused rather than crashing the
walk that measures it.

>>> find_cycles({"a": {"b"}, "b": {"a"}, "c": {"c"}, "d": {"a"}})
[['a', 'b', 'a'], ['c', 'c']]
>>> chain_lengths({"a": {"b"}, "b": {"c"}, "c": set()})["a"]
Chain(length=3, next='b')
"""

from __future__ import annotations

from typing import Callable, Mapping, Set

import attrs

Graph = Mapping[str, Set[str]]


def find_cycles(graph: Graph) -> list[list[str]]:
    """Each cycle once (by its members), as `[first, ..., first]`, found by a
    depth-first walk in sorted order so that the report is stable."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    found: list[list[str]] = []
    reported: set[frozenset] = set()
    for root in sorted(graph):
        if root in state:
            continue
        path: list[str] = [root]
        pending = [iter(sorted(graph.get(root, ())))]
        state[root] = 1
        while pending:
            step = next(pending[-1], None)
            if step is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if step not in graph:
                continue
            if state.get(step) == 1:
                cycle = path[path.index(step):]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    found.append(cycle + [step])
            elif step not in state:
                state[step] = 1
                path.append(step)
                pending.append(iter(sorted(graph.get(step, ()))))
    return found


@attrs.frozen
class Chain:
    """The longest chain of reads starting at a term: how many terms it
    passes through (the term itself included) and the term it reads next."""

    length: int
    next: str | None


def chain_lengths(graph: Graph, weight: Callable[[str, str], int] | None = None) -> dict[str, Chain]:
    """The longest chain from every term of an acyclic graph (terms on a
    cycle, which the cycle check reports, are left out). Each term counts
    one; with `weight`, a chain's length is instead the sum of
    `weight(reader, read)` along it (a term that reads nothing is 0)."""
    readers: dict[str, set[str]] = {name: set() for name in graph}
    waiting: dict[str, int] = {}
    for name, reads in graph.items():
        inside = {d for d in reads if d in graph and d != name}
        waiting[name] = len(inside)
        for dep in inside:
            readers[dep].add(name)
    ready = sorted(name for name, count in waiting.items() if count == 0)
    chains: dict[str, Chain] = {}
    while ready:
        name = ready.pop()
        best: Chain = Chain(1 if weight is None else 0, None)
        for dep in sorted(graph[name]):
            known = chains.get(dep)
            step = 1 if weight is None else weight(name, dep)
            if known is not None and known.length + step > best.length:
                best = Chain(known.length + step, dep)
        chains[name] = best
        for reader in readers[name]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    return chains


def chain_path(chains: Mapping[str, Chain], start: str) -> list[str]:
    """The names along the longest chain from `start`."""
    path = [start]
    while chains[path[-1]].next is not None:
        path.append(chains[path[-1]].next)
    return path
