"""A comparison study: several postures, each against every attacker of a scenario."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lab.analysis import Difference, PostureStats, compare, posture_stats
from lab.engine.runner import Progress, simulate
from lab.engine.trial import TrialResult
from lab.errors import EngineError
from lab.model import Scenario

DEFAULT_POSTURES = ("implicit-trust", "zero-trust")
ChunkRecorder = Callable[[str, str, list[TrialResult]], None]


@dataclass
class Study:
    scenario: Scenario
    postures: tuple[str, ...]
    attackers: tuple[str, ...]
    trials: int
    seed: int
    results: dict[tuple[str, str], list[TrialResult]] = field(default_factory=dict)
    stats: dict[tuple[str, str], PostureStats] = field(default_factory=dict)

    def comparisons(self) -> dict[tuple[str, str, str], list[Difference]]:
        """Compare each posture after the first with the first, per attacker."""
        baseline = self.postures[0]
        return {
            (attacker, baseline, other): compare(self.stats[(baseline, attacker)],
                                                 self.stats[(other, attacker)], self.seed)
            for attacker in self.attackers
            for other in self.postures[1:]
        }


def plan_study(scenario: Scenario, postures: Sequence[str] | None = None,
               attackers: Sequence[str] | None = None, trials: int | None = None,
               seed: int | None = None) -> Study:
    """Check the request against the scenario and return an empty study."""
    chosen = tuple(postures or DEFAULT_POSTURES)
    for name in chosen:
        scenario.posture(name)
    if len(set(chosen)) != len(chosen):
        raise EngineError("each posture may be listed once")
    chosen_attackers = tuple(attackers or [a.name for a in scenario.attackers])
    for name in chosen_attackers:
        scenario.attacker(name)
    return Study(scenario, chosen, chosen_attackers, trials or scenario.trials,
                 scenario.seed if seed is None else seed)


def run_study(study: Study, workers: int = 1, progress: Progress | None = None,
              on_chunk: ChunkRecorder | None = None,
              done: dict[tuple[str, str], list[TrialResult]] | None = None) -> Study:
    """Simulate every posture against every attacker and aggregate the results.

    `done` contains trials finished earlier (from a checkpoint), which are kept
    and not run again; `on_chunk(posture, attacker, results)` is called for
    each newly finished chunk, in trial order.
    """
    scenario = study.scenario
    for attacker in study.attackers:
        for posture in study.postures:
            results = list((done or {}).get((posture, attacker), []))
            if progress is not None and results:
                progress(len(results))
            if len(results) < study.trials:
                record = None
                if on_chunk is not None:
                    def record(chunk: list[TrialResult], p: str = posture, a: str = attacker) -> None:
                        on_chunk(p, a, chunk)
                results += simulate(scenario, scenario.posture(posture), scenario.attacker(attacker),
                                    study.trials, study.seed, workers, progress, start=len(results),
                                    on_chunk=record)
            study.results[(posture, attacker)] = results
            study.stats[(posture, attacker)] = posture_stats(scenario, posture, attacker, results)
    return study


def _number(value: float) -> float | None:
    """Round for stable, readable JSON; infinity (never) becomes null."""
    if not math.isfinite(value):
        return None
    return round(value, 6)


def _summary(summary: Any) -> dict[str, Any]:
    return {name: _number(getattr(summary, name)) for name in summary.__slots__}


def stats_document(stats: PostureStats) -> dict[str, Any]:
    return {
        "posture": stats.posture,
        "attacker": stats.attacker,
        "trials": stats.trials,
        "blast_radius_services": _summary(stats.blast_radius),
        "compromised_services": _summary(stats.compromised),
        "accessed_only_services": _summary(stats.accessed),
        "exposure_exfiltrated_sensitivity": _summary(stats.exposure_exfiltrated),
        "exposure_touched_sensitivity": _summary(stats.exposure_touched),
        "objective_exfiltrated_hours": _summary(stats.objective_exfiltrated),
        "objective_touched_hours": _summary(stats.objective_touched),
        "detection_hours": _summary(stats.detection),
        "objective_assets": {k: {m: _number(v) for m, v in d.items()} for k, d in stats.objective_assets.items()},
        "service_compromise_probability": {k: _number(v) for k, v in stats.service_compromise.items()},
        "service_reach_probability": {k: _number(v) for k, v in stats.service_reach.items()},
    }


def study_document(study: Study) -> dict[str, Any]:
    """Return the whole study as JSON-ready data; the same inputs give the same document."""
    scenario = study.scenario
    return {
        "scenario": {"name": scenario.name, "source": scenario.source, "sha256": scenario.digest},
        "seed": study.seed,
        "trials": study.trials,
        "postures": {
            name: sorted(control.value for control in scenario.posture(name).enabled)
            for name in study.postures
        },
        "attackers": {
            a.name: {"entry": str(a.entry), "strategy": a.strategy.value, "objective": list(a.objective),
                     "horizon_hours": a.horizon, "skill": a.skill}
            for a in (scenario.attacker(n) for n in study.attackers)
        },
        "results": [stats_document(study.stats[(p, a)]) for a in study.attackers for p in study.postures],
        "comparisons": [
            {
                "attacker": attacker, "baseline": baseline, "posture": other,
                "metrics": {
                    d.metric: {
                        "baseline": _number(d.a), "posture": _number(d.b),
                        "difference": _number(d.difference),
                        "difference_ci95": [_number(d.difference_low), _number(d.difference_high)],
                        "ratio": _number(d.ratio),
                        "ratio_ci95": [_number(d.ratio_low), _number(d.ratio_high)],
                    }
                    for d in differences
                },
            }
            for (attacker, baseline, other), differences in study.comparisons().items()
        ],
    }
