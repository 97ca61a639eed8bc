"""The lab's terminal UI: a service graph, posture switches, replay, comparison and exercise views."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static, TabbedContent
from textual.worker import get_current_worker

import lab
from tui import format as fmt
from tui.compare_panel import ComparePanel
from tui.detail import ServiceDetail
from tui.exercise import ExercisePanel
from tui.export import ExportScreen, export_runs
from tui.graph_view import GraphView
from tui.help import HelpScreen
from tui.main_screen import LabScreen, Title
from tui.messages import DetailReady, PathReady, Progressed, RunFailed, Simulated
from tui.posture_panel import PosturePanel
from tui.problems import ProblemsScreen
from tui.replay import ReplayPane
from tui.runs import (DEFAULT_TRIALS, TRIAL_STEPS, Cancelled, Request, Runner, Snapshot, attack_paths,
                      matching_preset)
from tui.states import INSIDER, INTERNET, path_moves, run_states

TABS = {"graph": "graph-tab", "replay": "replay-tab", "compare": "compare-tab", "exercise": "exercise-tab"}


class LabApp(App[None]):
    """Terminal UI that shows how far an attacker moves through a scenario's services under a posture."""

    CSS_PATH = "app.tcss"
    TITLE = "Microservice security lab"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        *(Binding(key, f"toggle({index})", "Control", show=index == 0, key_display="1…0")
          for index, key in enumerate(fmt.CONTROL_KEYS)),
        Binding("i", "preset('implicit-trust')", "Implicit"),
        Binding("z", "preset('zero-trust')", "Zero trust"),
        Binding("s", "next_preset", "Preset", show=False),
        Binding("a", "next_attacker", "Attacker"),
        Binding("b", "next_baseline", "Baseline", show=False),
        Binding("plus,equals_sign", "trials(1)", "More trials", show=False),
        Binding("minus", "trials(-1)", "Fewer trials", show=False),
        Binding("g", "tab('graph')", "Graph", show=False),
        Binding("r", "tab('replay')", "Replay", show=False),
        Binding("c", "tab('compare')", "Compare", show=False),
        Binding("x", "tab('exercise')", "Exercise", show=False),
        Binding("left_square_bracket", "step(-1)", "Back", key_display="["),
        Binding("right_square_bracket", "step(1)", "Step", key_display="]"),
        Binding("e", "export", "Export"),
        Binding("p", "panel", "Panel"),
    ]

    def __init__(self, path: str | Path | None = None, *, trials: int = DEFAULT_TRIALS, seed: int | None = None) -> None:
        super().__init__()
        self.path = str(path) if path is not None else _bundled_path()
        self.scenario: lab.Scenario | None = None
        self.problems: list[lab.Problem] = []
        self.load_error = ""
        try:
            self.scenario = lab.load_scenario(self.path)
        except lab.ScenarioError as exc:
            self.problems = list(exc.problems)
        except lab.LabError as exc:
            self.load_error = str(exc)
        self.trials = trials
        self.generation = 0
        self._run_total = self._run_done = 0
        self.running = False
        self.snapshot: Snapshot | None = None
        if self.scenario is not None:
            scenario = self.scenario
            self.seed = scenario.seed if seed is None else seed
            self.runner = Runner(scenario)
            exercise = scenario.exercise
            self.attacker = scenario.attacker(exercise.attacker if exercise else None).name
            self.preset: str | None = "implicit-trust" if "implicit-trust" in scenario.postures else None
            self.posture = scenario.postures[self.preset] if self.preset else next(iter(scenario.postures.values()))
            self.baseline = "implicit-trust" if "implicit-trust" in scenario.postures else next(iter(scenario.postures))

    def get_default_screen(self) -> Screen[None]:
        if self.scenario is None:
            return ProblemsScreen(self.path, self.problems, self.load_error)
        return LabScreen(self.scenario)

    @property
    def loaded(self) -> lab.Scenario:
        """The scenario; only the problems screen runs when it failed to load."""
        if self.scenario is None:
            raise RuntimeError("the scenario did not load")
        return self.scenario

    @property
    def main(self) -> LabScreen:
        """The main screen, which stays below the help, detail and export screens."""
        for screen in self.screen_stack:
            if isinstance(screen, LabScreen):
                return screen
        raise RuntimeError("the main screen is not installed; the scenario did not load")

    @property
    def ready(self) -> bool:
        """Whether the main screen is installed, which it is not when the scenario failed to load."""
        return any(isinstance(screen, LabScreen) for screen in self.screen_stack)

    def on_lab_screen_ready(self) -> None:
        """Show the initial posture and start the first run, once the main screen is composed."""
        self.main.query_one(PosturePanel).show_posture(self.posture, self.preset)
        graph = self.main.query_one("#graph", GraphView)
        graph.focus()
        graph.selected = self._first_target()
        self.request_run()

    def _first_target(self) -> str | None:
        """Return the service that stores the attacker's first objective, which the graph selects first."""
        assets = self.loaded.assets
        for asset in self.loaded.attacker(self.attacker).objective:
            if asset in assets:
                return assets[asset].holder
        return None

    # Runs

    def current_request(self) -> Request:
        return Request(self.posture, self.loaded.posture(self.baseline), self.attacker, self.trials, self.seed)

    def request_run(self) -> None:
        """Start a run for the current choices; a run still in progress is cancelled."""
        request = self.current_request()
        self.generation += 1
        self._run_total = self.runner.pending_trials(request)
        self._run_done = 0
        self.running = True
        self.main.query_one(PosturePanel).start_progress(self._run_total)
        self.main.query_one(ExercisePanel).show_check(None, self.posture.enabled)
        self._update_title()
        self._simulate(request, self.generation)

    @work(thread=True, exclusive=True, group="simulation")
    def _simulate(self, request: Request, generation: int) -> None:
        worker = get_current_worker()
        try:
            snapshot = self.runner.snapshot(
                request, progress=lambda done: self.post_message(Progressed(generation, done)),
                cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            return
        except lab.LabError as exc:
            self.post_message(RunFailed(generation, str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(Simulated(generation, snapshot))

    def on_run_failed(self, message: RunFailed) -> None:
        if message.generation != self.generation:
            return
        self.running = False
        self.main.query_one(PosturePanel).finish_progress()
        self._update_title()
        self.log.error(f"simulation failed: {message.error}")
        self.notify(f"The simulation failed: {message.error}", severity="error", timeout=10)

    def on_progressed(self, message: Progressed) -> None:
        if message.generation == self.generation:
            self.main.query_one(PosturePanel).advance_progress(message.done)
            self._run_done += message.done
            self._update_title()

    def on_simulated(self, message: Simulated) -> None:
        if message.generation != self.generation:
            return
        snapshot = message.snapshot
        self.snapshot = snapshot
        self.running = False
        panel = self.main.query_one(PosturePanel)
        panel.finish_progress()
        panel.show_snapshot(snapshot, self.attacker)
        current = snapshot.current
        graph = self.main.query_one("#graph", GraphView)
        graph.show(run_states(self.loaded, current.stats, current.isolated),
                   percentages=current.stats.service_reach)
        self.main.query_one(ReplayPane).show_trial(snapshot.sample, self.attacker)
        self.main.query_one(ComparePanel).show_snapshot(snapshot)
        self.main.query_one(ExercisePanel).show_check(snapshot.exercise, self.posture.enabled)
        self._update_title()
        self._update_graph_status()
        if graph.selected is not None:
            self._find_path(graph.selected)

    def _update_title(self) -> None:
        progress = None
        if self.running:
            progress = min(self._run_done / max(self._run_total, 1), 1.0)
        count = len(self.posture.enabled)
        posture = self.preset or f"custom ({count} control{'' if count == 1 else 's'})"
        self.main.show_title(Title(self.loaded.name, self.attacker, posture, self.trials, self.seed, progress))

    # Graph selection and details

    def _update_graph_status(self) -> None:
        graph = self.main.query_one("#graph", GraphView)
        status = self.main.query_one("#graph-status", Static)
        name = graph.selected
        if name is None or self.snapshot is None or name == INTERNET or name not in self.snapshot.current.stats.service_reach:
            status.update(Text("arrows select a service, enter opens its details", style="dim"))
            return
        stats = self.snapshot.current.stats
        text = Text()
        text.append(f"{graph.state_of(name).symbol} {name}", style="bold")
        text.append(f"  compromised {fmt.percent(stats.service_compromise[name])} · reached "
                    f"{fmt.percent(stats.service_reach[name])} of {stats.trials} trials")
        text.append("  ⏎ details", style="dim")
        status.update(text)

    @on(GraphView.Selected, "#graph")
    def _graph_selected(self, message: GraphView.Selected) -> None:
        self._update_graph_status()
        self._find_path(message.name)

    @on(GraphView.Opened)
    def _graph_opened(self, message: GraphView.Opened) -> None:
        self.open_detail(message.name)

    def _find_path(self, name: str) -> None:
        if name == INTERNET:
            graph = self.main.query_one("#graph", GraphView)
            graph.show(graph.states, graph.percentages)
            return
        self._path_worker(self.posture, self.attacker, name, self.generation)

    @work(thread=True, exclusive=True, group="path")
    def _path_worker(self, posture: lab.Posture, attacker: str, name: str, generation: int) -> None:
        paths = attack_paths(self.loaded, posture, attacker, name)
        if not get_current_worker().is_cancelled:
            self.post_message(PathReady(generation, name, paths))

    def on_path_ready(self, message: PathReady) -> None:
        graph = self.main.query_one("#graph", GraphView)
        if message.generation != self.generation or graph.selected != message.name:
            return
        path = message.paths.get("code execution") or message.paths.get("API access") or []
        entry = self.loaded.attacker(self.attacker).entry
        if entry.kind == "service" and entry.name:
            start = entry.name
        elif entry.kind == "insider":
            start = INSIDER
        else:
            start = INTERNET
        graph.show(graph.states, graph.percentages, moves=path_moves(path, start))

    def open_detail(self, name: str) -> None:
        screen = ServiceDetail(self.loaded, name, self.attacker, self.posture)
        self.push_screen(screen)
        self._detail_worker(screen, name, self.posture, self.attacker, self.trials)

    @work(thread=True, exclusive=True, group="detail")
    def _detail_worker(self, screen: ServiceDetail, name: str, posture: lab.Posture, attacker: str,
                       trials: int) -> None:
        scenario = self.loaded
        screen.post_message(DetailReady(paths=attack_paths(scenario, posture, attacker, name)))
        postures = list(scenario.postures.values())
        if posture.name not in scenario.postures:
            postures.append(posture)
        worker = get_current_worker()
        try:
            runs = self.runner.posture_table(postures, attacker, trials, self.seed,
                                             cancelled=lambda: worker.is_cancelled)
        except Cancelled:
            return
        screen.post_message(DetailReady(runs=runs))

    # Actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit":
            return True
        if action == "help":
            return self.ready
        if not self.ready or not isinstance(self.screen, LabScreen):
            return False
        if action == "step":
            return self.main.active_tab == "replay-tab"
        return True

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle(self, index: int) -> None:
        control = list(lab.Control)[index]
        self.set_control(control, control not in self.posture.enabled)

    def set_control(self, control: lab.Control, on: bool) -> None:
        """Switch one control and re-run; the posture keeps the parameters of the preset it came from."""
        if (control in self.posture.enabled) == on:
            return
        enabled = self.posture.enabled | {control} if on else self.posture.enabled - {control}
        self._set_posture(lab.Posture("custom", frozenset(enabled), self.posture.parameters))

    def _set_posture(self, posture: lab.Posture, preset: str | None = None) -> None:
        if preset is None:
            preset = matching_preset(self.loaded, posture)
        if preset is not None:
            posture = self.loaded.postures[preset]
        self.posture, self.preset = posture, preset
        self.main.query_one(PosturePanel).show_posture(posture, preset)
        self.request_run()

    def action_preset(self, name: str) -> None:
        if name in self.loaded.postures:
            self._set_posture(self.loaded.postures[name], name)

    def action_next_preset(self) -> None:
        names = list(self.loaded.postures)
        index = names.index(self.preset) + 1 if self.preset in names else 0
        self.action_preset(names[index % len(names)])

    def action_next_attacker(self) -> None:
        names = [attacker.name for attacker in self.loaded.attackers]
        self.attacker = names[(names.index(self.attacker) + 1) % len(names)]
        self.request_run()

    def action_next_baseline(self) -> None:
        names = list(self.loaded.postures)
        self.baseline = names[(names.index(self.baseline) + 1) % len(names)]
        self.request_run()

    def action_trials(self, direction: int) -> None:
        steps = list(TRIAL_STEPS)
        index = min(range(len(steps)), key=lambda i: abs(steps[i] - self.trials))
        self.trials = steps[max(0, min(len(steps) - 1, index + direction))]
        self.request_run()

    def action_tab(self, name: str) -> None:
        # Focus left inside the old pane would switch the tabs back, so drop it first.
        self.main.set_focus(None)
        self.main.query_one(TabbedContent).active = TABS[name]
        self._focus_tab(TABS[name])

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        if event.pane.id is not None:
            self._focus_tab(event.pane.id)

    def _focus_tab(self, pane: str) -> None:
        target = {"graph-tab": "#graph", "replay-tab": "#replay-slider", "compare-tab": "#compare-table"}.get(pane)
        if target is not None:
            self.main.query_one(target).focus()

    def action_panel(self) -> None:
        self.main.toggle_panel()

    def action_step(self, delta: int) -> None:
        replay = self.main.query_one(ReplayPane)
        replay.go_to(replay.step + delta)

    def action_export(self) -> None:
        if self.snapshot is None:
            self.notify("Wait for the simulation to finish before exporting.", severity="warning")
            return
        snapshot = self.snapshot

        def chosen(folder: Path | None) -> None:
            if folder is not None:
                self._export_worker(snapshot, folder)

        self.push_screen(ExportScreen(), chosen)

    @work(thread=True, group="export")
    def _export_worker(self, snapshot: Snapshot, folder: Path) -> None:
        runs = [snapshot.baseline, snapshot.current]
        try:
            written = export_runs(self.loaded, runs, folder)
        except (lab.LabError, OSError) as exc:
            self.log.error(f"export to {folder} failed: {exc}")
            self.call_from_thread(self.notify, f"Export to {folder} failed: {exc}", severity="error", timeout=8)
            return
        self.call_from_thread(self.notify, f"Wrote {len(written)} files to {folder}", timeout=6)

    # Posture panel messages

    def on_posture_panel_control_toggled(self, message: PosturePanel.ControlToggled) -> None:
        self.set_control(message.security_control, message.on)

    def on_posture_panel_preset_chosen(self, message: PosturePanel.PresetChosen) -> None:
        self.action_preset(message.name)


def _bundled_path() -> str:
    return str(lab.bundled_scenario("online-boutique"))


def run_app(path: str | None) -> None:
    """Open the terminal UI on the scenario at `path`, or on the bundled Online Boutique when None."""
    LabApp(path).run()
