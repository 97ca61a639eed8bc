"""Shared helpers: small scenarios built from dicts, and quiet postures for exact tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import os

import pytest
import yaml
from hypothesis import HealthCheck, settings

from lab import Parameters, Posture, parse_scenario
from lab.controls import Control
from lab.durations import fixed
from lab.engine.runner import sample_trial
from lab.engine.trial import TrialResult
from lab.model import Scenario

# CI runs 2,000 examples per property; a local run 150 unless
# HYPOTHESIS_PROFILE names another profile.
settings.register_profile("default", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

# No detection at all, so trials differ only in timing and outcomes are exact.
SILENT = Parameters(detect=0.0, detect_denied=0.0, baseline_detect=0.0, baseline_detect_denied=0.0)


def scenario_from(document: dict[str, Any]) -> Scenario:
    """Build a scenario from a dict, as if it had been read from a YAML file."""
    return parse_scenario(yaml.safe_dump(document, sort_keys=False).encode(), "test.yaml")


def posture(*controls: Control, parameters: Parameters = SILENT, name: str = "test") -> Posture:
    return Posture(name, frozenset(controls), parameters)


def run(scenario: Scenario, controls: tuple[Control, ...] = (), attacker: str | None = None,
        parameters: Parameters = SILENT, seed: int = 1, index: int = 0) -> TrialResult:
    """Run one trial with its event timeline under the given controls."""
    return sample_trial(scenario, posture(*controls, parameters=parameters), scenario.attacker(attacker),
                        seed, index)


def watchful(response_delay: float = 0.0) -> Parameters:
    """Return observability that detects every action at once and responds after `response_delay` hours."""
    return replace(SILENT, detect=1.0, detect_denied=1.0, detection_delay=fixed(0.0),
                   response_delay=fixed(response_delay))


@pytest.fixture
def tiny_document() -> dict[str, Any]:
    return {
        "name": "tiny",
        "services": [
            {"name": "web", "exposed": True,
             "vulnerabilities": [{"id": "web-rce", "severity": "critical", "success": 1.0}]},
            {"name": "api", "data": [{"name": "orders", "sensitivity": 4}]},
            {"name": "db", "kind": "datastore", "data": [{"name": "customers", "sensitivity": 5}]},
        ],
        "calls": [
            {"from": "web", "to": "api", "operations": ["get-order"], "reads": ["orders"]},
            {"from": "api", "to": "db", "protocol": "tcp", "credential": "db-pass"},
        ],
        "credentials": [
            {"name": "db-pass", "kind": "password", "held_by": ["api"],
             "grants": [{"target": "db", "access": "read"}]},
        ],
        "attackers": [{"name": "outsider", "entry": "internet", "objective": ["customers"], "horizon": "1000w"}],
    }
