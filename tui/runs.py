"""Simulation runs behind the UI, made through the `lab` API and cached.

Widgets never simulate. The app builds a `Request`, a worker thread turns it
into a `Snapshot` with `Runner.snapshot`, and the widgets only display it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace

import lab
from lab.model import Exercise

TRIAL_STEPS = (100, 200, 500, 1000, 2000, 5000, 10_000)
DEFAULT_TRIALS = 500
CACHE_SIZE = 64
PREFERRED_PRESETS = ("implicit-trust", "zero-trust")

ProgressCallback = Callable[[int], None]
CancelCheck = Callable[[], bool]


class Cancelled(Exception):
    """A run stopped because a newer request superseded it."""


@dataclass(frozen=True)
class PostureRun:
    """The trials of one posture against one attacker, with their statistics."""

    posture: lab.Posture
    attacker: str
    trials: int
    seed: int
    results: tuple[lab.TrialResult, ...]
    stats: lab.PostureStats
    isolated: dict[str, float]  # share of trials in which the defender isolated each service


@dataclass(frozen=True)
class ExerciseCheck:
    """Verdict of the current posture against the scenario's exercise."""

    exercise: Exercise
    attacker: str
    enabled: frozenset[lab.Control]
    cost: float
    blast_radius_p95: float
    objective_probability: float

    @property
    def budget_left(self) -> float:
        return self.exercise.budget - self.cost

    @property
    def within_budget(self) -> bool:
        return self.cost <= self.exercise.budget

    @property
    def blast_radius_met(self) -> bool | None:
        """Whether the p95 blast radius is within the limit; None when the exercise sets none."""
        limit = self.exercise.max_blast_radius_p95
        return None if limit is None else self.blast_radius_p95 <= limit

    @property
    def objective_met(self) -> bool | None:
        """Whether the objective probability is within the limit; None when the exercise sets none."""
        limit = self.exercise.max_objective_probability
        return None if limit is None else self.objective_probability <= limit

    @property
    def met(self) -> bool:
        return self.within_budget and self.blast_radius_met is not False and self.objective_met is not False


@dataclass(frozen=True)
class Request:
    """Request for a snapshot: the current posture against a baseline, for one attacker."""

    posture: lab.Posture
    baseline: lab.Posture
    attacker: str
    trials: int
    seed: int


@dataclass(frozen=True)
class Snapshot:
    """Everything the widgets display for one request."""

    request: Request
    current: PostureRun
    baseline: PostureRun
    differences: tuple[lab.Difference, ...]
    sample: lab.TrialResult
    exercise: ExerciseCheck | None


def control_cost(exercise: Exercise, enabled: frozenset[lab.Control]) -> float:
    """Sum the exercise costs of the enabled controls; a control without a listed cost is free."""
    return sum(exercise.costs.get(control.value, 0.0) for control in enabled)


def check_exercise(exercise: Exercise, run: PostureRun) -> ExerciseCheck:
    """Measure a run against the exercise goal; the objective probability is that of exfiltration."""
    stats = run.stats
    return ExerciseCheck(exercise, run.attacker, run.posture.enabled, control_cost(exercise, run.posture.enabled),
                         stats.blast_radius.p95, stats.objective_exfiltrated.probability)


