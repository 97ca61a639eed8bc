"""Measure the engine's speed: trials per second, loading time and the gain from workers.

Run with `python benchmarks/engine.py`; it prints a Markdown report. Each
figure is the median of several repeats measured in one run, so ratios
between rows are more telling than absolute times on a shared machine.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: `python benchmarks/engine.py`

import lab  # noqa: E402
from lab.generate import generate_scenario_yaml  # noqa: E402
REPEATS = 5


def median_seconds(work: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def trials_per_second(scenario: lab.Scenario, posture: str, attacker: str, trials: int, workers: int = 1,
                      repeats: int = REPEATS) -> float:
    chosen, who = scenario.posture(posture), scenario.attacker(attacker)
    seconds = median_seconds(lambda: lab.simulate(scenario, chosen, who, trials, 1, workers), repeats)
    return trials / seconds


def main() -> None:
    print("# Engine benchmark\n")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"median of {REPEATS} repeats.\n")
    boutique = lab.load_scenario(REPO / "scenarios" / "online-boutique.yaml")
    print("## Online Boutique, 1,000 trials per run\n")
    print("| posture | attacker | trials per second |")
    print("|---|---|---|")
    for posture in ("implicit-trust", "zero-trust"):
        for attacker in ("internet-exhaustive", "internet-targeted"):
            rate = trials_per_second(boutique, posture, attacker, 1000)
            print(f"| {posture} | {attacker} | {rate:,.0f} |")
    one = trials_per_second(boutique, "implicit-trust", "internet-exhaustive", 4000, 1, 3)
    two = trials_per_second(boutique, "implicit-trust", "internet-exhaustive", 4000, 2, 3)
    print(f"\n`--workers 2` against `--workers 1` (4,000 trials, implicit trust): {two / one:.2f}x\n")
    print("## Generated meshes (`lab generate`, seed 1), implicit trust\n")
    print("| services | load and validate (s) | exhaustive `outsider` (trials/s) | targeted `foothold` (trials/s) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for size, trials, repeats in ((100, 50, 3), (1000, 2, 1), (5000, 0, 1)):
            path = Path(folder) / f"mesh-{size}.yaml"
            path.write_text(generate_scenario_yaml(size, 1))
            load = median_seconds(lambda: lab.load_scenario(path), repeats)
            if not trials:
                print(f"| {size:,} | {load:.2f} | not measured | not measured |")
                continue
            scenario = lab.load_scenario(path)
            rates = [trials_per_second(scenario, "implicit-trust", name, trials, 1, repeats)
                     for name in ("outsider", "foothold")]
            print(f"| {size:,} | {load:.2f} | {rates[0]:,.2f} | {rates[1]:,.2f} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
