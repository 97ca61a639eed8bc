"""Loader edge cases, each pinned to its exact expected result."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import lab.cli
import lab.yamlsource
from lab.durations import MAX_HOURS
from lab.engine.runner import static_graph
from lab.errors import Problem, ScenarioError
from lab.scenario import parse_scenario
from lab.yamlsource import load_yaml

FILE = "case.yaml"


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text.encode(), FILE)
    return caught.value.problems


def values_in(data: Any) -> list[Any]:
    """List every key and value in loaded YAML data, depth first."""
    found = [data]
    if isinstance(data, dict):
        for key, value in data.items():
            found += [key, *values_in(value)]
    elif isinstance(data, list):
        for item in data:
            found += values_in(item)
    return found


def billion_laughs(levels: int = 9, fan_out: int = 9) -> str:
    lines = ["name: shop", "x0: &x0 [lol]"]
    for level in range(1, levels + 1):
        lines.append(f"x{level}: &x{level} [" + ", ".join([f"*x{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


UNKNOWN_CALL_TARGET = """\
name: shop
services:
  - {name: web, exposed: true}
  - {name: payments, data: [{name: cards}]}
calls:
  - from: web
    to: paymnets
attackers:
  - {name: outsider, entry: internet, objective: [cards]}
"""


def test_unknown_call_target_suggests_payments() -> None:
    assert problems_of(UNKNOWN_CALL_TARGET) == [
        Problem(FILE, 7, 9, "calls[0].to", "unknown service 'paymnets'", "did you mean 'payments'?"),
    ]


def test_unknown_call_target_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / FILE
    path.write_text(UNKNOWN_CALL_TARGET, encoding="utf-8")
    simulated: list[Any] = []
    monkeypatch.setattr(lab.cli, "run_study", lambda *args, **kwargs: simulated.append(args))
    result = CliRunner().invoke(lab.cli.main, ["run", str(path)])
    assert result.exit_code == 2
    assert simulated == []
    assert (f"error: {path}:7:9: calls[0].to: unknown service 'paymnets' (did you mean 'payments'?)"
            in result.output)
    assert "1 problem found; nothing was run" in result.output


YAML11_WORDS = """\
name: no
services:
  - {name: web, exposed: true, vulnerabilities: [{id: CVE-2024-1, severity: critical}]}
  - {name: no, data: [{name: orders}], vulnerabilities: [{id: CVE-2024-2, severity: critical}]}
calls:
  - {from: web, to: no}
attackers:
  - {name: outsider, entry: internet, objective: [orders]}
"""


def test_no_stays_a_string() -> None:
    scenario = parse_scenario(YAML11_WORDS.encode(), FILE)
    assert scenario.name == "no"
    assert [service.name for service in scenario.services] == ["web", "no"]
    assert (scenario.calls[0].source, scenario.calls[0].target) == ("web", "no")
    graph = static_graph(scenario, scenario.posture("implicit-trust"), scenario.attacker(None))
    assert graph.services == {"web", "no"}
    assert "service:no" in graph.graph
    assert not any(node is False for node in graph.graph)


def test_no_loads_without_false() -> None:
    data = load_yaml(YAML11_WORDS.encode(), FILE).data
    assert not any(value is False for value in values_in(data))
    assert data["services"][1]["name"] == "no"
    assert data["calls"][0]["to"] == "no"


def test_on_is_an_unknown_key() -> None:
    text = "name: shop\non: push\nservices: [{name: web, exposed: true, data: [{name: orders}]}]\n" \
           "attackers: [{name: outsider, entry: internet, objective: [orders]}]\n"
    problems = problems_of(text)
    assert [(p.line, p.column, p.path, p.message) for p in problems] == [(2, 1, "on", "unknown key 'on'")]


DUPLICATE_KEYS = """\
name: shop
services:
  - {name: web, exposed: true, data: [{name: orders}]}
calls: []
postures:
  - name: locked
    controls:
      mtls: true
      authz: true
      mtls: false
attackers:
  - {name: outsider, entry: internet, objective: [orders]}
