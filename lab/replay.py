"""Rebuilding a trial's state from its event timeline, event by event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lab.engine.actions import Effect, Event, Outcome
from lab.model import Entry, Scenario


@dataclass
class ReplayState:
    """Attacker gains after some prefix of a timeline; values are hours."""

    compromised: dict[str, float] = field(default_factory=dict)
    accessed: dict[str, float] = field(default_factory=dict)
    touched: dict[str, float] = field(default_factory=dict)
    exfiltrated: dict[str, float] = field(default_factory=dict)
    credentials: dict[str, float] = field(default_factory=dict)
    isolated: dict[str, float] = field(default_factory=dict)


def replay(scenario: Scenario, entry: Entry, events: Sequence[Event], count: int | None = None) -> ReplayState:
    """Apply the first `count` events (all when None) to the entry state.

    The final state of a whole timeline equals the trial's result; a test
    checks this on generated scenarios.
    """
    assets = {s.name: [a.name for a in s.assets] for s in scenario.services}
    state = ReplayState()

    def compromise(name: str, time: float) -> None:
        if name in state.compromised:
            return
        state.compromised[name] = time
        state.accessed.setdefault(name, time)
        for asset in assets[name]:
            state.exfiltrated.setdefault(asset, time)

    if entry.kind == "service" and entry.name:
        compromise(entry.name, 0.0)
    elif entry.kind == "credential" and entry.name:
        state.credentials[entry.name] = 0.0
    for event in events[:count]:
        if event.outcome is Outcome.ISOLATED:
            state.isolated.setdefault(event.target, event.end)
        if event.outcome is not Outcome.SUCCESS:
            continue
        if event.effect is Effect.COMPROMISE:
            compromise(event.target, event.end)
        elif event.effect is Effect.ACCESS:
            state.accessed.setdefault(event.target, event.end)
            for asset in event.gained:
                state.touched.setdefault(asset, event.end)
        elif event.effect is Effect.EXFILTRATE:
            state.accessed.setdefault(event.target, event.end)
            for asset in event.gained:
                state.exfiltrated.setdefault(asset, event.end)
        elif event.effect is Effect.OBTAIN:
            for credential in event.gained:
                state.credentials.setdefault(credential, event.end)
    return state
