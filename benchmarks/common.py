"""What the benchmark scripts share: their options, the population, the machine line."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the development tools (tools/) live beside the package, outside the wheel
    sys.path.insert(0, str(ROOT))

from tools.population import generate, write_jsonl  # noqa: E402


def population_parser(description: str, scale: float = 0.2) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", type=float, default=scale, help="share of England (1 = ~1,250 PCNs)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--as-of", default="2025-06-01")
    return parser


def write_population(folder: str | Path, args: argparse.Namespace) -> tuple[Path, int]:
    """The seeded synthetic population of `args`, as JSON Lines in `folder`."""
    path = Path(folder) / "population.jsonl"
    return path, write_jsonl(path, generate(scale=args.scale, seed=args.seed, as_of=args.as_of))


def machine() -> str:
    return (f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
            f" ({platform.python_implementation()})")


def peak_mb(command: list[str]) -> float:
    """The maximum resident memory of `command`, run in a process of its own,
    in MB: the largest of it and its workers (a pool's workers are its
    children: RUSAGE_CHILDREN holds the largest of the whole tree)."""
    memory = subprocess.run(
        [sys.executable, "-c",
         "import resource, subprocess, sys;"
         "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", *command],
        capture_output=True, text=True, check=True)
    return int(memory.stdout.strip()) / 1024
