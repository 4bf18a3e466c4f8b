"""How a population run's process meets Ctrl-C (SIGINT): held while a
result is written, so that the output never ends in part of a line; ignored
by the workers of a pool (the parent stops it); after one, the summary is
still written. Used by `population_run`.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Iterator

import attrs


def hold_interrupts(held: bool) -> None:
    """Block SIGINT in this thread (held until unblocked), or unblock it."""
    if CAN_BLOCK:
        signal.pthread_sigmask(signal.SIG_BLOCK if held else signal.SIG_UNBLOCK, {signal.SIGINT})


def ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@attrs.define
class Progress:
    """How far a population run got: the last line whose result is out.

    Ctrl-C (KeyboardInterrupt) inside `watching` ends the run, not the
    process. It is held back while a result is written and counted (inside
    `one_result`, SIGINT is blocked and delivered after), because a signal
    that lands in a large write to a full pipe can make Python drop the rest
    of that write: the output must never end in part of a line, and the
    summary must count exactly what was written."""

    lines_read: int = 0
    interrupted: bool = False

    def as_json(self) -> dict:
        return {"interrupted": True, "lines_read": self.lines_read} if self.interrupted else {}

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        try:
            yield
        except KeyboardInterrupt:
            self.interrupted = True

    def one_result(self) -> "_Held":
        """SIGINT held inside (a plain context manager: entered once a line)."""
        return _HELD


class _Held:
    def __enter__(self) -> None:
        hold_interrupts(True)

    def __exit__(self, *exception) -> None:
        hold_interrupts(False)  # a held Ctrl-C lands here


_HELD = _Held()

CAN_BLOCK = hasattr(signal, "pthread_sigmask")


#: The exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


@contextlib.contextmanager
def quiet_interrupts(active: bool) -> Iterator[None]:
    """After one Ctrl-C, ignore more while the summary is written."""
    if not active:
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
        sys.stdout.flush()  # all of it out while a second Ctrl-C is ignored
    finally:
        signal.signal(signal.SIGINT, previous)


def interrupted_note(progress: Progress) -> str:
    return (f"interrupted: stopped after line {progress.lines_read:,}; "
            "the summary covers the lines before it")
