"""Each attacker technique on a small scenario where its effect is known exactly."""

from __future__ import annotations

import copy

from conftest import run, scenario_from

from lab import Technique
from lab.controls import Control
from lab.engine.actions import Outcome


def techniques(result) -> set[str]:
    return {e.technique.value for e in result.events if e.outcome is Outcome.SUCCESS}


def test_exploit_public_service_gives_foothold(tiny_document):
    result = run(scenario_from(tiny_document))
    first = result.events[0]
    assert first.technique is Technique.EXPLOIT_PUBLIC
    assert first.attack_id == "T1190"
    assert (first.source, first.target) == ("internet", "web")
    assert "web" in result.compromised


def test_unexposed_vulnerable_service_is_not_exploited_from_internet(tiny_document):
    document = copy.deepcopy(tiny_document)
    document["services"][0]["exposed"] = False
    result = run(scenario_from(document))
    assert result.compromised == {}
    assert result.events == []


def test_implicit_trust_call_touches_what_operations_return(tiny_document):
    result = run(scenario_from(tiny_document))
    assert set(result.accessed) == {"web", "api", "db"}
    assert set(result.touched) == {"orders"}
    calls = {e.target for e in result.events if e.technique is Technique.CALL_INTERNAL_API}
    assert calls == {"api", "db"}


def test_harvested_password_exfiltrates_datastore():
    document = {
        "name": "harvest",
        "services": [
            {"name": "api"},
            {"name": "db", "kind": "datastore", "data": [{"name": "customers", "sensitivity": 5}]},
        ],
        "calls": [{"from": "api", "to": "db", "protocol": "tcp"}],
        "credentials": [{"name": "db-pass", "kind": "password", "storage": "env", "held_by": ["api"],
                         "grants": [{"target": "db", "access": "read"}]}],
        "attackers": [{"name": "insider-api", "entry": {"service": "api"}, "objective": ["customers"],
                       "horizon": "1000w"}],
    }
    result = run(scenario_from(document))
    harvest = [e for e in result.events if e.technique is Technique.HARVEST_CREDENTIALS]
    use = [e for e in result.events if e.technique is Technique.USE_CREDENTIAL]
    assert [e.attack_id for e in harvest] == ["T1552"]
    assert [(e.attack_id, e.credential, e.target) for e in use] == [("T1078", "db-pass", "db")]
    assert set(result.exfiltrated) == {"customers"}
    assert result.compromised.keys() == {"api"}


def test_api_access_alone_does_not_exfiltrate(tiny_document):
    document = copy.deepcopy(tiny_document)
    document["credentials"] = []
    document["calls"][1].pop("credential")
    result = run(scenario_from(document))
    assert "db" in result.accessed
    assert "customers" not in result.exfiltrated


SNIFF_DOCUMENT = {
    "name": "sniff",
    "services": [
        {"name": "web", "zone": "front"},
        {"name": "billing", "zone": "front"},
        {"name": "ledger", "zone": "front", "data": [{"name": "accounts", "sensitivity": 5}]},
    ],
    "calls": [{"from": "billing", "to": "ledger", "credential": "ledger-token"}],
    "credentials": [{"name": "ledger-token", "held_by": ["billing"],
                     "grants": [{"target": "ledger", "access": "read"}]}],
    "attackers": [{"name": "a", "entry": {"service": "web"}, "objective": ["accounts"], "horizon": "1000w"}],
}


def test_plaintext_token_is_sniffed_in_same_zone():
    result = run(scenario_from(SNIFF_DOCUMENT))
    sniff = [e for e in result.events if e.technique is Technique.SNIFF_TRAFFIC]
    assert [e.attack_id for e in sniff] == ["T1040"]
    assert "ledger-token" in result.credentials
    assert "accounts" in result.exfiltrated


def test_token_in_other_zone_is_not_sniffed():
    document = copy.deepcopy(SNIFF_DOCUMENT)
    document["services"][1]["zone"] = "back"
    document["services"][2]["zone"] = "back"
    result = run(scenario_from(document))
    assert Technique.SNIFF_TRAFFIC.value not in techniques(result)
    assert "ledger-token" not in result.credentials


def test_mtls_stops_sniffing():
    result = run(scenario_from(SNIFF_DOCUMENT), (Control.MTLS,))
    assert Technique.SNIFF_TRAFFIC.value not in techniques(result)
    assert result.credentials == {}


SHARED_DOCUMENT = {
    "name": "shared",
    "services": [
        {"name": "web", "identity": "shop"},
        {"name": "batch", "identity": "shop"},
        {"name": "ledger", "data": [{"name": "accounts", "sensitivity": 5}]},
    ],
    "calls": [{"from": "batch", "to": "ledger", "operations": ["export"], "reads": ["accounts"]}],
    "attackers": [{"name": "a", "entry": {"service": "web"}, "objective": ["accounts"], "horizon": "1000w"}],
}


def test_shared_identity_passes_authorization():
    result = run(scenario_from(SHARED_DOCUMENT), (Control.AUTHZ,))
    abuse = [e for e in result.events if e.technique is Technique.SHARED_IDENTITY]
    assert [(e.source, e.target, e.outcome, e.attack_id) for e in abuse] == [
        ("web", "ledger", Outcome.SUCCESS, "T1078")]
    assert set(result.touched) == {"accounts"}


def test_per_service_identity_ends_shared_identity_abuse():
    result = run(scenario_from(SHARED_DOCUMENT), (Control.AUTHZ, Control.PER_SERVICE_IDENTITY))
    outcomes = {(e.target, e.outcome) for e in result.events if e.source == "web"}
    assert ("ledger", Outcome.DENIED) in outcomes
    assert result.touched == {}


