"""`python -m rules_engine` runs the command line."""

from rules_engine.cli import entry_point

entry_point()
