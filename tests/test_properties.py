"""Properties of the engine on generated scenarios and postures."""

from __future__ import annotations

import math
from typing import Any

from conftest import posture, scenario_from
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab import static_graph
from lab.controls import Control, Parameters
from lab.engine.actions import Outcome
from lab.engine.runner import sample_trial
from lab.engine.trial import TrialResult
from lab.replay import replay
from lab.schema import Strategy

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenario_documents(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(2, 7))
    names = [f"s{i}" for i in range(count)]
    services = []
    for index, name in enumerate(names):
        kind = draw(st.sampled_from(["service", "service", "datastore", "queue", "external"])) if index else "service"
        service: dict[str, Any] = {
            "name": name, "kind": kind, "zone": draw(st.sampled_from(["a", "b"])),
            "exposed": draw(st.booleans()), "identity": draw(st.sampled_from([name, "shared"])),
        }
        if kind != "external":
            service["node"] = draw(st.sampled_from(["n1", "n2", "n3"]))
        if index == 0 or draw(st.booleans()):
            service["data"] = [{"name": f"{name}-data", "sensitivity": draw(st.integers(1, 5))}]
        severities = draw(st.lists(st.sampled_from(["critical", "high", "medium", "low"]), max_size=2))
        service["vulnerabilities"] = [{"id": f"{name}-v{j}", "severity": s} for j, s in enumerate(severities)]
        if draw(st.integers(0, 4)) == 0:
            service["shadow_apis"] = [{"name": "debug", "effect": draw(st.sampled_from(["read", "compromise"]))}]
        services.append(service)
    credential_names = [f"c{i}" for i in range(draw(st.integers(0, 3)))]
    credentials = []
    for name in credential_names:
        holders = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        targets = draw(st.lists(st.sampled_from([*names, "cluster"]), max_size=2, unique=True))
        credential: dict[str, Any] = {
            "name": name, "held_by": holders,
            "storage": draw(st.sampled_from(["env", "file", "secrets_manager"])),
            "grants": [{"target": t, "access": draw(st.sampled_from(["read", "write", "admin"]))} for t in targets],
        }
        if draw(st.booleans()):
            credential["lifetime"] = draw(st.sampled_from(["10m", "1h", "1d"]))
        if draw(st.booleans()):
            credential["rotation"] = {"every": draw(st.sampled_from(["30m", "2h"])), "revoke_old": draw(st.booleans())}
        credentials.append(credential)
    pairs = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=12, unique=True))
    data_of = {s["name"]: [a["name"] for a in s.get("data", [])] for s in services}
    calls = []
    for source, target in pairs:
        call: dict[str, Any] = {"from": source, "to": target,
                                "protocol": draw(st.sampled_from(["http", "https", "grpc"]))}
        if data_of[target] and draw(st.booleans()):
            call["reads"] = data_of[target]
        if credential_names and draw(st.booleans()):
            call["credential"] = draw(st.sampled_from(credential_names))
        calls.append(call)
    entry_kinds = ["internet", "insider", "service"] + (["credential"] if credential_names else [])
    entry_kind = draw(st.sampled_from(entry_kinds))
    entry: Any = entry_kind
    if entry_kind == "service":
        entry = {"service": draw(st.sampled_from(names))}
    elif entry_kind == "credential":
        entry = {"credential": draw(st.sampled_from(credential_names))}
    assets = [a for values in data_of.values() for a in values]
    attacker = {
        "name": "attacker", "entry": entry, "strategy": draw(st.sampled_from(["exhaustive", "targeted"])),
        "objective": draw(st.lists(st.sampled_from(assets), min_size=1, max_size=2, unique=True)),
        "horizon": draw(st.sampled_from(["1d", "7d", "30d"])),
    }
    return {"name": "generated", "services": services, "calls": calls, "credentials": credentials,
            "attackers": [attacker], "simulation": {"nodes": 2}}


controls = st.frozensets(st.sampled_from(list(Control)))


def trial(document: dict[str, Any], enabled: frozenset[Control], index: int,
          parameters: Parameters | None = None) -> tuple[Any, TrialResult]:
    scenario = scenario_from(document)
    chosen = posture(*enabled, parameters=parameters or Parameters())
    return scenario, sample_trial(scenario, chosen, scenario.attackers[0], 3, index)


@SETTINGS
@given(scenario_documents(), controls, st.integers(0, 1000))
def test_trial_stays_inside_static_graph(document, enabled, index):
    scenario, result = trial(document, enabled, index)
    static = static_graph(scenario, posture(*enabled, parameters=Parameters()), scenario.attackers[0])
    assert set(result.compromised) <= static.services
    assert set(result.accessed) <= static.reached
    assert set(result.exfiltrated) <= static.exfiltrated
    assert set(result.touched) <= static.touched
    assert set(result.credentials) <= static.credentials


@SETTINGS
@given(scenario_documents(), controls, st.integers(0, 1000))
def test_event_times_are_ordered_and_inside_horizon(document, enabled, index):
    scenario, result = trial(document, enabled, index)
    horizon = scenario.attackers[0].horizon
    ends = [e.end for e in result.events]
    assert ends == sorted(ends)
    for event in result.events:
        assert 0 <= event.time <= event.end <= horizon
        assert (event.end == horizon) == (event.outcome is Outcome.UNFINISHED)


@SETTINGS
@given(scenario_documents(), controls, st.integers(0, 1000))
def test_events_replay_to_final_state(document, enabled, index):
    scenario, result = trial(document, enabled, index)
    state = replay(scenario, scenario.attackers[0].entry, result.events)
    assert state.compromised == result.compromised
    assert state.accessed == result.accessed
    assert state.touched == result.touched
    assert state.exfiltrated == result.exfiltrated
    assert state.credentials == result.credentials
    assert state.isolated == result.isolated


@SETTINGS
@given(scenario_documents(), controls, st.integers(0, 1000))
def test_observability_never_helps_an_exhaustive_attacker(document, enabled, index):
    document["attackers"][0]["strategy"] = Strategy.EXHAUSTIVE.value
    _, watched = trial(document, enabled | {Control.OBSERVABILITY}, index)
    _, unwatched = trial(document, enabled - {Control.OBSERVABILITY}, index)
    assert set(watched.compromised) <= set(unwatched.compromised)
    assert set(watched.exfiltrated) <= set(unwatched.exfiltrated)
    if math.isfinite(unwatched.first_detection):
        assert math.isfinite(watched.first_detection)