SHADOW_DOCUMENT = {
    "name": "shadow",
    "services": [
        {"name": "web", "exposed": True, "shadow_apis": [{"name": "POST /debug/exec", "effect": "compromise"}]},
        {"name": "api", "exposed": True, "data": [{"name": "orders", "sensitivity": 4}],
         "shadow_apis": [{"name": "GET /dump", "effect": "read"}]},
    ],
    "attackers": [{"name": "a", "entry": "internet", "objective": ["orders"], "horizon": "1000w"}],
}


def test_shadow_api_bypasses_gateway():
    result = run(scenario_from(SHADOW_DOCUMENT), (Control.GATEWAY,))
    assert "web" in result.compromised
    assert "orders" in result.exfiltrated
    ids = {e.attack_id for e in result.events if e.technique is Technique.SHADOW_API}
    assert ids == {"T1190"}


def test_api_inventory_removes_shadow_apis():
    result = run(scenario_from(SHADOW_DOCUMENT), (Control.API_INVENTORY,))
    assert result.events == []
    assert result.compromised == {}


ESCAPE_DOCUMENT = {
    "name": "escape",
    "services": [
        {"name": "web", "node": "node-a"},
        {"name": "payments", "node": "node-a", "data": [{"name": "cards", "sensitivity": 5}]},
        {"name": "reports", "node": "node-b"},
    ],
    "attackers": [{"name": "a", "entry": {"service": "web"}, "objective": ["cards"], "horizon": "1000w"}],
}


def test_container_escape_takes_node_neighbours():
    result = run(scenario_from(ESCAPE_DOCUMENT))
    escapes = [e for e in result.events if e.technique is Technique.CONTAINER_ESCAPE]
    assert {e.attack_id for e in escapes} == {"T1611"}
    assert set(result.compromised) == {"web", "payments"}
    assert "cards" in result.exfiltrated


def test_runtime_hardening_that_always_holds_stops_escape():
    from conftest import SILENT
    from dataclasses import replace

    parameters = replace(SILENT, hardened_escape_success=0.0)
    result = run(scenario_from(ESCAPE_DOCUMENT), (Control.RUNTIME_HARDENING,), parameters=parameters)
    assert set(result.compromised) == {"web"}
    failed = [e.outcome for e in result.events if e.technique is Technique.CONTAINER_ESCAPE]
    assert failed == [Outcome.FAILED]


ADMIN_DOCUMENT = {
    "name": "admin",
    "services": [
        {"name": "web"},
        {"name": "api"},
        {"name": "vault", "data": [{"name": "secrets", "sensitivity": 5}]},
    ],
    "calls": [{"from": "web", "to": "api"}],
    "credentials": [{"name": "web-sa", "kind": "service_account_token", "storage": "file", "held_by": ["web"],
                     "grants": [{"target": "cluster", "access": "admin"}]}],
    "attackers": [{"name": "a", "entry": {"service": "web"}, "objective": ["secrets"], "horizon": "1000w"}],
}


def test_cluster_admin_token_execs_into_every_pod():
    result = run(scenario_from(ADMIN_DOCUMENT))
    execs = {e.target for e in result.events if e.technique is Technique.CONTAINER_ADMIN}
    assert execs == {"api", "vault"}
    assert {e.attack_id for e in result.events if e.technique is Technique.CONTAINER_ADMIN} == {"T1609"}
    assert set(result.compromised) == {"web", "api", "vault"}


def test_least_privilege_drops_cluster_admin():
    result = run(scenario_from(ADMIN_DOCUMENT), (Control.LEAST_PRIVILEGE,))
    assert Technique.CONTAINER_ADMIN.value not in techniques(result)
    assert set(result.compromised) == {"web"}


REPLAY_DOCUMENT = {
    "name": "replay",
    "services": [
        {"name": "web", "zone": "front", "node": "n1"},
        {"name": "reporter", "zone": "front", "node": "n2"},
        {"name": "orders", "zone": "front", "node": "n3", "data": [{"name": "order-book", "sensitivity": 3}]},
        {"name": "crm", "node": "n4", "data": [{"name": "customers", "sensitivity": 5}]},
    ],
    "calls": [
        {"from": "orders", "to": "crm"},
        {"from": "reporter", "to": "orders", "operations": ["export"], "reads": ["order-book", "customers"],
         "credential": "export-token"},
    ],
    "credentials": [{"name": "export-token", "held_by": ["reporter"]}],
    "attackers": [{"name": "a", "entry": {"service": "web"}, "objective": ["customers"], "horizon": "1000w"}],
}


def test_call_token_is_required_for_the_call():
    result = run(scenario_from(REPLAY_DOCUMENT), (Control.MTLS,))
    outcomes = {(e.technique, e.target, e.outcome) for e in result.events}
    assert (Technique.CALL_INTERNAL_API, "orders", Outcome.DENIED) in outcomes
    assert result.touched == {}


def test_sniffed_token_replays_the_call():
    result = run(scenario_from(REPLAY_DOCUMENT))
    replays = [e for e in result.events if e.technique is Technique.REPLAY_TOKEN]
    assert [(e.attack_id, e.credential, e.target, e.outcome) for e in replays] == [
        ("T1550.001", "export-token", "orders", Outcome.SUCCESS)]
    assert set(result.touched) == {"order-book", "customers"}
    assert "customers" not in result.exfiltrated
