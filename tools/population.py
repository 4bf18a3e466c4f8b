"""Synthetic populations of arrangements, seeded and deterministic.

Input: a scale (1.0 = England, about 1,250 PCNs and 6,300 practices in 42
ICBs), a seed and the ``as_of`` date the terms are taken at.
Output: a stream of arrangement documents (see shared/arrangement-format.md),
one per PCN with its member practices, plus about 2% single practices with no
``pcn`` block. Each is a plain JSON-serialisable dict: dates are ISO strings,
money is in pounds, times are "HH:MM-HH:MM".

About 12% of the arrangements break one to three rules, drawn from
``BROKEN_RULE_KINDS``; nothing in an arrangement says which. Every fact the
national terms of 2025/26 ask for is given (CQC rating displayed, telephony
data, digital boundary, first contact assessment, out-of-area registration,
the contractor's form, enhanced-access booking), each met by all but a few
in a thousand, and so are the facts the local layers of QOP and QHM ask for:
the shipped library decides every result, and about a quarter of PCNs fail
something (more in ICBs whose local layer asks for more).

The same (scale, seed, as_of) always gives the same stream; randomness comes
only from ``random.Random`` instances seeded from ``seed``. Each ICB draws from
its own stream, so ``icbs=N`` and ``icb=CODE`` give the same arrangements for
those ICBs as the full population at the same scale.

Example::

    >>> from tools.population import generate, write_jsonl
    >>> first = next(generate(scale=0.01, seed=1))
    >>> first["icb"], first["pcn"]["member_practices"] == [
    ...     p["ods_code"] for p in first["practices"]]
    ('QHL', True)
    >>> write_jsonl("population.jsonl", generate(scale=0.01, seed=1))  # doctest: +SKIP
    12

or from the shell::

    python -m tools.population --scale 0.01 --seed 1 --out population.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
from collections.abc import Iterable, Iterator
from typing import IO

from rules_engine.io.outputs import Replacing

# 42 ICB codes (three letters, starting with Q) with illustrative relative
# sizes, in millions of registered patients; the order is fixed.
ICB_SIZES: tuple[tuple[str, float], ...] = (
    ("QGH", 1.1), ("QHG", 1.0), ("QHL", 1.8), ("QHM", 1.5), ("QJG", 1.2),
    ("QJK", 1.0), ("QJM", 0.8), ("QKK", 1.1), ("QKS", 1.0), ("QMF", 2.0),
    ("QMJ", 1.5), ("QMM", 1.1), ("QNC", 1.2), ("QNQ", 0.8), ("QNX", 1.6),
    ("QOC", 0.9), ("QOP", 3.3), ("QOQ", 1.8), ("QOX", 1.0), ("QPM", 2.1),
    ("QRL", 2.3), ("QRV", 1.7), ("QSL", 1.4), ("QUA", 1.4), ("QUE", 1.7),
    ("QUY", 1.1), ("QVV", 0.8), ("QWE", 2.7), ("QWO", 2.7), ("QWU", 1.0),
    ("QXU", 2.0), ("QYG", 2.7), ("QCA", 1.3), ("QDB", 0.6), ("QEC", 1.2),
    ("QFD", 1.0), ("QGA", 1.8), ("QHA", 1.0), ("QJA", 1.6), ("QKA", 1.9),
    ("QLA", 1.2), ("QPA", 1.9),
)
ICB_CODES: tuple[str, ...] = tuple(code for code, _ in ICB_SIZES)

PCNS_AT_SCALE_1 = 1250
SINGLE_PRACTICE_SHARE = 0.02
BROKEN_SHARE = 0.12

MIN_PCN_POPULATION = 30_000
MIN_PRACTICE_LIST, MAX_PRACTICE_LIST = 1_500, 60_000
MAX_PRACTICES_PER_PCN = 12
# Practice list sizes: lognormal, median 8,350 and sigma 0.6 (mean about 9,900).
PRACTICE_LIST_MEDIAN, PRACTICE_LIST_SIGMA = 8_350, 0.6
# Share of PCNs formed under 30,000 (with a rural_remote waiver) and the
# lognormal target a PCN's members are gathered to (median about 46,000).
SMALL_PCN_SHARE = 0.035
PCN_TARGET_MEDIAN, PCN_TARGET_SIGMA = 40_000, 0.40

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
STANDARD_HOURS = "08:00-18:30"
SHORT_HOURS = ("08:00-17:00", "08:30-18:00", "09:00-18:30", "08:00-13:00")

BROKEN_RULE_KINDS: tuple[str, ...] = (
    "pcn_under_30000_without_exception",
    "clinical_director_not_appointed",
    "network_agreement_unsigned",
    "enhanced_access_minutes_short",
    "no_saturday_enhanced_access",
    "core_hours_short",
    "cqc_not_registered",
    "no_patient_participation_group",
    "fft_not_submitted_3_months",
    "premium_rate_numbers",
    "arrs_gp_cct_over_2_years",
)
PRACTICE_RULE_KINDS = frozenset({
    "core_hours_short", "cqc_not_registered", "no_patient_participation_group",
    "fft_not_submitted_3_months", "premium_rate_numbers",
})

# ARRS role: (first date it can be claimed, relative frequency, typical
# national annual cost per WTE in pounds).
SCHEME_START = "2019-07-01"
ARRS_ROLES: dict[str, tuple[str, float, int]] = {
    "clinical_pharmacist": (SCHEME_START, 14, 66_000),
    "pharmacy_technician": (SCHEME_START, 6, 43_000),
    "social_prescribing_link_worker": (SCHEME_START, 10, 43_000),
    "health_and_wellbeing_coach": (SCHEME_START, 4, 43_000),
    "care_coordinator": (SCHEME_START, 12, 35_000),
    "physician_associate": (SCHEME_START, 4, 62_000),
    "first_contact_physiotherapist": (SCHEME_START, 6, 66_000),
    "dietitian": (SCHEME_START, 1, 62_000),
    "podiatrist": (SCHEME_START, 1, 62_000),
    "occupational_therapist": (SCHEME_START, 1, 62_000),
    "paramedic": (SCHEME_START, 4, 66_000),
    "mental_health_practitioner": (SCHEME_START, 5, 62_000),
    "nursing_associate": (SCHEME_START, 2, 40_000),
    "trainee_nursing_associate": (SCHEME_START, 1, 33_000),
    "advanced_practitioner": (SCHEME_START, 5, 73_000),
    "gp_assistant": ("2022-10-01", 3, 34_000),  # [S S26]: from October 2022
    "digital_transformation_lead": ("2022-10-01", 2, 62_000),  # [S S26]
    "enhanced_practice_nurse": ("2024-04-01", 3, 61_000),
    "gp": ("2024-10-01", 5, 92_000),
    "general_practice_nurse_new_to_gp": ("2025-04-01", 3, 43_000),
    "general_practice_nurse_experienced": ("2025-04-01", 3, 53_000),
    "consultant_nurse": ("2025-04-01", 0.5, 102_000),
    "healthcare_support_worker": ("2025-04-01", 2, 32_000),
}
NURSE_ROLE_PREFIX = "general_practice_nurse_"   # these report months since a prior post
MAX_ARRS_CLAIMS = 15
MIN_ANNUAL_COST, MAX_ANNUAL_COST = 30_000, 110_000
REGIONS = (("national", 0.88), ("outer_london", 0.07), ("inner_london", 0.05))
REGION_UPLIFT = {"national": 1.0, "outer_london": 1.11, "inner_london": 1.16}
GP_CCT_WINDOW_DAYS = 700          # compliant claims: CCT within this many days of start

CONTRACTS = (("GMS", 0.70), ("PMS", 0.25), ("APMS", 0.05))
CQC_RATINGS = (("outstanding", 0.05), ("good", 0.88),
               ("requires_improvement", 0.05), ("inadequate", 0.02))

# Register: national prevalence. Indicator: (register, share of the register
# in the indicator's population, mean achievement).
NATIONAL_PREVALENCE = {"HYP": 0.143, "DM": 0.076, "CHD": 0.030, "AF": 0.022, "AST": 0.065}
QOF_INDICATORS: dict[str, tuple[str, float, float]] = {
    "HYP008": ("HYP", 0.80, 0.72),
    "HYP009": ("HYP", 0.20, 0.78),
    "CHD015": ("CHD", 0.70, 0.80),
    "DM020": ("DM", 0.90, 0.62),
    "DM021": ("DM", 0.10, 0.80),
    "AF006": ("AF", 1.00, 0.88),
    "AST007": ("AST", 1.00, 0.60),
}
QOF_ACHIEVEMENT_ONLY_SHARE = 0.2  # indicators given as an achievement fraction
QOF_POINT_VALUE = 220.62
NATIONAL_AVERAGE_LIST = 9_964

PLACE_STEMS = ("Ash", "Beech", "Birch", "Bram", "Brook", "Clay", "Cold", "Elm",
               "Fair", "Fern", "Glen", "Hart", "Hazel", "Holm", "Kings", "Lark",
               "Marsh", "Mill", "Oak", "Red", "Rose", "Sand", "Stan", "Thorn",
               "Wal", "West", "Whit", "Wick", "Willow", "Wood")
PLACE_ENDINGS = ("bridge", "bury", "by", "combe", "field", "ford", "gate",
                 "ham", "hurst", "ley", "mere", "moor", "ton", "wick", "worth")
PRACTICE_KINDS = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice",
                  "Family Practice", "Group Practice")
COMPASS_POINTS = ("North", "South", "East", "West", "Central")
ODS_LETTERS = "ABCDEFGHJKLM"


def generate(scale: float = 1.0, seed: int = 2025, as_of: str = "2025-06-01",
             icbs: int | None = None, *, icb: str | None = None) -> Iterator[dict]:
    """Stream the arrangements for ``scale`` times England, ICB by ICB.

    ``icbs`` keeps the first N ICBs of ``ICB_CODES``; ``icb`` keeps one ICB.
    At least one PCN is generated whatever the scale.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    as_of_date = dt.date.fromisoformat(as_of)
    if icbs is not None and not 1 <= icbs <= len(ICB_CODES):
        raise ValueError(f"icbs must be between 1 and {len(ICB_CODES)}, got {icbs}")
    if icb is not None and icb not in ICB_CODES:
        raise ValueError(f"unknown ICB code {icb!r}")
    selected = [i for i, code in enumerate(ICB_CODES)
                if (icb is None or code == icb) and (icbs is None or i < icbs)]
    if not selected:
        raise ValueError(f"ICB {icb} is not among the first {icbs}")
    return _generate(scale, seed, as_of_date, selected)


