"""The terminal UI driven through Textual's pilot against the real engine.

Every number the UI shows is checked against `lab.simulate` and
`lab.posture_stats` for the same posture, attacker, trials and seed.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import math
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.worker import WorkerCancelled
from textual.widgets import DataTable, Input, SelectionList, Static, TabbedContent

import lab
from tui.app import LabApp
from tui.detail import ServiceDetail
from tui.graph_view import GraphView, short_names
from tui.help import HelpScreen
from tui.layout import layout_graph
from tui.problems import ProblemsScreen
from tui.replay import ReplayPane
from tui.states import NodeState, trial_states

ROOT = Path(__file__).resolve().parent.parent
BOUTIQUE = ROOT / "scenarios" / "online-boutique.yaml"
TRIALS = 100  # enough to exercise every view, small enough for a quick run
SIZE = (120, 36)

MESH_12: dict[str, Any] = {
    "name": "mesh-12",
    "description": "Twelve services: two gateways, four tiers and three datastores",
    "services": [
        {"name": "web-gateway", "kind": "gateway", "exposed": True,
         "vulnerabilities": [{"id": "GW-1", "severity": "high"}]},
        {"name": "mobile-gateway", "kind": "gateway", "exposed": True,
         "vulnerabilities": [{"id": "GW-2", "severity": "critical"}],
         "shadow_apis": [{"name": "/debug/exec", "effect": "compromise"}]},
        {"name": "accounts", "vulnerabilities": [{"id": "ACC-1", "severity": "medium"}]},
        {"name": "catalog", "data": [{"name": "products", "sensitivity": 1}]},
        {"name": "orders", "vulnerabilities": [{"id": "ORD-1", "severity": "high"}],
         "data": [{"name": "order-history", "sensitivity": 4}]},
        {"name": "payments", "vulnerabilities": [{"id": "PAY-1", "severity": "medium"}]},
        {"name": "notifications"},
        {"name": "search", "vulnerabilities": [{"id": "SRCH-1", "severity": "critical"}]},
        {"name": "reports", "shadow_apis": [{"name": "/v1/legacy/export", "effect": "read"}]},
        {"name": "users-db", "kind": "datastore", "data": [{"name": "customers", "sensitivity": 5}]},
        {"name": "orders-db", "kind": "datastore", "data": [{"name": "invoices", "sensitivity": 4}]},
        {"name": "cards-db", "kind": "datastore", "data": [{"name": "payment-cards", "sensitivity": 5}]},
    ],
    "calls": [
        {"from": "web-gateway", "to": "accounts"}, {"from": "web-gateway", "to": "catalog"},
        {"from": "web-gateway", "to": "orders"}, {"from": "web-gateway", "to": "search"},
        {"from": "mobile-gateway", "to": "accounts"}, {"from": "mobile-gateway", "to": "orders"},
        {"from": "orders", "to": "payments"}, {"from": "orders", "to": "notifications"},
        {"from": "orders", "to": "catalog"}, {"from": "search", "to": "catalog"},
        {"from": "reports", "to": "orders"},
        {"from": "accounts", "to": "users-db", "protocol": "tcp", "credential": "users-db-password"},
        {"from": "orders", "to": "orders-db", "protocol": "tcp", "credential": "orders-db-password"},
        {"from": "reports", "to": "orders-db", "protocol": "tcp", "credential": "orders-db-password"},
        {"from": "payments", "to": "cards-db", "protocol": "tcp", "credential": "cards-db-password"},
    ],
    "credentials": [
        {"name": "users-db-password", "kind": "password", "storage": "env", "held_by": ["accounts"],
         "grants": [{"target": "users-db", "access": "read"}]},
        {"name": "orders-db-password", "kind": "password", "storage": "env", "held_by": ["orders", "reports"],
         "grants": [{"target": "orders-db", "access": "write"}]},
        {"name": "cards-db-password", "kind": "password", "storage": "file", "held_by": ["payments"],
         "grants": [{"target": "cards-db", "access": "read"}]},
    ],
    "attackers": [{"name": "outsider", "entry": "internet", "strategy": "exhaustive",
                   "objective": ["payment-cards"], "horizon": "7d"}],
    "simulation": {"trials": 1000, "seed": 7},
}


def pilot_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in its own event loop; the project has no async pytest plugin."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker has finished and the UI has applied its results."""
    for _ in range(50):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # a newer run superseded this one, as intended
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers kept running")


