"""The loader on generated and mutated input: a scenario or a ScenarioError, nothing else."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from lab import Scenario, ScenarioError, parse_scenario

TEACHING = yaml.safe_load((Path(__file__).resolve().parents[1] / "scenarios" / "teaching.yaml").read_text())

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["no", "on", "30m", "-5m", "1e400", "web", "cluster", "internet"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, prefix + (index,))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """The teaching scenario with a few values replaced, keys added or entries deleted."""
    document = copy.deepcopy(TEACHING)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(paths(document)))
        if not where:
            continue
        parent = document
        for part in where[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[where[-1]] = draw(values)
        elif action == "delete":
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(values)
    return document


def load(raw: bytes) -> Scenario | None:
    try:
        return parse_scenario(raw, "fuzz.yaml")
    except ScenarioError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.message
            assert problem.line >= 0
            assert problem.column >= 0
        return None


@given(mutated_documents())
def test_mutated_scenarios_load_or_fail_cleanly(document):
    load(yaml.safe_dump(document, allow_unicode=True).encode())


@given(st.binary(max_size=400))
def test_arbitrary_bytes_load_or_fail_cleanly(raw):
    load(raw)


@given(st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#\t\n ,?%@`0")), max_size=200))
def test_yaml_like_text_loads_or_fails_cleanly(text):
    load(text.encode())
