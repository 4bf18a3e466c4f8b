"""Every node under a node, walked with an explicit stack (any depth, no recursion)."""

from __future__ import annotations

from typing import Iterator

import attrs


def descendants(root) -> Iterator[object]:
    """The node itself and every node below it (fields, tuples of nodes), spans left out."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(reversed(node))
        elif attrs.has(type(node)):
            yield node
            stack.extend(getattr(node, f.name) for f in reversed(attrs.fields(type(node))) if f.name != "span")
