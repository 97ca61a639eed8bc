"""Each control on a small scenario where its effect is known exactly."""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import pytest
from conftest import SILENT, posture, run, scenario_from, watchful

from lab import Technique, static_graph
from lab.controls import Control
from lab.engine.actions import Outcome
from lab.engine.world import CredentialPolicy, World
from lab.schema import Access

MESH = {
    "name": "mesh",
    "services": [
        {"name": "edge"},
        {"name": "pivot", "vulnerabilities": [{"id": "pivot-rce", "severity": "critical", "success": 1.0}]},
        {"name": "ledger", "data": [{"name": "accounts", "sensitivity": 5}],
         "vulnerabilities": [{"id": "ledger-rce", "severity": "critical", "success": 1.0}]},
    ],
    "calls": [
        {"from": "edge", "to": "pivot", "port": 443},
        {"from": "pivot", "to": "ledger", "port": 5432, "operations": ["query"], "reads": ["accounts"]},
    ],
    "attackers": [{"name": "a", "entry": {"service": "edge"}, "objective": ["accounts"], "horizon": "1000w"}],
}


def test_network_policy_blocks_undeclared_connection_attempts():
    result = run(scenario_from(MESH), (Control.NETWORK_POLICY,))
    assert not [e for e in result.events if (e.source, e.target) == ("edge", "ledger")]
    assert set(result.compromised) == {"edge", "pivot", "ledger"}


def test_network_policy_leaves_one_path_of_length_two():
    from lab import shortest_attack_path

    scenario = scenario_from(MESH)
    static = static_graph(scenario, posture(Control.NETWORK_POLICY), scenario.attacker(None))
    path = shortest_attack_path(static, "service:ledger")[0]
    assert [node for node in path if node.startswith("service:")] == [
        "service:edge", "service:pivot", "service:ledger"]


def test_without_network_policy_ledger_is_attacked_directly():
    result = run(scenario_from(MESH))
    direct = {(e.technique, e.outcome) for e in result.events if (e.source, e.target) == ("edge", "ledger")}
    assert (Technique.EXPLOIT_REMOTE, Outcome.SUCCESS) in direct


def test_authz_denies_undeclared_caller_and_logs_it():
    result = run(scenario_from(MESH), (Control.AUTHZ,))
    denied = {(e.technique, e.target) for e in result.events if e.outcome is Outcome.DENIED}
    assert (Technique.CALL_INTERNAL_API, "ledger") in denied
    assert (Technique.EXPLOIT_REMOTE, "ledger") in denied


def test_authz_limits_reads_to_declared_operations():
    document = copy.deepcopy(MESH)
    document["services"][1]["data"] = [{"name": "pivot-config", "sensitivity": 2}]
    document["calls"].append({"from": "pivot", "to": "pivot", "reads": ["pivot-config"]})
    document["calls"][0]["reads"] = []
    scenario = scenario_from(document)
    world = World(scenario, posture(Control.AUTHZ), scenario.attacker(None))
    assert [c.id for c in world.permitted_calls("edge", "pivot")] == ["edge>pivot"]
    assert world.permitted_calls("edge", "ledger") is None
    assert [c.id for c in World(scenario, posture(), scenario.attacker(None)).permitted_calls("edge", "ledger")] \
        == ["pivot>ledger"]


INSIDER = {
    "name": "insider",
    "services": [{"name": "hr", "data": [{"name": "salaries", "sensitivity": 5}]}, {"name": "hr-ui"}],
    "calls": [{"from": "hr-ui", "to": "hr", "operations": ["list"], "reads": ["salaries"]}],
    "attackers": [{"name": "i", "entry": "insider", "objective": ["salaries"], "horizon": "1000w"}],
}


@pytest.mark.parametrize(("controls", "touched"), [
    ((), {"salaries"}),
    ((Control.MTLS,), set()),
    ((Control.NETWORK_POLICY,), set()),
    ((Control.AUTHZ,), set()),
])
def test_insider_on_the_network(controls, touched):
    result = run(scenario_from(INSIDER), controls)
    assert set(result.touched) == touched


CREDENTIALS = {
    "name": "creds",
    "services": [
        {"name": "app"},
        {"name": "db", "kind": "datastore", "data": [{"name": "rows", "sensitivity": 3}]},
        {"name": "other", "data": [{"name": "other-rows", "sensitivity": 3}]},
    ],
    "calls": [{"from": "app", "to": "db"}],
    "credentials": [{"name": "key", "held_by": ["app"], "grants": [
        {"target": "db", "access": "admin"}, {"target": "other", "access": "read"}]}],
    "attackers": [{"name": "a", "entry": {"service": "app"}, "objective": ["rows"], "horizon": "1000w"}],
}


def test_least_privilege_caps_admin_and_drops_undeclared_targets():
    scenario = scenario_from(CREDENTIALS)
    attacker = scenario.attacker(None)
    assert World(scenario, posture(), attacker).grants["key"] == [("db", Access.ADMIN), ("other", Access.READ)]
    assert World(scenario, posture(Control.LEAST_PRIVILEGE), attacker).grants["key"] == [("db", Access.WRITE)]


