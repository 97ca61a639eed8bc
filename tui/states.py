"""Node states of the service graph, from Monte Carlo statistics or from one trial's timeline."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import lab

INTERNET = "internet"
INSIDER = "insider"
# A service is drawn in a state when it is in that state in at least this
# share of the trials.
MAJORITY = 0.5


class NodeState(Enum):
    """State of a service in an attack; each state has a symbol, so it reads without colour."""

    CLEAN = ("○", "clean")
    ACCESSED = ("◐", "data accessed")
    COMPROMISED = ("●", "compromised")
    OBJECTIVE = ("◉", "objective reached")
    ISOLATED = ("☒", "isolated")
    ENTRY = ("◆", "attacker entry")

    @property
    def symbol(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]


@dataclass(frozen=True)
class Move:
    """A successful step of the attacker from one graph node to another."""

    source: str
    target: str


def objective_holders(scenario: lab.Scenario, attacker: str) -> dict[str, str]:
    """Map each objective asset of the attacker to the service that stores it."""
    wanted = set(scenario.attacker(attacker).objective)
    return {asset.name: asset.holder for asset in scenario.assets.values() if asset.name in wanted}


def run_states(scenario: lab.Scenario, stats: lab.PostureStats, isolated: dict[str, float]) -> dict[str, NodeState]:
    """Return each service's state in the majority of trials, or CLEAN when no state has a majority."""
    holders = objective_holders(scenario, stats.attacker)
    states: dict[str, NodeState] = {}
    for service in scenario.services:
        name = service.name
        if any(stats.objective_assets[a]["exfiltrated"] >= MAJORITY for a, h in holders.items() if h == name):
            states[name] = NodeState.OBJECTIVE
        elif isolated.get(name, 0.0) >= MAJORITY:
            states[name] = NodeState.ISOLATED
        elif stats.service_compromise[name] >= MAJORITY:
            states[name] = NodeState.COMPROMISED
        elif stats.service_reach[name] >= MAJORITY:
            states[name] = NodeState.ACCESSED
        else:
            states[name] = NodeState.CLEAN
    return states


def step_time(result: lab.TrialResult, step: int) -> float:
    """Return the simulated time (hours) after `step` events; step 0 is the start of the trial."""
    if step <= 0 or not result.events:
        return 0.0
    return result.events[min(step, len(result.events)) - 1].end


def trial_states(scenario: lab.Scenario, attacker: str, result: lab.TrialResult, step: int) -> dict[str, NodeState]:
    """Return each service's state after the first `step` events of a trial.

    The objective outranks isolation, which outranks compromise: a service
    whose objective data was taken stays marked even after it is isolated.
    """
    holders = objective_holders(scenario, attacker)
    reached = _reached_by(result, step)
    taken = {holders[a] for a, t in result.exfiltrated.items() if a in holders and reached(holders[a], t)}
    states: dict[str, NodeState] = {}
    for service in scenario.services:
        name = service.name
        if name in taken:
            states[name] = NodeState.OBJECTIVE
        elif reached(name, result.isolated.get(name, math.inf)):
            states[name] = NodeState.ISOLATED
        elif reached(name, result.compromised.get(name, math.inf)):
            states[name] = NodeState.COMPROMISED
        elif reached(name, result.accessed.get(name, math.inf)):
            states[name] = NodeState.ACCESSED
        else:
            states[name] = NodeState.CLEAN
    return states


def _reached_by(result: lab.TrialResult, step: int) -> Callable[[str, float], bool]:
    """Return a test of whether something that happened to a service at time t is visible after `step` events.

    Several events can end at the same instant: a container escape
    compromises every workload on the node at once. So a time equal to the
    step's time counts only when one of the first `step` events ended then
    with the service as its target. Changes that no event explains, such as
    the entry foothold at time 0, count from the start.
    """
    now = step_time(result, step)
    seen = {(event.target, event.end) for event in result.events[:max(0, step)]}
    later = {(event.target, event.end) for event in result.events[max(0, step):]}

    def reached(name: str, time: float) -> bool:
        if time < now:
            return True
        if time > now:
            return False
        return (name, time) in seen or (name, time) not in later

    return reached


def trial_moves(scenario: lab.Scenario, result: lab.TrialResult, step: int) -> list[Move]:
    """Return the successful attacker steps among the first `step` events, between graph nodes only.

    Steps to or from a Kubernetes node or a credential are left out because
    the graph does not draw them; the event list shows them.
    """
    names = {service.name for service in scenario.services} | {INTERNET, INSIDER}
    moves: list[Move] = []
    for event in result.events[:max(0, step)]:
        if event.outcome is not lab.Outcome.SUCCESS or event.source == event.target:
            continue
        if event.source in names and event.target in names and Move(event.source, event.target) not in moves:
            moves.append(Move(event.source, event.target))
    return moves


def path_moves(path: list[str], entry: str) -> list[Move]:
    """Turn a static attack path (`entry`, `service:frontend`, ...) into moves between graph nodes."""
    services: list[str] = []
    for node in path:
        kind, _, name = node.partition(":")
        if node == "entry":
            services.append(entry)
        elif kind in ("service", "access") and name and (not services or services[-1] != name):
            services.append(name)
    return [Move(a, b) for a, b in zip(services, services[1:], strict=False)]
