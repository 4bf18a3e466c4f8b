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

# The public names and the module each lives in. They are imported when first
# used, not here (start-up: `contract-rules --version` and every command load
# `rules_engine` first, and most need only part of the package).
_EXPORTS = {
    "version": "rules_engine.base.version",
    "CODES": "rules_engine.base.diagnostics", "Diagnostic": "rules_engine.base.diagnostics",
    "InvalidInput": "rules_engine.base.diagnostics", "render_all": "rules_engine.base.diagnostics",
    "Outcome": "rules_engine.base.values", "Unknown": "rules_engine.base.values",
    "STAGES": "rules_engine.static.load", "run_until": "rules_engine.static.load",
    "Engine": "rules_engine.run.engine",
    "CheckReport": "rules_engine.run.results", "ArrangementResult": "rules_engine.run.results",
    "Result": "rules_engine.run.results", "ValueResult": "rules_engine.run.results",
    **{name: "rules_engine.api" for name in (
        "load", "check", "check_arrangement", "arrangement_from_dict", "vary_check", "impact", "explain",
        "render_error", "Report", "ImpactReport", "Explanations", "UnknownResult", "SubjectNeeded")},
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rules_engine' has no attribute {name!r}")
    value = getattr(_module(module), name)
    globals()[name] = value
    return value


def _module(name: str):
    """The module of a public name (each import spelled out: no name computed)."""
    if name == "rules_engine.api":
        from rules_engine import api as module  # start-up: loaded when first used
    elif name == "rules_engine.base.version":
        from rules_engine.base import version as module  # start-up: loaded when first used
    elif name == "rules_engine.base.diagnostics":
        from rules_engine.base import diagnostics as module  # start-up: loaded when first used
    elif name == "rules_engine.base.values":
        from rules_engine.base import values as module  # start-up: loaded when first used
    elif name == "rules_engine.static.load":
        from rules_engine.static import load as module  # start-up: loaded when first used
    elif name == "rules_engine.run.engine":
        from rules_engine.run import engine as module  # start-up: loaded when first used
    else:
        from rules_engine.run import results as module  # start-up: loaded when first used
    return module


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
