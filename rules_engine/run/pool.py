"""The pool of a population run (`--jobs N`): tasks (chunks of lines) done
in worker processes, their results yielded in the tasks' order, with at most
`IN_FLIGHT_PER_JOB` tasks a worker read ahead, so that memory holds a few
chunks, never the population. With one job, the tasks are done here.

The workers are forked (spawned, on Windows) once the caller has loaded what
they need; Ctrl-C is held while they start and ends the run, not them one by
one (run/interrupts.py).
"""

from __future__ import annotations

import collections
import gc
import itertools
import multiprocessing
import os
import signal
import sys
from typing import Callable, Iterable, Iterator

from rules_engine.run.interrupts import (CAN_BLOCK as _CAN_BLOCK, hold_interrupts as _hold_interrupts,
                                         ignore_interrupts as _ignore_interrupts)


def run_chunks(function: Callable, tasks: Iterable, jobs: int, total: int | None = None,
               prepare: Callable | None = None) -> Iterator:
    """Each task's results in order; a pool of `jobs` processes when jobs > 1.

    The workers are forked from this process once the caller has loaded its
    engines and, when there is more than one task, `prepare(first task)` has
    compiled what the workers will need (population_run.py: the program most
    of its lines need), so that each has the checked library and that program
    without loading, compiling or receiving them (spawned, on Windows, each
    loads them once). Every task, the first too, is done by the workers: this
    process only reads the tasks and the results. At most two tasks a worker
    are in flight. Workers ignore Ctrl-C (none can print a traceback); the
    parent's KeyboardInterrupt ends the pool (the `with` block terminates it)."""
    progress = _progress(total)
    try:
        if jobs <= 1:
            for task in tasks:
                items = function(task)
                yield from items
                progress(len(items))
            return
        tasks = iter(tasks)
        first = next(tasks, None)
        if first is None:
            return
        second = next(tasks, None)
        if second is not None and prepare is not None:
            prepare(first)  # (one task: too few lines for compiling to pay; the workers run the closures)
        tasks = itertools.chain((first,) if second is None else (first, second), tasks)
        # fork where the system has it; spawn (Windows) needs picklable tasks (EngineSpec).
        context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        # SIGINT held (blocked, which workers and threads inherit) while the pool
        # starts, not ignored: a Ctrl-C then lands at the unblock in `with pool`.
        previous = None if _CAN_BLOCK else signal.signal(signal.SIGINT, signal.SIG_IGN)
        _hold_interrupts(True)
        gc.freeze()  # the loaded library stays shared: no collection in a worker writes to its pages
        pool = None
        try:
            try:
                pool = _pool(jobs, context)
            finally:
                gc.unfreeze()
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            _widen_pipes(pool)
            with pool:
                _hold_interrupts(False)  # a Ctrl-C held while the pool started lands here
                for items in _in_order(pool, function, tasks, jobs):
                    yield from items
                    progress(len(items))
        finally:
            # A Ctrl-C that another thread took (a progress bar's: SIGINT goes
            # to any thread not holding it) is raised here at any point: it
            # must leave SIGINT unheld and no worker running.
            _hold_interrupts(False)
            if pool is not None:
                pool.terminate()
    finally:
        progress(None)


def _pool(jobs: int, context):
    """A `multiprocessing.Pool` of `jobs` workers whose thread that keeps the
    workers alive wakes when a worker ends or the pool's state changes, not
    whenever a result is waiting in the result pipe. The standard one also
    waits on that pipe's reading end, so while a result sits there, until
    the pool's result thread has read it all, it wakes, looks at every
    worker and waits again, over and over: over England with two workers,
    0.04 to 0.05 s of this process's CPU (a third of what it spent after the
    fork) taken on the cores the workers need, and holding the interpreter
    lock that the threads reading results and writing the output wait for.
    Without it, 0.09-0.11 s after the fork against 0.14-0.15 s. (No pool here
    replaces its workers after a number of tasks, the one case that pipe
    could matter for; a worker that ends still wakes the thread.)"""
    from multiprocessing.pool import Pool  # here, not at the top: start-up (only a pool of workers needs it)

    class QuietPool(Pool):
        def _get_sentinels(self):
            return [self._change_notifier._reader]

    return QuietPool(jobs, initializer=_ignore_interrupts, context=context)


#: Chunks handed to the pool and not yet collected, per worker: enough to keep
#: each busy, few enough that memory does not grow with the population.
IN_FLIGHT_PER_JOB = 2


#: The size asked for the pool's task and result pipes (where the system lets
#: a pipe be resized: Linux, whose default is 64 KB and whose limit for a
#: user is 1 MB unless raised): a chunk's results on England (50 JSON lines,
#: some 930 KB) go in at one write.
PIPE_BYTES = 1 << 20


def _widen_pipes(pool) -> None:
    """The pool's task and result pipes widened to `PIPE_BYTES` where the
    system allows it. At 64 KB, a worker that had checked a chunk waited
    while this process read its results 64 KB at a time (each read needing
    the interpreter lock, which the thread writing the output held), and
    only then took its next chunk: 70-100 ms of waiting a worker over
    England with two, against 30-60 ms. Where it cannot be done (no
    `F_SETPIPE_SZ`, another pool implementation, a smaller limit) the pipes
    stay as they are: only the waiting differs."""
    try:
        import fcntl  # here, not at the top: POSIX only (a pool on Windows has no pipes to widen)
    except ImportError:
        return
    resize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if resize is None:
        return
    for queue in (getattr(pool, "_inqueue", None), getattr(pool, "_outqueue", None)):
        writer = getattr(queue, "_writer", None)
        try:
            fcntl.fcntl(writer.fileno(), resize, PIPE_BYTES)
        except (AttributeError, OSError, ValueError):
            continue


def _in_order(pool, function: Callable, tasks: Iterable, jobs: int) -> Iterator:
    """`pool.imap(function, tasks)`, with at most `IN_FLIGHT_PER_JOB * jobs`
    chunks read ahead: `imap` reads every task at once (a whole population
    file in memory) and keeps every result a slow reader has not taken."""
    pending: collections.deque = collections.deque()
    for task in tasks:
        pending.append(pool.apply_async(function, (task,)))
        if len(pending) >= IN_FLIGHT_PER_JOB * jobs:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _progress(total: int | None) -> Callable:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""
    if total is None or not sys.stderr.isatty():
        return lambda advance: None
    from rich.console import Console  # here, not at the top: start-up (only this path needs it)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn  # here, not at the top: start-up (only this path needs it)
    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), transient=True,
                   console=Console(file=getattr(sys.stderr, "unfiltered", sys.stderr)))  # our own bar: its cursor codes pass
    bar.start()
    task = bar.add_task("arrangements", total=total)

    def advance(count):
        if count is None:
            bar.stop()
        else:
            bar.advance(task, count)
    return advance
