"""A witness arrangement as YAML in the arrangement format
(docs/arrangement-format.md), as vary-check prints it.

>>> print("\\n".join(yaml_lines({"as_of": "2025-06-01", "pcn": {"code": "U1", "raw_list_size": 27000}})))
as_of: 2025-06-01
pcn:
  code: "U1"
  raw_list_size: 27000
"""

from __future__ import annotations

import json


def yaml_lines(data, indent: str = "") -> list[str]:
    """A witness (dicts, lists, text, numbers, booleans) as YAML in the
    arrangement format. Text is written double-quoted with escapes (JSON's
    string form is YAML's), so a fact's text stays data; ISO dates plain."""
    lines: list[str] = []
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        head = f"{indent}{key}:" if isinstance(data, dict) else f"{indent}-"
        if isinstance(value, (dict, list)) and value:
            if isinstance(data, list) and isinstance(value, dict):
                inner = yaml_lines(value, indent + "  ")
                lines.append(f"{indent}- " + inner[0].lstrip())
                lines += inner[1:]
            else:
                lines.append(head)
                lines += yaml_lines(value, indent + "  ")
        else:
            lines.append(f"{head} {_scalar(value)}")
    return lines


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit():
        return text
    return json.dumps(text, ensure_ascii=True)


__all__ = ["yaml_lines"]