def boutique(**options: Any) -> LabApp:
    return LabApp(BOUTIQUE, trials=options.pop("trials", TRIALS), **options)


def library_stats(app: LabApp, controls: set[lab.Control], attacker: str | None = None,
                  name: str = "custom") -> lab.PostureStats:
    """Simulate with the library alone, as the UI should have done for this posture."""
    scenario = lab.load_scenario(app.path)
    posture = lab.Posture(name, frozenset(controls), lab.Parameters())
    chosen = attacker or app.attacker
    results = lab.simulate(scenario, posture, scenario.attacker(chosen), app.trials, app.seed)
    return lab.posture_stats(scenario, posture.name, chosen, results)


def cell(table: DataTable[Any], row: str, column: str) -> str:
    return str(table.get_cell(row, column))


def static_text(widget: Static) -> str:
    """Return the text a Static shows, with Rich tables and styles rendered to plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text().rstrip("\n")


# Posture changes and the numbers shown


@pilot_test
async def test_toggling_network_policy_shows_library_numbers() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert app.posture.enabled == frozenset({lab.Control.NETWORK_POLICY})
        expected = library_stats(app, {lab.Control.NETWORK_POLICY})
        assert app.snapshot is not None
        assert app.snapshot.current.stats == expected
        table = app.query_one("#compare-table", DataTable)
        assert cell(table, "blast_median", "current") == f"{expected.blast_radius.median:.0f}"
        assert cell(table, "blast_p95", "current") == f"{expected.blast_radius.p95:.0f}"
        assert cell(table, "objective", "current") == f"{expected.objective_exfiltrated.probability * 100:.1f}%"
        assert cell(table, "objective_time", "current") == lab.format_hours(expected.objective_exfiltrated.median)
        assert cell(table, "detection_time", "current") == lab.format_hours(expected.detection.median)
        graph = app.query_one("#graph", GraphView)
        assert graph.percentages == expected.service_reach


@pilot_test
async def test_switching_mtls_in_the_posture_list_reruns() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        controls = app.query_one("#controls", SelectionList)
        controls.focus()
        await pilot.press("space")  # the first switch is mTLS
        await settle(pilot)
        assert app.posture.enabled == frozenset({lab.Control.MTLS})
        assert lab.Control.MTLS in controls.selected
        assert app.snapshot is not None
        assert app.snapshot.current.stats == library_stats(app, {lab.Control.MTLS})


@pilot_test
async def test_baseline_column_is_implicit_trust() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert app.preset == "zero-trust"
        table = app.query_one("#compare-table", DataTable)
        baseline = library_stats(app, set())
        current = library_stats(app, set(lab.Control))
        assert cell(table, "blast_p95", "baseline") == f"{baseline.blast_radius.p95:.0f}"
        assert cell(table, "blast_p95", "current") == f"{current.blast_radius.p95:.0f}"
        assert cell(table, "detected", "current") == f"{current.detection.probability * 100:.1f}%"
        differences = {d.metric: d for d in lab.compare(baseline, current, app.seed)}
        assert app.snapshot is not None
        assert {d.metric: d for d in app.snapshot.differences} == differences


@pilot_test
async def test_presets_set_every_control() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert app.posture.enabled == frozenset(lab.Control)
        assert set(app.query_one("#controls", SelectionList).selected) == set(lab.Control)
        await pilot.press("s")  # the preset after zero-trust wraps round to implicit-trust
        await settle(pilot)
        assert app.preset == "implicit-trust"
        await pilot.press("s", "s")
        await settle(pilot)
        assert app.preset == "initial"
        assert app.posture.enabled == lab.BUILTIN_POSTURES["initial"].enabled
        await pilot.press("i")
        await settle(pilot)
        assert app.posture.enabled == frozenset()
        assert app.query_one("#controls", SelectionList).selected == []


@pilot_test
async def test_attacker_key_changes_attacker() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.attacker == "internet-exhaustive"  # the exercise's attacker comes first
        await pilot.press("a")
        await settle(pilot)
        assert app.attacker == "internet-targeted"
        assert app.snapshot is not None
        expected = library_stats(app, set(), "internet-targeted", name="implicit-trust")
        assert app.snapshot.current.stats == expected


@pilot_test
async def test_trial_count_adjusts_and_reruns() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        await settle(pilot)
        assert app.trials == 200
        assert app.snapshot is not None
        assert app.snapshot.current.stats.trials == 200


@pilot_test
async def test_stale_run_is_replaced() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2")
        await settle(pilot)
        assert app.snapshot is not None
        assert app.snapshot.request.posture.enabled == frozenset({lab.Control.MTLS, lab.Control.AUTHZ})
        assert app.snapshot.current.stats == library_stats(app, {lab.Control.MTLS, lab.Control.AUTHZ})


@pilot_test
async def test_input_handled_while_twelve_services_rerun(tmp_path: Path) -> None:
    path = tmp_path / "mesh-12.yaml"
    path.write_text(yaml.safe_dump(MESH_12, sort_keys=False))
    app = LabApp(path, trials=500)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Pilot.press waits until the process is idle, which a running worker
        # thread prevents, so the keys go straight to the app instead.
        app.post_message(events.Key("plus", "+"))  # a new run of 1,000 trials
        await asyncio.sleep(0.05)
        app.post_message(events.Key("r", "r"))
        tabs = app.query_one(TabbedContent)
        for _ in range(500):
            if tabs.active == "replay-tab":
                break
            await asyncio.sleep(0.01)
        running = [w for w in app.workers if w.group == "simulation" and w.is_running]
        assert tabs.active == "replay-tab"
        assert running, "the run ended before the key took effect, so the check proves nothing"
        await settle(pilot)
        assert app.trials == 1000
        assert app.snapshot is not None
        assert app.snapshot.current.stats == library_stats(app, set(), name="implicit-trust")


# Replay


@pilot_test
async def test_replay_steps_follow_trial_events() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        scenario = lab.load_scenario(BOUTIQUE)
        attacker = scenario.attacker(app.attacker)
        sample = lab.sample_trial(scenario, scenario.postures["implicit-trust"], attacker, app.seed)
        replay = app.query_one(ReplayPane)
        assert replay.result is not None
        assert replay.result.events == sample.events
        await pilot.press("r")
        table = app.query_one("#events", DataTable)
        graph = app.query_one("#replay-graph", GraphView)
        steps = 8  # pressing through all of the trial's events would be slow
        assert len(sample.events) > steps
        for step, event in enumerate(sample.events[:steps], start=1):
            await pilot.press("right")
            assert replay.step == step
            assert table.cursor_row == step
            row = table.get_row(str(step))
            assert [str(v) for v in row[1:7]] == [lab.format_hours(event.end), event.technique.value,
                                                  event.attack_id, event.source, event.target,
                                                  event.credential or ""]
            assert str(row[7]) == event.outcome.value
            assert row[8] == ("yes" if event.detected else "no")
            assert graph.states == trial_states(scenario, attacker.name, sample, step)
            if event.outcome is lab.Outcome.SUCCESS and sample.compromised.get(event.target) == event.end:
                assert graph.states[event.target] in (NodeState.COMPROMISED, NodeState.OBJECTIVE,
                                                      NodeState.ISOLATED)
        await pilot.press("end", "right")  # past the end stays at the end
        assert replay.step == len(sample.events)
        assert table.cursor_row == len(sample.events)
        assert graph.states == trial_states(scenario, attacker.name, sample, len(sample.events))
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert replay.step == len(sample.events) - 2
        assert table.cursor_row == len(sample.events) - 2
        await pilot.press("home")
        assert replay.step == 0
        assert all(state is NodeState.CLEAN for state in graph.states.values())  # the attack starts outside


@pilot_test
async def test_replay_settles_after_attacker_change() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "end")
        await pilot.press("a")  # a new sample trial with another number of events
        await settle(pilot)
        replay = app.query_one(ReplayPane)
        table = app.query_one("#events", DataTable)
        step = replay.step
        await pilot.pause(0.2)
        assert replay.step == step
        assert table.cursor_row == step
        assert replay.result is not None
        assert step <= len(replay.result.events)


def test_replay_state_waits_for_simultaneous_events() -> None:
    scenario = lab.load_scenario(BOUTIQUE)
    attacker = scenario.attacker("internet-exhaustive")
    sample = lab.sample_trial(scenario, scenario.postures["implicit-trust"], attacker, scenario.seed)
    ends = [e.end for e in sample.events]
    checked = 0
    # A container escape compromises every workload on the node at one instant, one event each.
    for step, event in enumerate(sample.events, start=1):
        simultaneous = ends.count(event.end) > 1
        caused = event.outcome is lab.Outcome.SUCCESS and sample.compromised.get(event.target) == event.end
        if simultaneous and caused and event.source != event.target:
            before = trial_states(scenario, attacker.name, sample, step - 1)
            after = trial_states(scenario, attacker.name, sample, step)
            assert before[event.target] is NodeState.CLEAN or before[event.target] is NodeState.ACCESSED
            assert after[event.target] in (NodeState.COMPROMISED, NodeState.OBJECTIVE)
            checked += 1
    assert checked >= 2


# Service detail, exercise, export, help


@pilot_test
async def test_service_detail_lists_postures_and_path() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        graph = app.query_one("#graph", GraphView)
        assert graph.selected == "paymentservice"  # the holder of the attacker's objective
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ServiceDetail)
        table = screen.query_one("#detail-postures", DataTable)
        scenario = lab.load_scenario(BOUTIQUE)
        assert table.row_count == len(scenario.postures)
        attacker = scenario.attacker(app.attacker)
        results = lab.simulate(scenario, scenario.postures["advanced"], attacker, app.trials, app.seed)
        stats = lab.posture_stats(scenario, "advanced", attacker.name, results)
        assert cell(table, "advanced", "compromised") == f"{stats.service_compromise['paymentservice'] * 100:.1f}%"
        static = lab.static_graph(scenario, scenario.postures["implicit-trust"], attacker)
        shown = static_text(screen.query_one("#detail-paths", Static))
        for node in ("service:paymentservice", "access:paymentservice"):
            path = lab.shortest_attack_path(static, node)[0]
            assert " → ".join(path) in shown
        assert "may be called by: checkoutservice" in static_text(screen.query_one("#detail-facts", Static))
        await pilot.press("escape")
        assert not isinstance(app.screen, ServiceDetail)


@pilot_test
async def test_clicking_node_opens_detail() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        graph = app.query_one("#graph", GraphView)
        layout = graph.layout_result
        assert layout is not None
        target = layout.nodes["checkoutservice"]
        await pilot.click("#graph", offset=(target.x + 1, target.row))
        await settle(pilot)
        assert graph.selected == "checkoutservice"
        assert isinstance(app.screen, ServiceDetail)
        assert app.screen.service_name == "checkoutservice"


@pilot_test
async def test_clicking_slider_moves_replay() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        replay = app.query_one(ReplayPane)
        slider = app.query_one("#replay-slider")
        width = slider.content_size.width
        await pilot.click("#replay-slider", offset=(width - 1, 0))
        await pilot.pause()
        assert replay.result is not None
        assert replay.step == len(replay.result.events)
        await pilot.click("#replay-slider", offset=(0, 0))
        await pilot.pause()
        assert replay.step == 0


def test_no_path_opens_bundled_scenario() -> None:
    from lab import bundled_scenario

    app = LabApp(None)
    assert app.path == str(bundled_scenario("online-boutique"))
    assert app.scenario is not None
    assert app.scenario.name == "online-boutique"
    assert app.trials == 500
    assert app.seed == app.scenario.seed


@pilot_test
async def test_exercise_solution_meets_goal() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.snapshot is not None and app.snapshot.exercise is not None
        assert not app.snapshot.exercise.met
        await pilot.press("2", "0")  # authorization and observability
        await settle(pilot)
        check = app.snapshot.exercise
        assert check is not None
        assert check.cost == 6
        assert check.within_budget
        assert check.blast_radius_p95 <= 8
        assert check.objective_probability <= 0.05
        assert check.met
        await pilot.press("x")
        assert "Goal met within budget" in static_text(app.query_one("#exercise", Static))
        await pilot.press("1")  # mTLS on top goes over the budget
        await settle(pilot)
        assert app.snapshot.exercise is not None
        assert not app.snapshot.exercise.within_budget
        assert "Goal not met" in static_text(app.query_one("#exercise", Static))


@pilot_test
async def test_export_writes_results_into_chosen_folder(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        field = app.screen.query_one("#export-folder", Input)
        assert field.value == "./lab-export"
        field.value = str(folder)
        await pilot.press("enter")
        await settle(pilot)
    document = json.loads((folder / "results.json").read_text())
    assert document["trials"] == TRIALS
    assert document["seed"] == app.seed
    assert document["postures"] == {"implicit-trust": [], "custom": ["mtls"]}
    assert [r["posture"] for r in document["results"]] == ["implicit-trust", "custom"]
    assert (folder / "trials.csv").read_text().count("\n") == 2 * TRIALS + 1


@pilot_test
async def test_help_opens_and_closes() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("1")  # keys of the main screen do nothing while help is open
        assert app.posture.enabled == frozenset()
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pilot_test
async def test_run_under_help_updates_views() -> None:
    app = boutique(trials=200)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.post_message(events.Key("plus", "+"))  # 500 trials; posted directly, since Pilot.press waits for idle
        await asyncio.sleep(0.01)
        app.post_message(events.Key("question_mark", "?"))
        for _ in range(500):
            if isinstance(app.screen, HelpScreen):
                break
            await asyncio.sleep(0.01)
        assert any(w.group == "simulation" and w.is_running for w in app.workers)
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert app.trials == 500
        assert app.snapshot is not None
        assert app.snapshot.current.stats == library_stats(app, set(), name="implicit-trust")
        await pilot.press("escape")
        assert app.query_one("#compare-table", DataTable).row_count > 0


@pilot_test
async def test_q_quits() -> None:
    app = boutique()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


# Window sizes


@pytest.mark.parametrize("size", [(40, 12), (20, 5), (1, 1)])
@pilot_test
async def test_small_window_asks_to_enlarge(size: tuple[int, int]) -> None:
    app = boutique()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-too-small")
        message = app.query_one("#too-small", Static)
        assert message.display
        assert "Enlarge" in static_text(message)
        await pilot.press("r", "right", "question_mark", "escape")


@pilot_test
async def test_resize_restores_full_layout() -> None:
    app = boutique()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        graph = app.query_one("#graph", GraphView)
        assert graph.layout_result is not None
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert app.screen.has_class("-too-small")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.screen.has_class("-too-small")
        layout = graph.layout_result
        assert layout is not None
        assert set(layout.nodes) >= {s.name for s in lab.load_scenario(BOUTIQUE).services}
        assert app.query_one("#posture").display


@pilot_test
async def test_80_by_24_draws_every_service() -> None:
    app = boutique()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.has_class("-too-small")
        layout = app.query_one("#graph", GraphView).layout_result
        assert layout is not None
        assert len(layout.nodes) == len(lab.load_scenario(BOUTIQUE).services) + 1  # and the internet
        assert not layout.unrouted


# A scenario that does not load


@pilot_test
async def test_bad_scenario_shows_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: broken\nservices:\n  - name: web\n    exposed: maybe\nattackers: []\n")
    with pytest.raises(lab.ScenarioError) as caught:
        lab.load_scenario(path)
    app = LabApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)
        shown = [static_text(widget) for widget in app.screen.query(".problem").results(Static)]
        assert shown == [problem.format() for problem in caught.value.problems]
        await pilot.press("1", "r", "e")
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


@pilot_test
async def test_missing_scenario_shows_problem(tmp_path: Path) -> None:
    app = LabApp(tmp_path / "nowhere.yaml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)
        assert "file not found" in static_text(app.screen.query_one(".problem", Static))


# Layout


def test_layout_places_internet_and_datastores() -> None:
    nodes = ["internet", "web", "api", "db", "worker"]
    edges = [("internet", "web"), ("web", "api"), ("api", "db"), ("worker", "api")]
    layout = layout_graph(nodes, edges, {n: len(n) + 2 for n in nodes}, 80, 10, right=["db"])
    assert layout is not None
    assert layout.nodes["internet"].layer == 0
    assert layout.nodes["db"].layer == max(p.layer for p in layout.nodes.values())
    assert layout.nodes["worker"].layer == layout.nodes["api"].layer - 1
    assert len(layout.routes) == len(edges)
    labels = {(x, p.row) for p in layout.nodes.values() for x in range(p.x, p.x + p.width)}
    for route in layout.routes:
        assert not labels & set(route.cells)
        assert route.cells[-1] == layout.nodes[route.target].left_port


def test_layout_handles_cycles_and_tiny_grids() -> None:
    nodes = ["a", "b", "c"]
    edges = [("a", "b"), ("b", "c"), ("c", "a")]
    layout = layout_graph(nodes, edges, {n: 3 for n in nodes}, 60, 10)
    assert layout is not None
    assert len(layout.routes) + len(layout.unrouted) == 3
    assert layout_graph(nodes, edges, {n: 3 for n in nodes}, 1, 1) is None
    assert layout_graph(nodes, edges, {n: 3 for n in nodes}, 0, 0) is None


def test_short_names_drop_shared_suffix() -> None:
    names = ["cartservice", "adservice", "paymentservice", "redis-cart"]
    assert short_names(names) == {"cartservice": "cart", "adservice": "ad", "paymentservice": "payment",
                                  "redis-cart": "redis-cart"}
    assert short_names(["a-api", "b-api"]) == {}
    assert short_names(["x-api", "y-api", "z-api", "x"]) == {}  # "x" would clash


def test_exercise_costs_are_met_by_a_solution() -> None:
    scenario = lab.load_scenario(BOUTIQUE)
    exercise = scenario.exercise
    assert exercise is not None
    assert exercise.max_blast_radius_p95 is not None and exercise.max_objective_probability is not None
    everything = sum(exercise.costs.values())
    assert everything > exercise.budget
    assert sum(exercise.costs[c.value] for c in lab.BUILTIN_POSTURES["advanced"].enabled) > exercise.budget
    solution = frozenset({lab.Control.AUTHZ, lab.Control.OBSERVABILITY})
    assert sum(exercise.costs[c.value] for c in solution) <= exercise.budget
    attacker = scenario.attacker(exercise.attacker)
    for trials in (100, 200, 500, 1000):
        results = lab.simulate(scenario, lab.Posture("solution", solution), attacker, trials, scenario.seed)
        stats = lab.posture_stats(scenario, "solution", attacker.name, results)
        assert stats.blast_radius.p95 <= exercise.max_blast_radius_p95
        assert stats.objective_exfiltrated.probability <= exercise.max_objective_probability
        assert math.isfinite(stats.blast_radius.p95)
