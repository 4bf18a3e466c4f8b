"""JSON text: the one way a report's data is written (`dumps`), and diagnostics
as JSON. The records' JSON (results, values, arrangements, the whole check)
is `run.results`'s; a value's is `base.numbers.value_json`."""

from __future__ import annotations

import json
from typing import Any

from rules_engine.base.diagnostics import to_json


def dumps(data: Any, compact: bool = False) -> str:
    if compact:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    return json.dumps(data, ensure_ascii=False, indent=2)


def diagnostics_json(diagnostics) -> dict:
    return {"diagnostics": [to_json(d) for d in diagnostics]}