def _generate(scale: float, seed: int, as_of: dt.date, selected: list[int]) -> Iterator[dict]:
    master = random.Random(seed)
    icb_seeds = [master.getrandbits(64) for _ in ICB_CODES]
    weights = [size for _, size in ICB_SIZES]
    pcn_counts = _apportion(round(PCNS_AT_SCALE_1 * scale), weights)
    single_counts = _apportion(round(PCNS_AT_SCALE_1 * scale * SINGLE_PRACTICE_SHARE), weights)
    if sum(pcn_counts[i] for i in selected) == 0:
        pcn_counts[selected[0]] = 1
    for index in selected:
        icb_generator = _IcbGenerator(index, random.Random(icb_seeds[index]), as_of, icb_seeds[index])
        yield from icb_generator.arrangements(pcn_counts[index], single_counts[index])


def write_jsonl(path_or_file: str | os.PathLike[str] | IO[str],
                arrangements: Iterable[dict]) -> int:
    """Write one compact JSON object a line; return how many were written."""
    if hasattr(path_or_file, "write"):
        return _write_lines(path_or_file, arrangements)
    # Through a temporary file and a rename: an interrupted run leaves the
    # earlier file (or none), never half a population.
    with Replacing(path_or_file) as out:
        return _write_lines(out, arrangements)


