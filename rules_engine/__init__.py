"""contract-rules: NHS England GP contract rules as an executable, layered language.

The public API (docs/python-api.md works through it). The command line is a
thin layer over these calls; each returns data with `to_dict()`, the JSON of
the command's `--format json`, and none prints or exits:

>>> import rules_engine
>>> report = rules_engine.check("examples/pcn-failing.yaml")   # or a dict of facts  # doctest: +SKIP
>>> report.result("des.pcn.minimum-population").why.distance                       # doctest: +SKIP
'needs 3,500 more'

`vary_check(layer)`, `impact(population, variation)` and `explain(rule_id,
arrangement=None)` do what their commands do; `load()` gives an `Engine` to
reuse. Invalid input raises `InvalidInput` with its diagnostics.
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from pathlib import Path

from .diagnostics import CODES, Diagnostic, InvalidInput, render_all
from .pipeline import STAGES, Engine, run_until
from .results import ArrangementResult, CheckReport, Result, ValueResult
from .values import Outcome, Unknown
# The submodules `explain` and `impact` are loaded first, so that the names
# below stay bound to the API's functions (a submodule loaded later would
# rebind its package attribute to itself).
from . import explain as _explain_module, impact as _impact_module  # noqa: F401
from .api import (Explanations, ImpactReport, Report, SubjectNeeded, UnknownResult, arrangement_from_dict,
                  check_arrangement, explain, impact, render_error, vary_check)


def version() -> str:
    """The installed package's version ("0+unknown" when run from a bare checkout)."""
    try:
        return metadata.version("contract-rules")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def load(rules: str | Path | None = None, local: str | Path | None = None, assume=None) -> Engine:
    """Load and check a rule library (the shipped one by default), plus an
    optional proposed local layer and assumptions ({name: value} or a file).
    Raises `InvalidInput` with diagnostics."""
    from .api import load as load_engine
    return load_engine(rules, local, assume)


def check(arrangements, rules: str | Path | None = None, local: str | Path | None = None,
          as_of: dt.date | str | None = None, assume=None) -> Report:
    """Check an arrangement (a dict of facts or a file) or several under the
    layers in force; see `api.check_arrangement`."""
    return check_arrangement(arrangements, rules=rules, local=local, as_of=as_of, assume=assume)


__all__ = ["version", "load", "check", "check_arrangement", "arrangement_from_dict", "vary_check", "impact",
           "explain", "render_error", "Report", "ImpactReport", "Explanations", "UnknownResult",
           "SubjectNeeded", "Engine", "STAGES", "run_until", "CheckReport", "ArrangementResult",
           "Result", "ValueResult", "Outcome", "Unknown", "Diagnostic", "InvalidInput", "CODES",
           "render_all"]
