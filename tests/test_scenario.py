"""Scenario rules beyond the file syntax: reserved names, placement, control parameters, notes."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import scenario_from

from lab import ScenarioError, scenario_json_schema

BASE = {
    "name": "rules",
    "services": [{"name": "web"}, {"name": "db", "data": [{"name": "rows"}]}],
    "calls": [{"from": "web", "to": "db"}],
    "attackers": [{"name": "a", "entry": "internet", "objective": ["rows"]}],
}


def problems(document: dict) -> list[str]:
    with pytest.raises(ScenarioError) as raised:
        scenario_from(document)
    return [f"{p.path}: {p.message}" + (f" ({p.hint})" if p.hint else "") for p in raised.value.problems]


def test_cluster_is_a_reserved_service_name():
    document = copy.deepcopy(BASE)
    document["services"].append({"name": "cluster"})
    assert problems(document) == [
        "services[2].name: the name 'cluster' is reserved for the Kubernetes API in credential grants "
        "(rename the service)"]


def test_external_service_cannot_have_a_node():
    document = copy.deepcopy(BASE)
    document["services"].append({"name": "bank", "kind": "external", "node": "node-1"})
    assert problems(document) == [
        "services[2].node: an external service runs on no node of the cluster (remove `node`, or change `kind`)"]


def test_control_parameter_belongs_to_its_control():
    document = copy.deepcopy(BASE)
    document["postures"] = [{"name": "p", "controls": {"mtls": {"ttl": "5h"}}}]
    assert problems(document) == ["postures[0].controls.mtls.ttl: unknown key 'ttl' (expected one of: enabled)"]


def test_control_parameters_reach_the_posture():
    document = copy.deepcopy(BASE)
    document["postures"] = [{"name": "p", "base": "zero-trust", "controls": {
        "secrets_manager": {"ttl": "15m"}, "gateway": {"block": 0.9}, "mtls": False,
        "observability": {"detect": 0.5, "response_delay": "2h"}}}]
    posture = scenario_from(document).posture("p")
    assert posture.parameters.secret_ttl == 0.25
    assert posture.parameters.gateway_block == 0.9
    assert posture.parameters.detect == 0.5
    assert posture.parameters.response_delay.value == 2.0
    assert "mtls" not in {c.value for c in posture.enabled}
    assert len(posture.enabled) == 9


def test_credential_shared_with_its_target_gets_no_note():
    document = copy.deepcopy(BASE)
    document["credentials"] = [{"name": "pw", "held_by": ["web", "db"], "grants": [{"target": "db"}]}]
    assert scenario_from(document).notes == ()


def test_credential_granting_only_its_holder_gets_a_note():
    document = copy.deepcopy(BASE)
    document["credentials"] = [{"name": "pw", "held_by": ["db"], "grants": [{"target": "db"}]}]
    assert scenario_from(document).notes == (
        "credential 'pw' grants only access its holders already have; it cannot change any result",)


def test_posture_bases_resolve_in_any_order():
    document = copy.deepcopy(BASE)
    document["postures"] = [
        {"name": "second", "base": "first", "controls": {"authz": True}},
        {"name": "first", "base": "initial", "controls": {"mtls": True}},
    ]
    enabled = {c.value for c in scenario_from(document).posture("second").enabled}
    assert enabled == {"network_policy", "gateway", "api_inventory", "mtls", "authz"}


def test_json_schema_accepts_shorthands():
    definitions = scenario_json_schema()["$defs"]
    assert {"enum": ["internet", "insider"]} in definitions["AttackerSpec"]["properties"]["entry"]["anyOf"]
    assert {"type": "boolean"} in definitions["ControlsSpec"]["properties"]["mtls"]["anyOf"]
    assert {"type": "boolean"} in definitions["ControlsSpec"]["properties"]["observability"]["anyOf"]
    assert json.dumps(definitions).count('"type": "boolean"') >= 10


def test_null_control_is_rejected():
    document = copy.deepcopy(BASE)
    document["postures"] = [{"name": "p", "controls": {"mtls": None}}]
    assert problems(document) == [
        "postures[0].controls.mtls: expected true, false or a mapping of parameters such as {enabled: true}, "
        "got null"]


def test_control_value_must_be_boolean_or_mapping():
    document = copy.deepcopy(BASE)
    document["postures"] = [{"name": "p", "controls": {"authz": "yes"}}]
    assert problems(document) == [
        "postures[0].controls.authz: expected true, false or a mapping of parameters such as {enabled: true}, "
        "got string 'yes'"]


def test_objective_listed_twice_is_reported():
    document = copy.deepcopy(BASE)
    document["attackers"][0]["objective"] = ["rows", "rows"]
    assert problems(document) == ["attackers[0].objective[1]: 'rows' is listed twice (list each objective asset once)"]


def test_schema_lists_the_controls_an_exercise_may_cost():
    costs = scenario_json_schema()["$defs"]["ExerciseSpec"]["properties"]["costs"]
    assert costs["propertyNames"]["enum"][0] == "mtls"
    assert len(costs["propertyNames"]["enum"]) == 10
