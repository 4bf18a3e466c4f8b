"""A population of real practices: NHS Payments to General Practice, 2022/23.

Input: the folder of the published data (``/work/shared/data/nhs-payments-2022-23``
by default; its README gives the source: NHS England / NHS Digital, Open
Government Licence v3): ``nhs-payments-gp-2022-23.csv`` (one row per
practice), ``subicb-icb-code.csv`` (sub-ICB location to ICB) and
``cqc-ratings.csv`` (latest CQC overall rating).
Output: ``examples/population-nhs-2022-23.jsonl``, one arrangement per PCN
(its code, name, ICB, member practices, registered list and weighted
population) with its practices, and one per practice in no PCN (the data's
"Unknown or no PCN", with no `pcn` block, as `examples/practice-no-pcn.yaml`): ODS code, name, contract type, registered
list (the published figure is a mean of quarterly counts: rounded half up to
a whole patient), Carr-Hill weighted list, CQC rating, and whether the
practice was paid the PCN participation payment (``network_participant``);
and ``examples/population-nhs-2022-23-published.csv``, the published
payment lines the engine's money is set against (tests/test_real_population.py):
ODS code, contract type, global sum, PCN participation, QOF.

Left out: practices with a close date, or with no registered patients (both
counted in the summary). Facts the data does not give are not invented: no
out-of-hours opt-out, adjusted population, QOF achievement, ARRS claims or
enhanced-access delivery, so the results that need them are unknown, naming
them. A contract type the data gives as "Unknown" is left out too.

The same input always gives the same file (PCNs by code, then the
practices in no PCN; practices by ODS code). Run from the repository root::

    python -m tools.real_population [--data FOLDER] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from rules_engine.io.outputs import write_text

DATA = Path("/work/shared/data/nhs-payments-2022-23")
OUT = Path("examples/population-nhs-2022-23.jsonl")
AS_OF = "2023-06-01"  # the library's first contract year; the lists are 2022/23's

#: The PCN code the data gives a practice in no PCN: not a PCN (taken as
#: one, its 95 open practices would be a "PCN" of 793,357 patients), so each
#: such practice is an arrangement of its own, with no `pcn` block.
NO_PCN = "Unknown or no PCN"

#: Published payment lines kept beside each practice, by the name used here.
PUBLISHED = {"global_sum": "Global Sum", "qof": "Total QOF Payments",
             "pcn_participation": "PCN Participation"}
CONTRACTS = {"GMS", "PMS", "APMS"}
RATINGS = {"Outstanding": "outstanding", "Good": "good",
           "Requires improvement": "requires_improvement", "Inadequate": "inadequate"}


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _ratings(path: Path) -> dict[str, str]:
    """The latest overall rating per practice (the latest year's row)."""
    latest: dict[str, tuple[int, str]] = {}
    for row in _read(path):
        rating = RATINGS.get(row.get("latest_rating", ""))
        code = row.get("Practice.Code", "")
        year = int(row["Year"]) if row.get("Year", "").isdigit() else 0
        if rating and code and year >= latest.get(code, (-1, ""))[0]:
            latest[code] = (year, rating)
    return {code: rating for code, (_, rating) in latest.items()}


def practice_of(row: dict, ratings: dict[str, str]) -> dict | None:
    """One practice's facts (and `published` payments), or None when left out."""
    registered = _decimal(row["Number of Registered Patients (Last Known Figure)"])
    weighted = _decimal(row["Number of Weighted Patients (Last Known Figure)"])
    if row["Practice Close Date"].strip() or not registered or registered <= 0:
        return None
    practice: dict = {"ods_code": row["Practice Code"], "name": row["Practice Name"].strip()}
    if row["Contract Type"] in CONTRACTS:
        practice["contract"] = row["Contract Type"]
    practice["list_size"] = int(registered.to_integral_value(ROUND_HALF_UP))
    if weighted is not None:
        practice["weighted_list_size"] = float(weighted)
    if row["Practice Code"] in ratings:
        practice["cqc_rating"] = ratings[row["Practice Code"]]
    participation = _decimal(row["PCN Participation"])
    if participation is not None:
        practice["network_participant"] = participation > 0
    return practice


def published_row(row: dict) -> list[str]:
    """ODS code, contract type and the `PUBLISHED` lines of one practice."""
    return [row["Practice Code"], row["Contract Type"]] + [
        str(_decimal(row[column]) or Decimal(0)) for column in PUBLISHED.values()]


def arrangements(data: Path = DATA) -> tuple[list[dict], list[list[str]], dict[str, int]]:
    """The arrangements, one per PCN; the published lines of their practices;
    counts of what was read and left out."""
    rows = _read(data / "nhs-payments-gp-2022-23.csv")
    icb_of = {r["CCG Code"]: r["ICB Code"] for r in _read(data / "subicb-icb-code.csv")}
    ratings = _ratings(data / "cqc-ratings.csv")
    by_pcn: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    counts = {"rows": len(rows), "closed_or_empty": 0}
    published = []
    for row in rows:
        practice = practice_of(row, ratings)
        if practice is None:
            counts["closed_or_empty"] += 1
            continue
        by_pcn[row["Code"]].append((row, practice))
        published.append(published_row(row))
    result, alone = [], []
    for row, practice in sorted(by_pcn.pop(NO_PCN, []), key=lambda pair: pair[1]["ods_code"]):
        arrangement = {"as_of": AS_OF}
        icb = icb_of.get(row["CCG Code"])
        if icb:
            arrangement["icb"] = icb
        arrangement["practices"] = [practice]
        alone.append(arrangement)
    for code in sorted(by_pcn):
        members = sorted(by_pcn[code], key=lambda pair: pair[1]["ods_code"])
        first = members[0][0]
        practices = [p for _, p in members]
        weighted = sum(Decimal(str(p.get("weighted_list_size", 0))) for p in practices)
        arrangement = {"as_of": AS_OF}
        icb = icb_of.get(first["CCG Code"])
        if icb:
            arrangement["icb"] = icb
        arrangement["pcn"] = {
            "code": code, "name": _pcn_name(first),
            "member_practices": [p["ods_code"] for p in practices],
            "raw_list_size": sum(p["list_size"] for p in practices),
            "weighted_population": int(weighted.to_integral_value(ROUND_HALF_UP))}
        arrangement["practices"] = practices
        result.append(arrangement)
    counts["pcns"], counts["no_pcn"] = len(result), len(alone)
    result += alone
    counts["practices"] = sum(len(a["practices"]) for a in result)
    return result, sorted(published), counts


def _pcn_name(row: dict) -> str:
    """The PCN's name: the column after its code (headed 'CCG NAME' in the file)."""
    return row["CCG NAME"].strip()


def published_path(out: Path) -> Path:
    """Where the published lines of a population go: beside it, `-published.csv`."""
    return out.with_name(out.stem + "-published.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args(argv)
    found, published, counts = arrangements(options.data)
    text = "".join(json.dumps(a, separators=(",", ":"), ensure_ascii=False) + "\n" for a in found)
    write_text(options.out, text)
    lines = ["ods_code,contract," + ",".join(PUBLISHED)] + [",".join(r) for r in published]
    write_text(published_path(options.out), "\n".join(lines) + "\n")
    print(f"wrote {options.out}: {counts['pcns']} PCNs and {counts['no_pcn']} practices in no PCN, "
          f"{counts['practices']} practices in all "
          f"({counts['rows']} rows read; {counts['closed_or_empty']} closed or with no "
          "registered patients left out)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