calls: []
"""


def test_duplicate_keys_each_reported() -> None:
    assert problems_of(DUPLICATE_KEYS) == [
        Problem(FILE, 10, 7, "postures[0].controls.mtls", "duplicate key 'mtls' (first defined at line 8)",
                "remove one of the two entries"),
        Problem(FILE, 13, 1, "calls", "duplicate key 'calls' (first defined at line 4)",
                "remove one of the two entries"),
    ]


def test_billion_laughs_rejected_fast() -> None:
    start = time.perf_counter()
    problems = problems_of(billion_laughs())
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert len(problems) == 1
    assert problems[0].message.startswith("alias expansion limit exceeded")
    assert (problems[0].line, problems[0].column, problems[0].path) == (8, 5, "x6")


def test_few_aliases_load() -> None:
    text = """\
name: shop
services:
  - &backend {name: api, zone: backend, vulnerabilities: [{id: CVE-2024-1, severity: medium}]}
  - {<<: *backend, name: cart, data: [{name: carts}]}
  - {name: web, exposed: true}
calls:
  - {from: web, to: api, operations: &reads [get, list]}
  - {from: api, to: cart, operations: *reads}
attackers:
  - {name: outsider, entry: internet, objective: [carts]}
"""
    scenario = parse_scenario(text.encode(), FILE)
    cart = scenario.services[1]
    assert (cart.name, cart.zone) == ("cart", "backend")
    assert [v.id for v in cart.vulnerabilities] == ["CVE-2024-1"]
    assert [asset.name for asset in cart.assets] == ["carts"]
    assert scenario.calls[1].operations == ("get", "list")


CREDENTIAL = """\
name: shop
services:
  - {name: web, exposed: true}
  - {name: db, kind: datastore, data: [{name: orders}]}
credentials:
  - {name: db-pass, held_by: [web], grants: [{target: db}], lifetime: LIFETIME}
attackers:
  - {name: outsider, entry: internet, objective: [orders]}
"""


def test_negative_lifetime_rejected() -> None:
    assert problems_of(CREDENTIAL.replace("LIFETIME", "-60s")) == [
        Problem(FILE, 6, 71, "credentials[0].lifetime", "negative duration '-60s': durations must be zero or more"),
    ]


def test_huge_lifetime_capped() -> None:
    scenario = parse_scenario(CREDENTIAL.replace("LIFETIME", "1000000000000s").encode(), FILE)
    lifetime = scenario.credentials[0].lifetime
    assert lifetime is not None
    assert math.isfinite(lifetime)
    assert lifetime == MAX_HOURS


def test_self_call_loads_with_note() -> None:
    text = """\
name: shop
services:
  - {name: web, exposed: true, data: [{name: orders}]}
calls:
  - {from: web, to: web}
attackers:
  - {name: outsider, entry: internet, objective: [orders]}
"""
    scenario = parse_scenario(text.encode(), FILE)
    assert scenario.notes == ("call web>web is a self-call; it moves the attacker nowhere",)
    assert [(call.source, call.target) for call in scenario.calls] == [("web", "web")]


def test_thousands_of_brackets_rejected() -> None:
    text = "name: shop\ndescription: " + "[" * 5000 + "]" * 5000 + "\n"
    assert problems_of(text) == [
        Problem(FILE, 2, 78, "description", "value nested more than 64 levels deep",
                "a scenario needs only a few levels of nesting"),
    ]


def test_too_many_values_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab.yamlsource, "MAX_NODES", 10)
    text = "name: shop\ndescription: [" + ", ".join(["a"] * 20) + "]\n"
    assert problems_of(text) == [
        Problem(FILE, 2, 36, "description", "too many values: more than the limit of 10",
                "remove unused parts of the scenario"),
    ]


def test_value_budget_counts_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    # Written out, the document has 10 values, but `b` expands to 15 through its aliases.
    monkeypatch.setattr(lab.yamlsource, "MAX_NODES", 10)
    text = "name: shop\na: &a [1, 2, 3, 4, 5, 6]\nb: [*a, *a]\n"
    assert problems_of(text) == [
        Problem(FILE, 3, 4, "b", "alias expansion limit exceeded: the value expands to 15 values through "
                "aliases, more than the limit of 10", "remove the nested anchors and aliases"),
    ]


def test_override_of_merged_key_located() -> None:
    text = """\
name: shop
services:
  - &base {name: api, kind: service}
  - {<<: *base, name: Cart}
attackers:
  - {name: outsider, entry: internet, objective: [orders]}
"""
    problems = problems_of(text)
    assert [(p.line, p.column, p.path) for p in problems] == [(4, 23, "services[1].name")]
