"""`python -m rules_engine` and the `contract-rules` command: the command line.

`contract-rules --version` is answered here, before the command line (and
the engine it imports) is loaded, so that it costs about a bare Python start.
"""

import gc
import sys


def _no_bytecode_under_a_file_size_limit() -> None:
    """Under `ulimit -f`, write no bytecode for the modules imported from here on.

    CPython writes a module's bytecode without checking how much of it the
    system took: under a file-size limit (whose signal Python ignores) the
    write stops at the limit and the cut file is renamed into place, and
    every later start that imports the module fails ("marshal data too
    short") until the file is deleted. The command's lazily imported modules
    (the formatter, the outputs) are the ones at risk; a limit is what
    `contract-rules fmt` under `ulimit -f` meets (docs/errors.md, E-WRITE-001).
    """
    try:
        import resource  # here, not at the top: not on Windows
    except ImportError:
        return
    if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
        sys.dont_write_bytecode = True


def entry_point() -> None:
    _no_bytecode_under_a_file_size_limit()
    if sys.argv[1:] == ["--version"]:
        from rules_engine.base.version import version  # here, not at the top: start-up (all --version needs)
        print(f"contract-rules, version {version()}")
        sys.exit(0)
    # The modules are made without the garbage collector, then kept out of its
    # walks (`gc.freeze`): they live as long as the process (docs/architecture.md, start-up).
    gc.disable()
    from rules_engine.cli import entry_point as run  # here, not at the top: start-up (not for --version)
    gc.freeze()
    gc.enable()
    run()


if __name__ == "__main__":
    entry_point()