def test_admin_credential_compromises_and_capped_one_exfiltrates():
    scenario = scenario_from(CREDENTIALS)
    assert "db" in run(scenario).compromised
    capped = run(scenario, (Control.LEAST_PRIVILEGE,))
    assert "db" not in capped.compromised
    assert "rows" in capped.exfiltrated
    assert "other-rows" not in capped.exfiltrated


@pytest.mark.parametrize(("obtained", "revoke_old", "expiry"), [
    (100 / 3600, True, 1.0),       # stolen at t=100 s, revoked at the 1 h rotation
    (100 / 3600, False, 24.0),     # without revocation it lives to its own 24 h end
    (1.5, True, 2.0),              # a copy of the version issued at 1 h
    (25.5, False, 49.0),           # the version issued at 25 h lives 24 h
])
def test_rotation_never_extends_a_stolen_copy(obtained, revoke_old, expiry):
    policy = CredentialPolicy(False, lifetime=24.0, rotation=1.0, revoke_old=revoke_old)
    assert policy.copy_expiry(obtained) == pytest.approx(expiry)


def test_huge_lifetime_is_finite_and_non_rotating():
    policy = CredentialPolicy(False, lifetime=1e12, rotation=None, revoke_old=False)
    expiry = policy.copy_expiry(5.0)
    assert math.isfinite(expiry)
    assert expiry == 1e12


def test_secrets_manager_makes_credentials_short_lived():
    scenario = scenario_from(CREDENTIALS)
    world = World(scenario, posture(Control.SECRETS_MANAGER), scenario.attacker(None))
    assert world.policies["key"] == CredentialPolicy(True, 1.0, 1.0, True)
    assert world.policies["key"].copy_expiry(0.25) == 1.0
    fetch = [a.technique for a in world.foothold_actions("app")]
    assert Technique.FETCH_SECRET in fetch
    assert Technique.HARVEST_CREDENTIALS not in fetch


LEAKED = {
    "name": "leaked",
    "services": [{"name": "shop"}, {"name": "bank", "kind": "external", "data": [{"name": "funds", "sensitivity": 5}]}],
    "calls": [{"from": "shop", "to": "bank", "credential": "bank-key"}],
    "credentials": [{"name": "bank-key", "held_by": ["shop"], "lifetime": "1s",
                     "grants": [{"target": "bank", "access": "read"}]}],
    "attackers": [{"name": "a", "entry": {"credential": "bank-key"}, "objective": ["funds"], "horizon": "1000w"}],
}


def test_token_must_stay_valid_for_the_whole_action():
    result = run(scenario_from(LEAKED))
    assert sorted((e.technique.value, e.outcome.value) for e in result.events) == [
        ("replay-token", "expired"), ("use-credential", "expired")]
    assert result.exfiltrated == {}


def test_token_valid_at_action_start_is_enough_when_configured():
    document = copy.deepcopy(LEAKED)
    document["simulation"] = {"credential_check": "action_start"}
    result = run(scenario_from(document))
    assert [e.outcome for e in result.events] == [Outcome.SUCCESS, Outcome.SUCCESS]
    assert set(result.exfiltrated) == {"funds"}


GATEWAY = {
    "name": "gw",
    "services": [{"name": "web", "exposed": True, "vulnerabilities": [{"id": "v", "severity": "critical"}]}],
    "attackers": [{"name": "a", "entry": "internet", "objective": ["x"], "horizon": "1000w"}],
}


def test_gateway_that_blocks_everything_stops_exploits():
    document = copy.deepcopy(GATEWAY)
    document["services"][0]["data"] = [{"name": "x"}]
    scenario = scenario_from(document)
    assert "web" in run(scenario).compromised
    blocked = run(scenario, (Control.GATEWAY,), parameters=replace(SILENT, gateway_block=1.0))
    assert blocked.compromised == {}
    assert [e.outcome for e in blocked.events] == [Outcome.FAILED]


def test_gateway_slows_exploits_by_its_factor():
    document = copy.deepcopy(GATEWAY)
    document["services"][0]["data"] = [{"name": "x"}]
    scenario = scenario_from(document)
    plain = run(scenario).events[0]
    slowed = run(scenario, (Control.GATEWAY,), parameters=replace(SILENT, gateway_block=0.0)).events[0]
    assert slowed.end == pytest.approx(plain.end * 2.0)


def test_observability_isolates_the_foothold_before_it_moves(tiny_document):
    document = copy.deepcopy(tiny_document)
    document["attackers"][0]["entry"] = {"service": "api"}
    scenario = scenario_from(document)
    unwatched = run(scenario)
    watched = run(scenario, (Control.OBSERVABILITY,), parameters=watchful(0.0))
    assert unwatched.blast_radius == 2
    assert watched.blast_radius == 0
    assert "api" in watched.isolated
    assert {e.outcome for e in watched.events if e.source == "api"} == {Outcome.ABORTED}


def test_disabled_observability_is_the_same_as_none(tiny_document):
    scenario = scenario_from(tiny_document)
    off = posture(parameters=replace(SILENT, detect=1.0))
    assert run(scenario).events == run(scenario, parameters=off.parameters).events
