"""The names of England's 42 integrated care boards, by the code an
arrangement's `icb` fact gives, for reports that list ICBs (a population's
HTML page): "QMM" alone says little to a reader outside NHS England.

Source: the ICB codes and names published with NHS Payments to General
Practice, England, 2022/23 (NHS England, Open Government Licence v3), as in
the sub-ICB to ICB table that tools/real_population.py reads
(`subicb-icb-code.csv`); each name without its "NHS" and "Integrated Care
Board". A code not in the table (a later merger,
a test's own code) is shown as given, with no name: a name is never guessed.
"""

from __future__ import annotations

ICB_NAMES: dict[str, str] = {
    "QE1": "Lancashire and South Cumbria",
    "QF7": "South Yorkshire",
    "QGH": "Herefordshire and Worcestershire",
    "QH8": "Mid and South Essex",
    "QHG": "Bedfordshire, Luton and Milton Keynes",
    "QHL": "Birmingham and Solihull",
    "QHM": "North East and North Cumbria",
    "QJ2": "Derby and Derbyshire",
    "QJG": "Suffolk and North East Essex",
    "QJK": "Devon",
    "QJM": "Lincolnshire",
    "QK1": "Leicester, Leicestershire and Rutland",
    "QKK": "South East London",
    "QKS": "Kent and Medway",
    "QM7": "Hertfordshire and West Essex",
    "QMF": "North East London",
    "QMJ": "North Central London",
    "QMM": "Norfolk and Waveney",
    "QNC": "Staffordshire and Stoke-on-Trent",
    "QNQ": "Frimley",
    "QNX": "Sussex",
    "QOC": "Shropshire, Telford and Wrekin",
    "QOP": "Greater Manchester",
    "QOQ": "Humber and North Yorkshire",
    "QOX": "Bath and North East Somerset, Swindon and Wiltshire",
    "QPM": "Northamptonshire",
    "QR1": "Gloucestershire",
    "QRL": "Hampshire and Isle of Wight",
    "QRV": "North West London",
    "QSL": "Somerset",
    "QT1": "Nottingham and Nottinghamshire",
    "QT6": "Cornwall and the Isles of Scilly",
    "QU9": "Buckinghamshire, Oxfordshire and Berkshire West",
    "QUA": "Black Country",
    "QUE": "Cambridgeshire and Peterborough",
    "QUY": "Bristol, North Somerset and South Gloucestershire",
    "QVV": "Dorset",
    "QWE": "South West London",
    "QWO": "West Yorkshire",
    "QWU": "Coventry and Warwickshire",
    "QXU": "Surrey Heartlands",
    "QYG": "Cheshire and Merseyside",
}


def icb_name(code: str | None) -> str:
    """The ICB's name for its code ("Norfolk and Waveney"), or "" when the
    table has none."""
    return ICB_NAMES.get(code or "", "")


__all__ = ["ICB_NAMES", "icb_name"]
