"""`contract-rules new layer --icb CODE`: a starting point for an ICB's local layer.

Input: an ICB code, a layer name, the national contracts it extends and a
day in the contract year it is for. Output: a `Scaffold`, two files' names
and texts (the library returns data; the CLI writes them, refusing to
replace a file that exists):

- `NAME.rules`: a commented local layer. Its header is filled in (ICB,
  contracts extended, the contract year as its effective period, a source to
  fill in); it varies nothing yet. The comments say how to check it and give
  an example of each kind of change (vary, waive, add requirement), each
  permitted by the shipped library as written once its `# ` is removed.
- `NAME.yaml`: a scenario file that runs the layer (`local: NAME.rules`) on a
  PCN of the ICB at the national minimum population and one patient below it,
  so that `contract-rules test NAME.yaml` passes as written and shows where to
  state what a change should do.

Both pass `lint` and `test` as written (tests/test_scaffold.py runs them, and
each example uncommented).

>>> scaffold = layer_scaffold("QXX", as_of=__import__("datetime").date(2025, 6, 1))
>>> [f.name for f in scaffold.files]
['qxx_proposal.rules', 'qxx_proposal.yaml']
>>> "local layer qxx_proposal" in scaffold.files[0].text
True
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

#: What `--icb` accepts: an ICB's ODS code as a rule file writes it (`for icb QMM`).
ICB_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]{1,9}")
#: A layer name, as the grammar's NAME.
LAYER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@attrs.frozen
class ScaffoldFile:
    name: str
    text: str


@attrs.frozen
class Scaffold:
    layer: str
    icb: str
    files: tuple[ScaffoldFile, ...]


def contract_year(day: dt.date) -> tuple[dt.date, dt.date]:
    """The financial year (1 April to 31 March) that contains `day`."""
    start = dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)
    return start, dt.date(start.year + 1, 3, 31)


def default_day(library, today: dt.date | None = None) -> dt.date:
    """Today, or, past (or before) the national contracts, the last day they cover."""
    today = today or dt.date.today()
    contracts = library.contracts
    if not contracts or any(layer.in_force(today) for layer in contracts):
        return today
    ends = [layer.period.end for layer in contracts if layer.period and layer.period.end]
    return max(ends) if ends and today > max(ends) else today


def in_force_on(library, day: dt.date) -> bool:
    """Whether a national contract of the library is in force on `day`."""
    return not library.contracts or any(layer.in_force(day) for layer in library.contracts)


def layer_scaffold(icb: str, name: str | None = None, extends: tuple[str, ...] = ("network_des",),
                   as_of: dt.date | None = None) -> Scaffold:
    """The two files for a new local layer of `icb` (raises ValueError for a
    code or name a rule file could not hold)."""
    if not ICB_CODE.fullmatch(icb):
        raise ValueError(f"`{icb}` is not an ICB code: write it as a rule file does, letters and digits "
                         "starting with a letter, e.g. QMM")
    icb = icb.upper()
    name = name or f"{icb.lower()}_proposal"
    if not LAYER_NAME.fullmatch(name):
        raise ValueError(f"`{name}` is not a layer name: letters, digits and _, starting with a letter")
    start, end = contract_year(as_of or dt.date.today())
    year = f"{start.year}/{str(end.year)[2:]}"
    day = dt.date(start.year, 6, 2)  # a weekday in the year, for the scenarios
    rules = _LAYER.format(name=name, icb=icb, extends=", ".join(extends), start=start, end=end,
                          year=year, prefix=icb.lower(), as_of=start)
    scenarios = _SCENARIOS.format(name=name, icb=icb, day=day, year=year)
    return Scaffold(name, icb, (ScaffoldFile(f"{name}.rules", rules), ScaffoldFile(f"{name}.yaml", scenarios)))


_LAYER = '''\
# The local layer of ICB {icb} for {year}: a proposal, started by
# `contract-rules new layer`. It changes national terms for the practices and
# PCNs of {icb} only, within what the national contracts and the flexibility
# envelope in force allow; every change says why (`because "..."`).
#
# Before it is agreed:
#   contract-rules lint {name}.rules              syntax, names, types, units
#   contract-rules vary-check {name}.rules        is each change permitted, by what
#   contract-rules test {name}.yaml               the scenarios still hold
#   contract-rules show --flexible --as-of {as_of}    what a local layer may change
#
# It changes nothing yet. Examples, each permitted as written: remove the
# `# ` at the start of its lines, then change the figures and the reasons.
#
# Vary a national figure within the bounds the contract sets (enhanced access:
# at least 60 minutes a week per 1,000 patients):
#
# vary ea_minutes_per_1000 = 66 minutes
#   because "Why the ICB asks for more enhanced-access time, and who funds it"
#
# Waive a requirement for some subjects (here one PCN's standard hours):
#
# waive des.ea.standard-hours
#   for pcn where pcn.code = "U00001"
#   because "Why this PCN need not offer the standard hours, and what it offers instead"
#
# Add a local requirement (its id starts with the ICB's code):
#
# add requirement {prefix}.ea.sunday "Sunday morning enhanced access"
#   for pcn
#   ref "Where it is written: the local enhanced service specification"
#   must pcn.enhanced_access.sundays
#   because "Why the ICB asks for it"

local layer {name} "ICB {icb}: local variations {year} (proposal)" for icb {icb}
  extends {extends}
  effective {start} to {end}
  source "Where it was agreed: the committee, its minute and date"
'''

_SCENARIOS = '''\
# Scenarios for {name}.rules, started by `contract-rules new layer`: each
# case is an arrangement of ICB {icb} on a date in {year} and the outcomes
# expected with the proposed layer in place. Run them:
#   contract-rules test {name}.yaml
# When the layer changes a term, state what it should do on each side of the
# new figure (one case at the figure, one just past it), and the layer the
# result then comes from (`layer: {name}`, `flexibility: varied`).
cases:
  - name: "a PCN of {icb} with 30,000 patients meets the minimum population"
    local: {name}.rules
    arrangement:
      as_of: {day}
      icb: {icb}
      pcn: {{code: U00001, raw_list_size: 30000, population_exception: none}}
    expect:
      results:
        - {{id: des.pcn.minimum-population, outcome: pass, layer: network_des}}
  - name: "one patient fewer does not"
    local: {name}.rules
    arrangement:
      as_of: {day}
      icb: {icb}
      pcn: {{code: U00002, raw_list_size: 29999, population_exception: none}}
    expect:
      results:
        - {{id: des.pcn.minimum-population, outcome: fail, layer: network_des}}
'''
