#!/usr/bin/env python3
"""The peers' population as the peer rules (rules/) read it: to_arrangement.py's lines, with what it drops put back.

to_arrangement.py writes the arrangement format of the shipped library, which
has no fact for two of the peers' inputs: it drops pcn.contiguous_geography
and writes the population exception approved_other as "none". The rule
library in rules/ declares both, so this puts them back from the peers' own
line; and it writes a day the peers mark "closed" as the empty interval ""
(the rule language's closed day: an interval, not a word). Nothing else
changes: the same arrangements, the same facts, as policy.rego and
reference.py read them.

  python3 to_arrangement.py pop.jsonl > pop.arr.jsonl
  python3 rules_input.py pop.jsonl pop.arr.jsonl > pop.rules.jsonl
"""
import json
import sys


def restore(peer, arrangement):
    """`arrangement` (to_arrangement.py's line for the peers' line `peer`) with the dropped facts put back."""
    out = dict(arrangement)
    if "pcn" in out and "pcn" in peer:
        pcn = out["pcn"] = dict(out["pcn"])
        if "contiguous_geography" in peer["pcn"]:
            pcn["contiguous_geography"] = peer["pcn"]["contiguous_geography"]
        if peer["pcn"].get("population_exception") == "approved_other":
            pcn["population_exception"] = "approved_other"
    practices = []
    for practice in out.get("practices", []):
        hours = practice.get("core_hours")
        if isinstance(hours, dict) and "closed" in hours.values():
            practice = {**practice, "core_hours": {d: "" if h == "closed" else h for d, h in hours.items()}}
        practices.append(practice)
    out["practices"] = practices
    return out


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: " + __doc__.strip().splitlines()[-1].strip())
    with open(argv[0], encoding="utf-8") as peers, open(argv[1], encoding="utf-8") as arrangements:
        try:
            for peer, arrangement in zip(peers, arrangements, strict=True):
                line = json.dumps(restore(json.loads(peer), json.loads(arrangement)), separators=(",", ":"))
                sys.stdout.write(line + "\n")
        except ValueError as error:  # a line that is not JSON, or files of different lengths
            sys.exit(f"rules_input.py: {argv[1]} is not to_arrangement.py's output for {argv[0]}: {error}")


if __name__ == "__main__":
    main(sys.argv[1:])
