"""Monte Carlo runs: many trials of one posture, in one process or several.

Trial i depends only on (seed, i) and the world, so results are the same
whatever the chunking, order or number of worker processes.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from lab.controls import Posture
from lab.engine.static import StaticGraph, build_static_graph
from lab.engine.trial import TrialResult, run_trial
from lab.engine.world import World
from lab.errors import EngineError
from lab.model import Attacker, Scenario
from lab.schema import Strategy

Progress = Callable[[int], None]
ChunkDone = Callable[[list[TrialResult]], None]
CHUNK = 50


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Simulation request: a posture and an attacker of a scenario, over trials [start, stop)."""

    scenario: Scenario
    posture: Posture
    attacker: Attacker
    seed: int
    start: int
    stop: int
    keep_events: bool = False


# Worlds and plans already built in this process, so that the chunks of one
# run share them. Keyed by the scenario file's digest, posture and attacker.
_PREPARED: dict[tuple[str, str, Posture, Attacker], tuple[World, dict[str, float]]] = {}


def _prepare(request: RunRequest) -> tuple[World, dict[str, float]]:
    scenario = request.scenario
    key = (scenario.digest, scenario.name, request.posture, request.attacker)
    prepared = _PREPARED.get(key) if scenario.digest else None
    if prepared is None:
        world = World(scenario, request.posture, request.attacker)
        # Only the targeted attacker plans with the static graph's distances.
        targeted = request.attacker.strategy is Strategy.TARGETED
        prepared = (world, build_static_graph(world).distances if targeted else {})
        if scenario.digest:
            if len(_PREPARED) >= 32:
                _PREPARED.clear()
            _PREPARED[key] = prepared
    return prepared


def run_chunk(request: RunRequest) -> list[TrialResult]:
    """Simulate one chunk of trials; module-level so worker processes can call it."""
    world, distances = _prepare(request)
    return [
        run_trial(world, index, request.seed, request.keep_events, distances)
        for index in range(request.start, request.stop)
    ]


def simulate(scenario: Scenario, posture: Posture, attacker: Attacker, trials: int, seed: int,
             workers: int = 1, progress: Progress | None = None,
             keep_events: bool = False, start: int = 0,
             on_chunk: ChunkDone | None = None) -> list[TrialResult]:
    """Run trials `start` to `trials - 1` and return their results in trial order.

    `progress` is called with the number of trials finished in each step, and
    `on_chunk` with each finished chunk of results, in trial order.
    """
    if trials < 1:
        raise EngineError(f"trials must be at least 1, got {trials}")
    if workers < 1:
        raise EngineError(f"workers must be at least 1, got {workers}")
    requests = [
        RunRequest(scenario, posture, attacker, seed, begin, min(begin + CHUNK, trials), keep_events)
        for begin in range(start, trials, CHUNK)
    ]
    results: list[TrialResult] = []
    for chunk in _map(requests, workers):
        results.extend(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
        if progress is not None:
            progress(len(chunk))
    return results


def _ignore_interrupts() -> None:
    """Leave Ctrl-C to the parent process, which stops the pool and keeps finished chunks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _map(requests: list[RunRequest], workers: int) -> Iterator[list[TrialResult]]:
    if workers == 1 or len(requests) == 1:
        for request in requests:
            yield run_chunk(request)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    try:
        yield from pool.map(run_chunk, requests)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def static_graph(scenario: Scenario, posture: Posture, attacker: Attacker) -> StaticGraph:
    return build_static_graph(World(scenario, posture, attacker))


def sample_trial(scenario: Scenario, posture: Posture, attacker: Attacker, seed: int,
                 index: int = 0) -> TrialResult:
    """Re-run one trial with its full event timeline."""
    return run_chunk(RunRequest(scenario, posture, attacker, seed, index, index + 1, True))[0]
