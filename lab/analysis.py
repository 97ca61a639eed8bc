"""Aggregate statistics of Monte Carlo trials, and paired comparisons of postures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lab.engine.trial import TrialResult
from lab.model import Scenario

BOOTSTRAP_RESAMPLES = 2000
# The p95 is an observed value (the smallest with at least 95% of trials at
# or below it), so a count of services stays a whole number.
P95_METHOD = "inverted_cdf"


def _p95(values: np.ndarray) -> float:
    return float(np.percentile(values, 95, method=P95_METHOD))


@dataclass(frozen=True, slots=True)
class Summary:
    mean: float
    median: float
    p95: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        array = np.asarray(values, dtype=float)
        return cls(float(array.mean()), float(np.median(array)), _p95(array),
                   float(array.max()))


@dataclass(frozen=True, slots=True)
class TimeSummary:
    """Times (hours) of an event that happens in only some trials."""

    probability: float
    median: float
    p95: float

    @classmethod
    def of(cls, times: Sequence[float]) -> TimeSummary:
        finite = [t for t in times if math.isfinite(t)]
        if not finite:
            return cls(0.0, math.inf, math.inf)
        return cls(len(finite) / len(times), float(np.median(finite)), _p95(np.asarray(finite, dtype=float)))


@dataclass(frozen=True)
class TrialRow:
    """The per-trial numbers that statistics and the CSV output use."""

    index: int
    blast_radius: int
    compromised: int
    accessed: int
    exposure_exfiltrated: int
    exposure_touched: int
    objective_exfiltrated_at: float
    objective_touched_at: float
    detected_at: float
    attempts: int


def trial_row(scenario: Scenario, objective: Sequence[str], result: TrialResult) -> TrialRow:
    assets = scenario.assets
    reached = result.reached
    compromised = set(result.compromised) - {result.entry}
    exfiltrated_at = min((result.exfiltrated.get(a, math.inf) for a in objective), default=math.inf)
    touched_at = min((result.touched.get(a, math.inf) for a in objective), default=math.inf)
    return TrialRow(
        index=result.index,
        blast_radius=len(reached),
        compromised=len(compromised),
        accessed=len(reached - compromised),
        exposure_exfiltrated=sum(assets[a].sensitivity for a in result.exfiltrated),
        exposure_touched=sum(assets[a].sensitivity for a in set(result.touched) | set(result.exfiltrated)),
        objective_exfiltrated_at=exfiltrated_at,
        objective_touched_at=touched_at,
        detected_at=result.first_detection,
        attempts=result.attempts,
    )


@dataclass(frozen=True)
class PostureStats:
    """Aggregates over the trials of one posture and one attacker."""

    posture: str
    attacker: str
    trials: int
    blast_radius: Summary
    compromised: Summary
    accessed: Summary
    exposure_exfiltrated: Summary
    exposure_touched: Summary
    objective_exfiltrated: TimeSummary
    objective_touched: TimeSummary
    detection: TimeSummary
    objective_assets: dict[str, dict[str, float]]
    service_compromise: dict[str, float]
    service_reach: dict[str, float]
    rows: tuple[TrialRow, ...]


def posture_stats(scenario: Scenario, posture: str, attacker: str, results: Sequence[TrialResult]) -> PostureStats:
    objective = scenario.attacker(attacker).objective
    rows = tuple(trial_row(scenario, objective, r) for r in results)
    count = len(results)
    names = [s.name for s in scenario.services]
    return PostureStats(
        posture=posture,
        attacker=attacker,
        trials=count,
        blast_radius=Summary.of([r.blast_radius for r in rows]),
        compromised=Summary.of([r.compromised for r in rows]),
        accessed=Summary.of([r.accessed for r in rows]),
        exposure_exfiltrated=Summary.of([r.exposure_exfiltrated for r in rows]),
        exposure_touched=Summary.of([r.exposure_touched for r in rows]),
        objective_exfiltrated=TimeSummary.of([r.objective_exfiltrated_at for r in rows]),
        objective_touched=TimeSummary.of([r.objective_touched_at for r in rows]),
        detection=TimeSummary.of([r.detected_at for r in rows]),
        objective_assets={
            asset: {
                "exfiltrated": sum(asset in r.exfiltrated for r in results) / count,
                "touched": sum(asset in r.touched or asset in r.exfiltrated for r in results) / count,
            }
            for asset in objective
        },
        service_compromise={n: sum(n in r.compromised for r in results) / count for n in names},
        service_reach={n: sum(n in r.compromised or n in r.accessed for r in results) / count for n in names},
        rows=rows,
    )


@dataclass(frozen=True, slots=True)
class Difference:
    """A metric under two postures: B minus A and B over A, with 95% bootstrap intervals."""

    metric: str
    a: float
    b: float
    difference: float
    difference_low: float
    difference_high: float
    ratio: float
    ratio_low: float
    ratio_high: float


# Metric name -> (per-trial column, statistic).
COMPARED_METRICS: dict[str, tuple[str, str]] = {
    "blast_radius_mean": ("blast_radius", "mean"),
    "blast_radius_p95": ("blast_radius", "p95"),
    "compromised_mean": ("compromised", "mean"),
    "exposure_exfiltrated_mean": ("exposure_exfiltrated", "mean"),
    "objective_exfiltrated_probability": ("objective_exfiltrated", "probability"),
    "objective_touched_probability": ("objective_touched", "probability"),
    "detection_probability": ("detected", "probability"),
}


def _column(stats: PostureStats, column: str) -> np.ndarray:
    rows = stats.rows
    if column == "objective_exfiltrated":
        return np.array([math.isfinite(r.objective_exfiltrated_at) for r in rows], dtype=float)
    if column == "objective_touched":
        return np.array([math.isfinite(r.objective_touched_at) for r in rows], dtype=float)
    if column == "detected":
        return np.array([math.isfinite(r.detected_at) for r in rows], dtype=float)
    return np.array([getattr(r, column) for r in rows], dtype=float)


def _statistic(values: np.ndarray, statistic: str) -> np.ndarray:
    if statistic == "p95":
        return np.percentile(values, 95, axis=-1, method=P95_METHOD)
    return values.mean(axis=-1)


def compare(a: PostureStats, b: PostureStats, seed: int,
            resamples: int = BOOTSTRAP_RESAMPLES) -> list[Difference]:
    """Compare two postures trial by trial.

    Both ran on common random numbers, so trial i of each is a pair; the
    bootstrap resamples pairs, which keeps intervals of differences tight.
    """
    if a.trials != b.trials:
        raise ValueError("paired comparison needs the same number of trials")
    generator = np.random.Generator(np.random.PCG64(seed))
    picks = generator.integers(0, a.trials, size=(resamples, a.trials))
    differences = []
    for metric, (column, statistic) in COMPARED_METRICS.items():
        values_a, values_b = _column(a, column), _column(b, column)
        point_a = float(_statistic(values_a, statistic))
        point_b = float(_statistic(values_b, statistic))
        boot_a = _statistic(values_a[picks], statistic)
        boot_b = _statistic(values_b[picks], statistic)
        diff = boot_b - boot_a
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(boot_a > 0, boot_b / np.where(boot_a > 0, boot_a, 1), np.nan)
        finite_ratio = ratio[np.isfinite(ratio)]
        differences.append(Difference(
            metric=metric, a=point_a, b=point_b, difference=point_b - point_a,
            difference_low=float(np.percentile(diff, 2.5)), difference_high=float(np.percentile(diff, 97.5)),
            ratio=point_b / point_a if point_a > 0 else math.nan,
            ratio_low=float(np.percentile(finite_ratio, 2.5)) if finite_ratio.size else math.nan,
            ratio_high=float(np.percentile(finite_ratio, 97.5)) if finite_ratio.size else math.nan,
        ))
    return differences
