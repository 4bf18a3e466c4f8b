"""Sequences that stay small in memory however long they grow.

Input: items appended one by one (a population run's changed arrangements, a
value's amounts over every subject). Output: the same items in the same
order, as often as asked, and for amounts their count, minimum, maximum and
exact median. The first `keep` items stay in memory; the rest are written,
one encoded line each, to an anonymous temporary file (`tempfile.TemporaryFile`:
it has no name, so a killed run leaves nothing behind, and only this process
reads what it wrote). Memory is bounded by `keep`, whatever the length.

>>> from decimal import ROUND_FLOOR, Decimal
>>> amounts = Amounts(keep=2)
>>> for text in ("0.5", "0.25", "1", "0.75"):
...     amounts.append(Decimal(text))
>>> len(amounts), amounts.minimum, amounts.maximum, amounts.median()
(4, Decimal('0.25'), Decimal('1'), Decimal('0.625'))
>>> list(amounts)
[Decimal('0.5'), Decimal('0.25'), Decimal('1'), Decimal('0.75')]
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import tempfile
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Callable, Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")

#: Items kept in memory before the rest goes to disk.
KEEP = 256
#: Amounts sorted in memory at once when an exact median needs the disk.
SORT_RUN = 1 << 16


class Spill(Generic[T]):
    """An append-only sequence: `keep` items in memory, the rest on disk as
    lines of `encode(item)` (text without a newline), read back with `decode`."""

    def __init__(self, encode: Callable[[T], str], decode: Callable[[str], T], keep: int = KEEP):
        self._encode, self._decode, self._keep = encode, decode, keep
        self._memory: list[T] = []
        self._file = None
        self._length = 0

    def append(self, item: T) -> None:
        self._length += 1
        if len(self._memory) < self._keep:
            self._memory.append(item)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")
        self._file.write(self._encode(item) + "\n")

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def __iter__(self) -> Iterator[T]:
        yield from self._memory
        if self._file is None:
            return
        self._file.flush()
        position = self._file.tell()
        self._file.seek(0)
        try:
            for line in self._file:
                yield self._decode(line[:-1])
        finally:
            self._file.seek(position)

    def __getitem__(self, index: slice) -> list[T]:
        if not isinstance(index, slice):
            raise TypeError("a Spill is read in order or by slice")
        return list(itertools.islice(self, *index.indices(self._length)))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Amounts(Spill[Decimal]):
    """Exact decimal amounts, with their minimum and maximum kept as they come
    and the median found by sorting runs of `SORT_RUN` and merging them."""

    def __init__(self, keep: int = KEEP):
        super().__init__(str, Decimal, keep)
        self.minimum: Decimal | None = None
        self.maximum: Decimal | None = None

    def append(self, item: Decimal) -> None:
        super().append(item)
        if self.minimum is None or item < self.minimum:
            self.minimum = item
        if self.maximum is None or item > self.maximum:
            self.maximum = item

    def extend(self, items) -> None:
        for item in items:
            self.append(item)

    def in_order(self) -> Iterator[Decimal]:
        """Every amount, smallest first."""
        if self._file is None:
            yield from sorted(self._memory)
            return
        runs = []
        try:
            stream = iter(self)
            while True:
                run = sorted(itertools.islice(stream, SORT_RUN))
                if not run:
                    break
                handle = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")
                handle.writelines(f"{amount}\n" for amount in run)
                handle.seek(0)
                runs.append(handle)
            yield from heapq.merge(*((Decimal(line) for line in handle) for handle in runs))
        finally:
            for handle in runs:
                handle.close()

    def median(self) -> Decimal | None:
        if not self._length:
            return None
        middle = self._length // 2
        with contextlib.closing(self.in_order()) as ordered:
            picked: list[Any] = list(itertools.islice(ordered, middle - (self._length % 2 == 0), middle + 1))
        return picked[-1] if self._length % 2 else (picked[0] + picked[1]) / 2

    def bins(self) -> list[tuple[Decimal, Decimal, int]]:
        """The amounts counted into `bins` (read once more, from disk past `keep`)."""
        if not self._length:
            return []
        return bins(self, self.minimum, self.maximum, self._length)


#: The most bins a histogram of amounts has.
MAX_BINS = 12


def nice_step(span: Decimal, wanted: int) -> Decimal:
    """A round width (1, 2, 2.5 or 5 times a power of ten) that cuts `span`
    into at most `wanted` bins."""
    raw = span / wanted
    exponent = math.floor(math.log10(float(raw))) if raw > 0 else 0
    base = Decimal(10) ** exponent
    for factor in ("1", "2", "2.5", "5", "10"):
        step = base * Decimal(factor)
        if step >= raw:
            return step
    return base * 10


def bins(amounts: Iterable[Decimal], low: Decimal, high: Decimal,
         count: int) -> list[tuple[Decimal, Decimal, int]]:
    """(from, to, how many) of `count` amounts between `low` and `high`, in
    round-width bins (about the square root of the count, at most `MAX_BINS`),
    counted as the amounts stream by: the memory is the bins', whatever the
    count. A bin holds amounts from its lower edge up to, not including, its
    upper one; the last holds its upper edge too; all equal, one bin.

    >>> bins([Decimal(x) for x in ("-5", "0", "12")], Decimal(-5), Decimal(12), 3)
    [(Decimal('-10'), Decimal('0'), 1), (Decimal('0'), Decimal('10'), 1), (Decimal('10'), Decimal('20'), 1)]
    """
    if low == high:
        return [(low, high, count)]
    wanted = max(2, min(MAX_BINS, math.ceil(math.sqrt(count)) + 1))
    step = nice_step(high - low, wanted)
    start = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    edges = []
    edge = start
    while edge <= high:
        edges.append((edge, edge + step))
        edge += step
    counts = [0] * len(edges)
    for amount in amounts:
        counts[min(int((amount - start) // step), len(edges) - 1)] += 1
    return [(lo, hi, n) for (lo, hi), n in zip(edges, counts)]


class Mapped:
    """`function` of each of `items` (a list or a `Spill`), made as it is read;
    read as often as asked, with the length of `items`."""

    def __init__(self, items, function: Callable):
        self.items, self.function = items, function

    def __iter__(self) -> Iterator:
        return map(self.function, self.items)

    def __len__(self) -> int:
        return len(self.items)


__all__ = ["Spill", "Amounts", "Mapped", "KEEP", "bins", "nice_step", "MAX_BINS"]