class Runner:
    """Simulation runner for one scenario that keeps the most recent results.

    Trials are deterministic in (posture, attacker, trials, seed), so a cached
    run is the same as a fresh one. The cache is shared between worker
    threads and guarded by a lock.
    """

    def __init__(self, scenario: lab.Scenario) -> None:
        self.scenario = scenario
        self._runs: OrderedDict[Hashable, PostureRun] = OrderedDict()
        self._samples: OrderedDict[Hashable, lab.TrialResult] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(posture: lab.Posture, attacker: str, trials: int, seed: int) -> Hashable:
        return (posture.enabled, posture.parameters, attacker, trials, seed)

    def cached(self, posture: lab.Posture, attacker: str, trials: int, seed: int) -> bool:
        with self._lock:
            return self._key(posture, attacker, trials, seed) in self._runs

    def pending_trials(self, request: Request) -> int:
        """Count the trials a snapshot of `request` still has to simulate."""
        runs = {self._key(p, a, request.trials, request.seed) for p, a in self._needed(request)}
        with self._lock:
            return request.trials * sum(key not in self._runs for key in runs)

    def _needed(self, request: Request) -> list[tuple[lab.Posture, str]]:
        needed = [(request.posture, request.attacker), (request.baseline, request.attacker)]
        exercise = self.scenario.exercise
        if exercise is not None:
            needed.append((request.posture, self.scenario.attacker(exercise.attacker).name))
        return needed

    def posture_run(self, posture: lab.Posture, attacker: str, trials: int, seed: int,
                    progress: ProgressCallback | None = None, cancelled: CancelCheck | None = None) -> PostureRun:
        """Simulate `trials` trials of a posture, or return the cached run.

        Raises:
            Cancelled: `cancelled` returned True between two chunks of trials.
        """
        key = self._key(posture, attacker, trials, seed)
        with self._lock:
            if key in self._runs:
                self._runs.move_to_end(key)
                return _renamed(self._runs[key], posture)

        def advance(done: int) -> None:
            if cancelled is not None and cancelled():
                raise Cancelled
            if progress is not None:
                progress(done)

        results = lab.simulate(self.scenario, posture, self.scenario.attacker(attacker), trials, seed,
                               progress=advance)
        stats = lab.posture_stats(self.scenario, posture.name, attacker, results)
        isolated = {s.name: sum(s.name in r.isolated for r in results) / len(results) for s in self.scenario.services}
        run = PostureRun(posture, attacker, trials, seed, tuple(results), stats, isolated)
        with self._lock:
            self._runs[key] = run
            while len(self._runs) > CACHE_SIZE:
                self._runs.popitem(last=False)
        return run

    def sample(self, posture: lab.Posture, attacker: str, seed: int, index: int = 0) -> lab.TrialResult:
        """Return trial `index` of a posture with its full event timeline."""
        key = (posture.enabled, posture.parameters, attacker, seed, index)
        with self._lock:
            if key in self._samples:
                return self._samples[key]
        result = lab.sample_trial(self.scenario, posture, self.scenario.attacker(attacker), seed, index)
        with self._lock:
            self._samples[key] = result
            while len(self._samples) > CACHE_SIZE:
                self._samples.popitem(last=False)
        return result

    def snapshot(self, request: Request, progress: ProgressCallback | None = None,
                 cancelled: CancelCheck | None = None) -> Snapshot:
        """Simulate what `request` needs and assemble the snapshot the widgets show."""
        runs = [self.posture_run(posture, attacker, request.trials, request.seed, progress, cancelled)
                for posture, attacker in self._needed(request)]
        current, baseline = runs[0], runs[1]
        differences = tuple(lab.compare(baseline.stats, current.stats, request.seed))
        sample = self.sample(request.posture, request.attacker, request.seed)
        exercise = self.scenario.exercise
        checked = check_exercise(exercise, runs[2]) if exercise is not None else None
        return Snapshot(request, current, baseline, differences, sample, checked)

    def posture_table(self, postures: Sequence[lab.Posture], attacker: str, trials: int, seed: int,
                      progress: ProgressCallback | None = None,
                      cancelled: CancelCheck | None = None) -> list[PostureRun]:
        """Run every posture in `postures` (cached where possible), in order."""
        return [self.posture_run(p, attacker, trials, seed, progress, cancelled) for p in postures]


def matching_preset(scenario: lab.Scenario, posture: lab.Posture) -> str | None:
    """Return the scenario posture with the same controls and parameters, preferring implicit-trust and zero-trust.

    Several postures can be equal: implicit-trust and traditional have no
    controls, optimal and zero-trust have all of them.
    """
    names = [name for name in PREFERRED_PRESETS if name in scenario.postures]
    names += [name for name in scenario.postures if name not in names]
    for name in names:
        candidate = scenario.postures[name]
        if candidate.enabled == posture.enabled and candidate.parameters == posture.parameters:
            return name
    return None


def _renamed(run: PostureRun, posture: lab.Posture) -> PostureRun:
    """Return a cached run under the name of an equal posture (zero-trust and optimal, say)."""
    if run.posture.name == posture.name:
        return run
    return replace(run, posture=posture, stats=replace(run.stats, posture=posture.name))


def attack_paths(scenario: lab.Scenario, posture: lab.Posture, attacker: str, service: str) -> dict[str, list[str]]:
    """Return the shortest expected attack paths to code execution on, and API access to, a service.

    Paths come from the static attack graph (unlimited time, no defender);
    an unreachable capability is left out.
    """
    static = lab.static_graph(scenario, posture, scenario.attacker(attacker))
    found: dict[str, list[str]] = {}
    for label, node in (("code execution", f"service:{service}"), ("API access", f"access:{service}")):
        paths = lab.shortest_attack_path(static, node)
        if paths:
            found[label] = paths[0]
    return found


def build_study(scenario: lab.Scenario, runs: Sequence[PostureRun]) -> lab.Study:
    """Wrap runs of one attacker in a `lab` Study, for export.

    Postures that the scenario does not define (a custom mix of controls) are
    added to a copy of the scenario under their own name, so the study
    document lists their controls.
    """
    postures = dict(scenario.postures)
    names: list[str] = []
    for run in runs:
        if run.posture.name not in names:
            postures[run.posture.name] = run.posture
            names.append(run.posture.name)
    first = runs[0]
    study = lab.Study(replace(scenario, postures=postures), tuple(names), (first.attacker,), first.trials, first.seed)
    for run in runs:
        study.results[(run.posture.name, run.attacker)] = list(run.results)
        study.stats[(run.posture.name, run.attacker)] = run.stats
    return study
