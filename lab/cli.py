"""The `lab` command line: a thin layer over the library."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lab.charts import write_charts
from lab.engine.runner import static_graph
from lab.engine.static import shortest_attack_path
from lab.engine.trial import TrialResult
from lab.errors import LabError, ScenarioError
from lab.model import Scenario
from lab.checkpoint import Checkpoint
from lab.output import prepare_output_dir, write_atomic, write_study
from lab.report import comparison_table, scenario_table, study_table
from lab.scenario import load_scenario, scenario_json_schema_text
from lab.study import Study, plan_study, run_study

stdout = Console()
stderr = Console(stderr=True)
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


class LabGroup(click.Group):
    """A click group that turns lab errors into messages and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem.format()}", err=True)
            count = len(exc.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was run", err=True)
            sys.exit(EXIT_INVALID)
        except LabError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INVALID)
        except BrokenPipeError:
            # The reader of standard output went away (`lab ... | head`):
            # stop printing quietly. Result files were written before printing.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)


@click.group(cls=LabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="microservice-security-lab")
def main() -> None:
    """Simulate lateral movement in a microservice architecture and compare security postures."""


def _load(file: str) -> Scenario:
    return load_scenario(file)


def _print_notes(scenario: Scenario) -> None:
    for note in scenario.notes:
        click.echo(f"note: {scenario.file}: {note}", err=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file: str) -> None:
    """Check a scenario file and report every problem with its line and column."""
    scenario = _load(file)
    _print_notes(scenario)
    click.echo(f"{file}: valid scenario {scenario.name!r}: {len(scenario.services)} services, "
               f"{len(scenario.calls)} calls, {len(scenario.credentials)} credentials, "
               f"{len(scenario.attackers)} attackers")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files, for editor completion and checks."""
    click.echo(scenario_json_schema_text(), nl=False)


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[object]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.advance(task, done)



def _parse_postures(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise LabError("--postures needs at least one posture name, separated by commas")
    return names


def _run_study(file: str, postures: list[str] | None, attacker: str | None, trials: int | None,
               seed: int | None, workers: int, out: str | None,
               resume: bool) -> tuple[Study, Checkpoint | None]:
    """Run the requested study, keeping finished chunks in a checkpoint when there is --out."""
    scenario = _load(file)
    _print_notes(scenario)
    study = plan_study(scenario, postures, [attacker] if attacker else None, trials, seed)
    if resume and out is None:
        raise LabError("--resume needs --out: the folder of the interrupted run")
    checkpoint = Checkpoint(prepare_output_dir(Path(out)), study) if out else None
    done = {}
    if checkpoint is not None and checkpoint.exists():
        if not resume:
            raise LabError(f"{checkpoint.path}: an interrupted run is kept here; add --resume to continue it, "
                           "or delete the file to start again")
        done = checkpoint.load()
    elif resume:
        click.echo(f"note: no interrupted run in {out}; running from the start", err=True)
    total = study.trials * len(study.postures) * len(study.attackers)
    finished = sum(len(results) for results in done.values())
    if checkpoint is not None:
        checkpoint.open(resume=bool(done))

    def record(posture: str, attacker_name: str, chunk: list[TrialResult]) -> None:
        nonlocal finished
        finished += len(chunk)
        if checkpoint is not None:
            checkpoint.append(posture, attacker_name, chunk[0].index, chunk)

    try:
        with progress_bar(total, f"simulating {scenario.name}") as advance:
            run_study(study, workers, advance, record, done)
    except KeyboardInterrupt:
        if checkpoint is None:
            click.echo(f"interrupted after {finished} of {total} trials; nothing was written "
                       "(with --out DIR, finished trials are kept for --resume)", err=True)
        else:
            checkpoint.close()
            click.echo(f"interrupted: {finished} of {total} trials finished and kept in {checkpoint.path}; "
                       "run the same command with --resume to continue", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if checkpoint is not None:
        checkpoint.close()
    return study, checkpoint


def _write(study: Study, out: str | None, charts: bool, checkpoint: Checkpoint | None) -> None:
    if out is None:
        return
    folder = Path(out)
    written = write_study(study, folder)
    if charts:
        written += write_charts(study, folder)
    if checkpoint is not None:
        checkpoint.remove()
    for path in written:
        click.echo(f"wrote {path}", err=True)


TRIALS = click.option("--trials", "-n", type=click.IntRange(1, 10_000_000), default=None,
                      help="Monte Carlo trials per posture and attacker [default: the scenario's, else 1000].")
SEED = click.option("--seed", "-s", type=click.IntRange(0, 2**63 - 1), default=None,
                    help="Seed of the random streams [default: the scenario's, else 1].")
WORKERS = click.option("--workers", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
                       help="Worker processes; results are identical for any number.")
ATTACKER = click.option("--attacker", "-a", default=None,
                        help="Simulate only this attacker [default: every attacker in the scenario].")
OUT = click.option("--out", "-o", type=click.Path(file_okay=False), default=None,
                   help="Folder for results.json, trials.csv and PNG charts.")
RESUME = click.option("--resume", is_flag=True,
                      help="Continue the interrupted run kept in --out; the result is the same as an "
                      "uninterrupted run.")
CHARTS = click.option("--charts/--no-charts", default=True, show_default=True,
                      help="With --out, also draw the PNG charts.")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--posture", "-p", default="implicit-trust", show_default=True,
              help="Posture to simulate: a built-in one or one defined in the scenario.")
@ATTACKER
@TRIALS
@SEED
@WORKERS
@OUT
@RESUME
@CHARTS
def run(file: str, posture: str, attacker: str | None, trials: int | None, seed: int | None,
        workers: int, out: str | None, resume: bool, charts: bool) -> None:
    """Simulate one posture and print its blast radius and objective metrics."""
    study, checkpoint = _run_study(file, [posture], attacker, trials, seed, workers, out, resume)
    _write(study, out, charts, checkpoint)
    for name in study.attackers:
        stdout.print(study_table(study, name))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--postures", "-p", default=None,
              help="Comma-separated postures; the first is the baseline [default: implicit-trust,zero-trust].")
@ATTACKER
@TRIALS
@SEED
@WORKERS
@OUT
@RESUME
@CHARTS
def compare(file: str, postures: str | None, attacker: str | None, trials: int | None, seed: int | None,
            workers: int, out: str | None, resume: bool, charts: bool) -> None:
    """Simulate several postures on the same random streams and compare them."""
    study, checkpoint = _run_study(file, _parse_postures(postures), attacker, trials, seed, workers, out,
                                   resume)
    _write(study, out, charts, checkpoint)
    comparisons = study.comparisons()
    for name in study.attackers:
        stdout.print(study_table(study, name))
        for (who, baseline, other), differences in comparisons.items():
            if who == name:
                stdout.print(comparison_table(who, baseline, other, differences))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--posture", "-p", default="implicit-trust", show_default=True,
              help="Posture whose static attack graph is summarised.")
def show(file: str, posture: str) -> None:
    """Print the scenario as a table and summarise its static attack graph."""
    scenario = _load(file)
    chosen = scenario.posture(posture)
    _print_notes(scenario)
    stdout.print(scenario_table(scenario))
    for attacker in scenario.attackers:
        static = static_graph(scenario, chosen, attacker)
        reached = sorted(static.reached - {attacker.entry.name})
        stdout.print(f"[bold]{attacker.name}[/] under {posture}: can reach {len(reached)} of "
                     f"{len(scenario.services)} services with unlimited time and no defender"
                     + (f": {', '.join(reached)}" if reached else ""))
        for asset in attacker.objective:
            paths = shortest_attack_path(static, f"asset:{asset}")
            if paths:
                stdout.print(f"  shortest expected path to {asset}: " + " -> ".join(paths[0]))
            else:
                stdout.print(f"  {asset}: unreachable under {posture}")


@main.command()
@click.option("--services", "-n", type=click.IntRange(2, 10_000), default=12, show_default=True,
              help="Number of services in the generated mesh.")
@click.option("--seed", "-s", type=click.IntRange(0, 2**63 - 1), default=1, show_default=True,
              help="Seed; the same seed writes the same file.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write [default: standard output].")
def generate(services: int, seed: int, out: str | None) -> None:
    """Write a synthetic but plausible service mesh scenario."""
    from lab.generate import generate_scenario_yaml

    text = generate_scenario_yaml(services, seed)
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomic(Path(out), text.encode())
    click.echo(f"wrote {out}", err=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False), required=False)
def tui(file: str | None) -> None:
    """Open the terminal UI on a scenario [default: the bundled Online Boutique]."""
    from tui.app import run_app

    run_app(file)
