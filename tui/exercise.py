"""Exercise mode: the scenario's goal, the budget left and whether the current controls meet it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

import lab
from tui import format as fmt
from tui.runs import ExerciseCheck, control_cost

MET = ("✔", "bold #27ae60")
MISSED = ("✘", "bold #e74c3c")


def mark(ok: bool | None) -> Text:
    """Return a check mark, a cross, or a dash when the exercise does not set the limit."""
    if ok is None:
        return Text("–", style="dim")
    symbol, style = MET if ok else MISSED
    return Text(f"{symbol} {'met' if ok else 'not met'}", style=style)


class ExercisePanel(Static):
    """The exercise goal and the verdict for the current posture."""

    def __init__(self, scenario: lab.Scenario, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scenario = scenario
        self.check: ExerciseCheck | None = None

    def on_mount(self) -> None:
        if self.scenario.exercise is None:
            self.update(Text("This scenario has no exercise. Add an `exercise:` section to its file "
                             "to set a goal and a budget for the controls.", style="dim"))

    def show_check(self, check: ExerciseCheck | None, enabled: frozenset[lab.Control]) -> None:
        """Show the verdict; `check` is None while a run is in progress."""
        exercise = self.scenario.exercise
        if exercise is None:
            return
        self.check = check
        attacker = self.scenario.attacker(exercise.attacker).name

        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_column()
        table.add_column()
        table.add_row("attacker", attacker, "", "")

        spent = control_cost(exercise, enabled)
        table.add_row("budget", f"{fmt.cost(spent)} spent of {fmt.cost(exercise.budget)}",
                      f"{fmt.cost(exercise.budget - spent)} left", mark(spent <= exercise.budget))
        if exercise.max_blast_radius_p95 is not None:
            now = fmt.count(check.blast_radius_p95) if check else "…"
            table.add_row("blast radius p95", f"at most {fmt.count(exercise.max_blast_radius_p95)}",
                          f"now {now}", mark(check.blast_radius_met) if check else Text("…"))
        if exercise.max_objective_probability is not None:
            now = fmt.percent(check.objective_probability) if check else "…"
            table.add_row("objective reached", f"at most {fmt.percent(exercise.max_objective_probability)}",
                          f"now {now}", mark(check.objective_met) if check else Text("…"))

        verdict = Text()
        if check is None:
            verdict.append("simulating…", style="dim")
        elif check.met:
            verdict.append("✔ Goal met within budget", style="bold #27ae60")
        else:
            verdict.append("✘ Goal not met yet", style="bold #e74c3c")

        costs = Table("control", "cost", "on", box=None, padding=(0, 2), header_style="bold")
        for control in lab.Control:
            price = exercise.costs.get(control.value, 0.0)
            costs.add_row(fmt.CONTROL_NAMES[control], fmt.cost(price), "✔" if control in enabled else "·")

        body = Table.grid()
        body.add_row(verdict)
        if exercise.description:
            body.add_row(Text(exercise.description, style="italic"))
        body.add_row(Text(""))
        body.add_row(table)
        body.add_row(Text(""))
        body.add_row(costs)
        self.update(body)