def _write_lines(out: IO[str], arrangements: Iterable[dict]) -> int:
    count = 0
    for arrangement in arrangements:
        out.write(json.dumps(arrangement, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[:total - sum(counts)]:
        counts[i] += 1
    return counts


class _IcbGenerator:
    """Builds the arrangements of one ICB from that ICB's own random stream."""

    def __init__(self, index: int, rng: random.Random, as_of: dt.date, seed: int = 0):
        self.rng = rng
        self.seed = seed
        self.as_of = as_of
        self.code = ICB_CODES[index]
        # Codes are a fixed-width prefix per ICB and a running number, so they
        # stay unique (growing a digit past 999 in one ICB) at any scale.
        self.pcn_prefix = f"U{index + 10:02d}"
        self.ods_prefix = f"{ODS_LETTERS[index // 4]}{81 + index % 4}"
        self.pcns_made = 0
        self.practices_made = 0
        # A post starts before the day the terms are taken at, so a role
        # that only begins on ``as_of`` itself (a 1 April) has no post yet.
        self.roles = [role for role, (start, _, _) in ARRS_ROLES.items()
                      if dt.date.fromisoformat(start) < as_of]
        self.role_weights = [ARRS_ROLES[role][1] for role in self.roles]
        self.kinds = [kind for kind in BROKEN_RULE_KINDS
                      if kind != "arrs_gp_cct_over_2_years" or "gp" in self.roles]

    def arrangements(self, pcns: int, singles: int) -> Iterator[dict]:
        for _ in range(pcns):
            yield self.pcn_arrangement(self.broken_kinds(self.kinds))
        practice_kinds = [kind for kind in self.kinds if kind in PRACTICE_RULE_KINDS]
        for _ in range(singles):
            broken = self.broken_kinds(practice_kinds)
            practice = self.practice(self.practice_list_size(MAX_PRACTICE_LIST), broken)
            yield {"as_of": self.as_of.isoformat(), "icb": self.code, "practices": [practice]}

    # -- choices -----------------------------------------------------------

    def broken_kinds(self, kinds: list[str]) -> set[str]:
        if self.rng.random() >= BROKEN_SHARE:
            return set()
        return set(self.rng.sample(kinds, self.rng.choice((1, 1, 2, 3))))

    def pick(self, weighted: tuple[tuple[str, float], ...]) -> str:
        names, weights = zip(*weighted)
        return self.rng.choices(names, weights)[0]

    def place(self) -> str:
        return self.rng.choice(PLACE_STEMS) + self.rng.choice(PLACE_ENDINGS)

    def detail_rng(self, code: str) -> random.Random:
        """The draws for the facts added in 2025/26, from a stream of their own
        per PCN or practice, so that adding them left every other draw as it was."""
        return random.Random(f"{self.seed}:{code}")

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    # -- PCN ---------------------------------------------------------------

    def pcn_arrangement(self, broken: set[str]) -> dict:
        rng = self.rng
        small = "pcn_under_30000_without_exception" in broken or rng.random() < SMALL_PCN_SHARE
        list_sizes = self.small_pcn_lists() if small else self.pcn_lists()
        practice_broken = broken & PRACTICE_RULE_KINDS
        breaking_index = rng.randrange(len(list_sizes))
        practices = [self.practice(size, practice_broken if i == breaking_index else set())
                     for i, size in enumerate(list_sizes)]

        raw = sum(list_sizes)
        adjusted = round(raw * min(1.04, max(0.96, rng.gauss(1.0, 0.015))))
        weighted = round(raw * min(1.04, max(0.96, rng.gauss(1.0, 0.015))))
        exception = "none"
        if small and "pcn_under_30000_without_exception" not in broken:
            exception = "rural_remote"
        self.pcns_made += 1
        pcn = {
            "code": f"{self.pcn_prefix}{self.pcns_made:03d}",
            "name": self.pcn_name(),
            "member_practices": [p["ods_code"] for p in practices],
            "raw_list_size": raw,
            "adjusted_population": adjusted,
            "weighted_population": weighted,
            "population_exception": exception,
            "network_agreement_signed": "network_agreement_unsigned" not in broken,
            "clinical_director_appointed": "clinical_director_not_appointed" not in broken,
            "care_home_beds": 0 if rng.random() < 0.03
            else round(raw / 1000 * rng.lognormvariate(math.log(3), 0.7)),
            "enhanced_access": self.enhanced_access(adjusted, broken),
            "arrs_claims": self.arrs_claims(weighted, broken),
        }
        pcn["enhanced_access"].update(self.enhanced_access_details(pcn["code"]))
        return {"as_of": self.as_of.isoformat(), "icb": self.code, "pcn": pcn,
                "practices": practices}

    def pcn_name(self) -> str:
        pattern = self.rng.randrange(4)
        if pattern == 0:
            return f"{self.place()} and {self.place()} PCN"
        if pattern == 1:
            return f"{self.rng.choice(COMPASS_POINTS)} {self.place()} PCN"
        if pattern == 2:
            return f"{self.place()} Health Network"
        return f"{self.place()} PCN"

    def practice_list_size(self, at_most: int) -> int:
        """A lognormal list size, clipped to the national range, no more than ``at_most``."""
        for _ in range(50):
            size = round(self.rng.lognormvariate(math.log(PRACTICE_LIST_MEDIAN),
                                                 PRACTICE_LIST_SIGMA))
            size = min(MAX_PRACTICE_LIST, max(MIN_PRACTICE_LIST, size))
            if size <= at_most:
                return size
        return MIN_PRACTICE_LIST

    def pcn_lists(self) -> list[int]:
        """Member list sizes gathered until a lognormal target of at least 30,000 is met."""
        target = max(MIN_PCN_POPULATION,
                     self.rng.lognormvariate(math.log(PCN_TARGET_MEDIAN), PCN_TARGET_SIGMA))
        sizes: list[int] = []
        while sum(sizes) < target and len(sizes) < MAX_PRACTICES_PER_PCN:
            sizes.append(self.practice_list_size(MAX_PRACTICE_LIST))
        shortfall = MIN_PCN_POPULATION - sum(sizes)
        if shortfall > 0:
            sizes[-1] += shortfall
        return sizes

    def small_pcn_lists(self) -> list[int]:
        """Member list sizes of a PCN under 30,000 (a sparse rural area)."""
        target = self.rng.uniform(8_000, 28_000)
        sizes = [self.practice_list_size(MIN_PCN_POPULATION - 1)]
        while sum(sizes) < target and len(sizes) < MAX_PRACTICES_PER_PCN:
            room = MIN_PCN_POPULATION - 1 - sum(sizes)
            if room < MIN_PRACTICE_LIST:
                break
            sizes.append(self.practice_list_size(room))
        return sizes

    def enhanced_access(self, adjusted_population: int, broken: set[str]) -> dict:
        rng = self.rng
        required = math.ceil(adjusted_population * 60 / 1000)
        if "enhanced_access_minutes_short" in broken:
            minutes = required - max(1, round(required * rng.uniform(0.03, 0.25)))
        elif rng.random() < 0.25:
            minutes = required
        else:
            minutes = required + round(required * rng.uniform(0.0, 0.12))
        return {
            "minutes_per_week": minutes,
            "weekday_evenings": True,
            "saturdays": "no_saturday_enhanced_access" not in broken,
            "outside_standard_hours_agreed": rng.random() < 0.15,
        }

    def enhanced_access_details(self, code: str) -> dict:
        """Booking and NHS 111 (national), and the facts two local layers ask
        for: online booking (QOP) and hub travel time (QHM)."""
        rng = self.detail_rng(code)
        details = {"bookable_two_weeks_ahead": rng.random() >= 0.005,
                   "same_day_bookable": rng.random() >= 0.005,
                   "unused_offered_to_nhs111": rng.random() >= 0.01}
        if self.code == "QOP":
            details["online_bookable_share"] = round(rng.uniform(0.15, 0.6), 2)
        if self.code == "QHM":
            details["longest_travel_minutes"] = rng.randint(10, 50)
        return details

    def arrs_claims(self, weighted_population: int, broken: set[str]) -> list[dict]:
        rng = self.rng
        count = min(MAX_ARRS_CLAIMS, max(0, round(rng.gauss(weighted_population / 5_500, 2.0))))
        roles = rng.choices(self.roles, self.role_weights, k=count) if self.roles else []
        stale_gp = "arrs_gp_cct_over_2_years" in broken
        if stale_gp and "gp" not in roles:
            if len(roles) == MAX_ARRS_CLAIMS:
                roles.pop()
            roles.append("gp")
        region = self.pick(REGIONS)
        claims = []
        for role in roles:
            claims.append(self.arrs_claim(role, region, stale_gp))
            stale_gp = stale_gp and role != "gp"
        return claims

    def arrs_claim(self, role: str, region: str, stale_gp: bool) -> dict:
        rng = self.rng
        valid_from, _, typical_cost = ARRS_ROLES[role]
        earliest = max(dt.date.fromisoformat(valid_from), self.as_of - dt.timedelta(days=4 * 365))
        start = self.day_between(earliest, self.as_of - dt.timedelta(days=1))
        cost = typical_cost * REGION_UPLIFT[region] * rng.uniform(0.92, 1.06)
        gp_cct_date = None
        if role == "gp":
            days_before = (rng.randint(760, 1500) if stale_gp
                           else rng.randint(0, GP_CCT_WINDOW_DAYS))
            gp_cct_date = (start - dt.timedelta(days=days_before)).isoformat()
        months_since_prior_post = None
        if role.startswith(NURSE_ROLE_PREFIX):
            months_since_prior_post = rng.randint(12, 96)
        return {
            "role": role,
            "wte": 1.0 if rng.random() < 0.6 else rng.randint(2, 9) / 10,
            "annual_cost": min(MAX_ANNUAL_COST, max(MIN_ANNUAL_COST, round(cost))),
            "region": region,
            "start": start.isoformat(),
            "gp_cct_date": gp_cct_date,
            "months_since_prior_post_in_pcn": months_since_prior_post,
        }

    # -- practice ----------------------------------------------------------

    def practice(self, list_size: int, broken: set[str]) -> dict:
        rng = self.rng
        self.practices_made += 1
        core_hours = dict.fromkeys(WEEKDAYS, STANDARD_HOURS)
        if "core_hours_short" in broken:
            core_hours[rng.choice(WEEKDAYS)] = rng.choice(SHORT_HOURS)
        registered = "cqc_not_registered" not in broken
        closure = None
        if rng.random() < 0.03:
            closure = {"requested_months": rng.randint(3, 12),
                       "patients_consulted": True,
                       "neighbouring_practices_consulted": True}
        if "fft_not_submitted_3_months" in broken:
            fft_missing = rng.randint(3, 6)
        else:
            fft_missing = rng.choices((0, 1, 2), (0.85, 0.10, 0.05))[0]
        practice = {
            "ods_code": f"{self.ods_prefix}{self.practices_made:03d}",
            "name": f"{self.place()} {rng.choice(PRACTICE_KINDS)}",
            "contract": self.pick(CONTRACTS),
            "list_size": list_size,
            "weighted_list_size": round(list_size * min(1.1, max(0.9, rng.gauss(1.0, 0.04)))),
            "open_list": closure is not None or rng.random() < 0.98,
            "ooh_opted_out": rng.random() < 0.05,
            "core_hours": core_hours,
            "cqc_registered": registered,
            "cqc_rating": self.pick(CQC_RATINGS) if registered else None,
            "patient_participation_group": "no_patient_participation_group" not in broken,
            "fft_months_not_submitted": fft_missing,
            "online_consultation_hours": dict.fromkeys(WEEKDAYS, STANDARD_HOURS),
            "online_records_access": True,
            "online_registration": True,
            "premium_rate_numbers": "premium_rate_numbers" in broken,
        }
        if closure is not None:
            practice["list_closure_application"] = closure
        practice.update(self.practice_details(practice["ods_code"], registered))
        practice["qof"] = self.qof(list_size)
        return practice

    def practice_details(self, code: str, registered: bool) -> dict:
        """The GMS terms of 2025/26 (rating displayed, first contact
        assessment, telephony data, digital boundary, out-of-area
        registration) and the contractor's form, each met by nearly all."""
        rng = self.detail_rng(code)
        at_scale = rng.random() < 0.02
        details = {"cqc_rating_displayed": registered and rng.random() >= 0.004,
                   "first_contact_assessment": rng.random() >= 0.002,
                   "telephony_data_submitted": rng.random() >= 0.004,
                   "digital_boundary": rng.random() >= 0.004,
                   "out_of_area_registration_at_scale": at_scale}
        if at_scale:
            details["out_of_area_at_scale_approved"] = rng.random() >= 0.1
        form = rng.choices(("partnership", "individual", "company"), (0.8, 0.12, 0.08))[0]
        contractor: dict = {"form": form}
        if form == "partnership":
            contractor.update(gp_general_partners=rng.randint(2, 8), other_doctor_partners=0)
        elif form == "individual":
            contractor["individual_is_gp"] = True
        else:
            contractor["gp_owned_shares"] = rng.randint(1, 100)
        details["contractor"] = contractor
        return details

    def qof(self, list_size: int) -> dict:
        rng = self.rng
        prevalence = {register: min(0.5, national * rng.lognormvariate(0, 0.2))
                      for register, national in NATIONAL_PREVALENCE.items()}
        indicators = {}
        for code, (register, share, mean_achievement) in QOF_INDICATORS.items():
            achievement = min(1.0, max(0.1, rng.gauss(mean_achievement, 0.1)))
            if rng.random() < QOF_ACHIEVEMENT_ONLY_SHARE:
                indicators[code] = {"achievement": round(achievement, 3)}
                continue
            denominator = max(1, round(list_size * prevalence[register] * share))
            pcas = round(denominator * rng.uniform(0.02, 0.15))
            indicators[code] = {"numerator": round((denominator - pcas) * achievement),
                                "denominator": denominator, "pcas": pcas}
        points = rng.uniform(480, 600)
        return {
            "aspiration_base": round(list_size / NATIONAL_AVERAGE_LIST * points * QOF_POINT_VALUE),
            "indicators": indicators,
            "prevalence": {register: {"practice": round(value, 4),
                                      "national": NATIONAL_PREVALENCE[register]}
                           for register, value in prevalence.items()},
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.population",
        description="Write a synthetic population of arrangements as JSON Lines.")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = England (about 1,250 PCNs); default 1.0")
    parser.add_argument("--seed", type=int, default=2025, help="default 2025")
    parser.add_argument("--as-of", default="2025-06-01", help="ISO date; default 2025-06-01")
    parser.add_argument("--icb", choices=ICB_CODES, metavar="CODE",
                        help="only this ICB (e.g. QMM)")
    parser.add_argument("--icbs", type=int, metavar="N", help="only the first N ICBs")
    parser.add_argument("--out", default="-", help="output file; default - (stdout)")
    args = parser.parse_args(argv)
    try:
        arrangements = generate(args.scale, args.seed, args.as_of, args.icbs, icb=args.icb)
        if args.out == "-":
            count = write_jsonl(sys.stdout, arrangements)
        else:
            count = write_jsonl(args.out, arrangements)
    except ValueError as error:
        parser.error(str(error))
    except BrokenPipeError:  # the reader stopped early, as `| head` does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    print(f"wrote {count} arrangements", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
