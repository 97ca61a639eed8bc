"""The static attack graph: everything reachable with unlimited time and no defender.

Nodes are capabilities: `entry`, `service:X` (code execution on X),
`node:N` (a node taken by container escape), `credential:C`, `access:X`
(X's API called), `read:X` (X's data read in bulk), `asset:A` (A
exfiltrated) and `touch:A` (A returned by an API call). An edge is an action that needs its
source capability (and, for credential use, the credential node too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

from lab.engine.actions import INSIDER, INTERNET, Action, Effect
from lab.engine.world import World

ENTRY = "entry"


@dataclass
class StaticGraph:
    graph: nx.DiGraph
    services: set[str] = field(default_factory=set)
    credentials: set[str] = field(default_factory=set)
    accessed: set[str] = field(default_factory=set)
    exfiltrated: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    distances: dict[str, float] = field(default_factory=dict)

    @property
    def reached(self) -> set[str]:
        return self.services | self.accessed


def build_static_graph(world: World) -> StaticGraph:
    """Close the world's actions over every capability the attacker can gain."""
    result = StaticGraph(nx.DiGraph())
    graph = result.graph
    graph.add_node(ENTRY)
    footholds: list[str] = []
    pending: list[Action] = list(world.entry_actions())
    seen: set[tuple[str, str]] = set()
    entry = world.attacker.entry
    outside = [INSIDER, INTERNET] if entry.kind == "insider" else [INTERNET]

    def gain_service(name: str, via: str, action: Action | None) -> None:
        _edge(graph, via, f"service:{name}", action)
        if name in result.services:
            return
        result.services.add(name)
        result.accessed.add(name)
        for asset in world.services[name].assets:
            result.exfiltrated.add(asset.name)
            _edge(graph, f"service:{name}", f"asset:{asset.name}", None)
        footholds.append(name)
        pending.extend(world.foothold_actions(name))
        for credential in sorted(result.credentials | set(_held_by(world, name))):
            pending.extend(world.credential_uses(credential, [name, *footholds, *outside]))

    def gain_credential(name: str, via: str, action: Action | None) -> None:
        _edge(graph, via, f"credential:{name}", action)
        if name in result.credentials:
            return
        result.credentials.add(name)
        pending.extend(world.credential_uses(name, [*footholds, *outside]))

    if entry.kind == "service" and entry.name:
        gain_service(entry.name, ENTRY, None)
    elif entry.kind == "credential" and entry.name:
        gain_credential(entry.name, ENTRY, None)

    while pending:
        action = pending.pop()
        # The same attempt from another origin is another edge, so paths can
        # start from whichever foothold is closest.
        if (action.key, action.source) in seen or action.denied or action.success <= 0:
            continue
        seen.add((action.key, action.source))
        source = ENTRY if action.source in (INTERNET, INSIDER) else f"service:{action.source}"
        if action.credential is not None:
            # The credential is the step that matters, because any foothold
            # that reaches the target can use it. Paths therefore go through
            # the credential node rather than through one chosen origin.
            source = f"credential:{action.credential}"
        if action.effect is Effect.COMPROMISE:
            gain_service(action.target, source, action)
        elif action.effect is Effect.NODE:
            _edge(graph, source, f"node:{action.target}", action)
            for name in world.nodes[action.target]:
                gain_service(name, f"node:{action.target}", None)
        elif action.effect is Effect.OBTAIN:
            for credential in action.credentials:
                gain_credential(credential, source, action)
        else:
            result.accessed.add(action.target)
            exfiltrate = action.effect is Effect.EXFILTRATE
            node = _result_node(action)
            _edge(graph, source, node, action)
            for asset in action.assets:
                (result.exfiltrated if exfiltrate else result.touched).add(asset)
                _edge(graph, node, f"{'asset' if exfiltrate else 'touch'}:{asset}", None)
    result.distances = _distances(world, graph)
    return result


def _held_by(world: World, service: str) -> list[str]:
    return [c.name for c in world.credentials.values() if service in c.holders]


def _result_node(action: Action) -> str:
    if action.effect is Effect.COMPROMISE:
        return f"service:{action.target}"
    if action.effect is Effect.NODE:
        return f"node:{action.target}"
    if action.effect is Effect.EXFILTRATE:
        return f"read:{action.target}"
    return f"access:{action.target}"


def _edge(graph: nx.DiGraph, source: str, target: str, action: Action | None) -> None:
    """Add or widen the edge source -> target; an edge keeps every action along it."""
    weight = 0.0 if action is None else action.duration.mean / max(action.success, 1e-9)
    if not graph.has_edge(source, target):
        graph.add_edge(source, target, weight=weight, keys=[], techniques=[])
    data = graph.edges[source, target]
    data["weight"] = min(data["weight"], weight)
    if action is not None:
        data["keys"].append(action.key)
        if action.technique.value not in data["techniques"]:
            data["techniques"].append(action.technique.value)


def _distances(world: World, graph: nx.DiGraph) -> dict[str, float]:
    """Expected hours from each action's result to the nearest objective asset.

    Used by the targeted attacker as its plan. Credential use needs a
    foothold as well as the credential. The distance ignores that condition,
    so it is optimistic, and the attacker re-plans after every action.
    """
    targets = [f"asset:{name}" for name in world.attacker.objective if graph.has_node(f"asset:{name}")]
    if not targets:
        return {}
    to_goal = nx.multi_source_dijkstra_path_length(graph.reverse(copy=False), targets, weight="weight")
    distances: dict[str, float] = {}
    for _, node, data in graph.edges(data=True):
        for key in data["keys"]:
            distances[key] = min(distances.get(key, math.inf), to_goal.get(node, math.inf))
    return distances


def shortest_attack_path(static: StaticGraph, target: str, limit: int = 1) -> list[list[str]]:
    """Return up to `limit` shortest paths (by expected time) from the entry to a capability node.

    Paths come from `networkx.shortest_simple_paths`, which yields them lazily,
    so the search stops after `limit` paths even on large dense graphs.
    """
    if not static.graph.has_node(target):
        return []
    paths: list[list[str]] = []
    for path in nx.shortest_simple_paths(static.graph, ENTRY, target, weight="weight"):
        paths.append(path)
        if len(paths) >= limit:
            break
    return paths
