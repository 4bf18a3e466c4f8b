"""`python -m rules_engine` and the `contract-rules` command: the command line.

`contract-rules --version` is answered here, before the command line (and
the engine it imports) is loaded, so that it costs about a bare Python start.
"""

import gc
import sys


def entry_point() -> None:
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
