"""Charts drawn from real studies of small scenarios: data, labels and PNG files."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lab.charts import (
    DPI,
    MAX_BAR_GROUPS,
    MAX_TIMELINE_ROWS,
    OUTCOME_COLORS,
    blast_radius_figure,
    objective_cdf_figure,
    representative_trial,
    safe_file_part,
    service_graph_figure,
    timeline_figure,
    write_charts,
)
from lab.controls import BUILTIN_POSTURES
from lab.engine.actions import Event, Outcome
from lab.engine.runner import sample_trial
from lab.engine.trial import TrialResult
from lab.scenario import load_scenario
from lab.servicegraph import layer_columns
from lab.study import Study, plan_study, run_study
from lab.techniques import ATTACK_IDS, Technique

SCENARIO = """\
name: shop-lab
services:
  - {name: web, exposed: true, zone: edge, vulnerabilities: [{id: CVE-1, severity: critical}]}
  - {name: api, zone: core, data: [{name: orders, sensitivity: 4}]}
  - {name: worker, zone: core}
  - {name: db, kind: datastore, zone: data, data: [{name: customers, sensitivity: 5}]}
calls:
  - {from: web, to: api, operations: [get-order], reads: [orders]}
  - {from: web, to: web}
  - {from: api, to: worker}
  - {from: api, to: db, protocol: tcp, credential: db-pass}
credentials:
  - {name: db-pass, kind: password, held_by: [api], grants: [{target: db, access: read}]}
attackers:
  - {name: outsider, entry: internet, objective: [customers], horizon: 12h}
  - {name: patient, entry: internet, objective: [customers], horizon: 7d}
simulation: {trials: 200, seed: 7}
"""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ChartFiles = tuple[Path, list[Path]]  # the output folder and the paths write_charts returned


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    path = tmp_path_factory.mktemp("scenario") / "shop-lab.yaml"
    path.write_text(SCENARIO)
    return run_study(plan_study(load_scenario(path)))


def _big_scenario_text(services: int, zones: int) -> str:
    """Return a chain of services spread round-robin over zones. svc-1 contains the objective asset."""
    lines = ["name: big-mesh", "services:"]
    for i in range(services):
        extra = ", exposed: true, vulnerabilities: [{id: CVE-1, severity: critical}]" if i == 0 else ""
        extra += ", data: [{name: svc-1-data, sensitivity: 2}]" if i == 1 else ""
        lines.append(f"  - {{name: svc-{i}, zone: zone-{i % zones}{extra}}}")
    lines.append("calls:")
    lines += [f"  - {{from: svc-{i}, to: svc-{i + 1}}}" for i in range(services - 1)]
    lines += ["attackers:", "  - {name: outsider, entry: internet, objective: [svc-1-data], horizon: 7d}"]
    return "\n".join(lines) + "\n"


def _main_axes(figure: Figure) -> Axes:
    return figure.axes[0]


# Blast radius


def test_blast_radius_bars_match_trial_histogram(study: Study) -> None:
    ax = _main_axes(blast_radius_figure(study, "outsider"))
    containers = {c.get_label().split(":")[0]: c for c in ax.containers}
    assert set(containers) == set(study.postures)
    largest = max(row.blast_radius for stats in study.stats.values() for row in stats.rows)
    for posture in study.postures:
        stats = study.stats[(posture, "outsider")]
        counts = Counter(row.blast_radius for row in stats.rows)
        bars = containers[posture].patches
        heights = [bar.get_height() for bar in bars]
        centres = [round(bar.get_x() + bar.get_width() / 2) for bar in bars]
        assert centres == list(range(largest + 1))
        assert heights == pytest.approx([counts.get(x, 0) / stats.trials for x in range(largest + 1)])


def test_blast_radius_marks_mean_and_p95(study: Study) -> None:
    ax = _main_axes(blast_radius_figure(study, "outsider"))
    lines = [(line.get_xdata()[0], line.get_linestyle()) for line in ax.lines if len(line.get_xdata())]
    for posture in study.postures:
        summary = study.stats[(posture, "outsider")].blast_radius
        assert (pytest.approx(summary.mean), "--") in lines
        assert (pytest.approx(summary.p95), ":") in lines


def test_blast_radius_axes_carry_units(study: Study) -> None:
    ax = _main_axes(blast_radius_figure(study, "outsider"))
    assert "services" in ax.get_xlabel()
    assert ax.get_ylabel() == "fraction of trials"


# Time to the objective


def _cdf_lines(figure: Figure) -> dict[str, object]:
    return {line.get_label().split(":")[0]: line for line in _main_axes(figure).lines
            if line.get_label().split(":")[0] in BUILTIN_POSTURES}


def test_cdf_plateaus_at_reach_probability(study: Study) -> None:
    lines = _cdf_lines(objective_cdf_figure(study, "outsider"))
    for posture in study.postures:
        probability = study.stats[(posture, "outsider")].objective_exfiltrated.probability
        assert lines[posture].get_ydata()[-1] == pytest.approx(probability)
    plateau = study.stats[("implicit-trust", "outsider")].objective_exfiltrated.probability
    assert 0 < plateau < 1


def test_cdf_steps_at_each_exfiltration_time(study: Study) -> None:
    lines = _cdf_lines(objective_cdf_figure(study, "outsider"))
    stats = study.stats[("implicit-trust", "outsider")]
    times = sorted(row.objective_exfiltrated_at for row in stats.rows
                   if math.isfinite(row.objective_exfiltrated_at))
    xs = list(lines["implicit-trust"].get_xdata())
    ys = list(lines["implicit-trust"].get_ydata())
    assert xs == pytest.approx([0.0, *times, 12.0])
    assert ys[1:-1] == pytest.approx([i / stats.trials for i in range(1, len(times) + 1)])


def test_cdf_short_horizon_in_hours(study: Study) -> None:
    ax = _main_axes(objective_cdf_figure(study, "outsider"))
    horizon = [line for line in ax.lines if line.get_label().startswith("attacker horizon")]
    assert len(horizon) == 1
    assert horizon[0].get_xdata()[0] == pytest.approx(12.0)
    assert "(hours)" in ax.get_xlabel()
    assert ax.get_ylabel().startswith("fraction of trials")


def test_cdf_long_horizon_in_days(study: Study) -> None:
    ax = _main_axes(objective_cdf_figure(study, "patient"))
    horizon = [line for line in ax.lines if line.get_label().startswith("attacker horizon")]
    assert horizon[0].get_xdata()[0] == pytest.approx(7.0)
    assert "(days)" in ax.get_xlabel()
    stats = study.stats[("implicit-trust", "patient")]
    first = min(r.objective_exfiltrated_at for r in stats.rows)
    assert _cdf_lines(ax.figure)["implicit-trust"].get_xdata()[1] == pytest.approx(first / 24)


# Titles


def test_titles_name_scenario_attacker_and_postures(study: Study) -> None:
    trial = sample_trial(study.scenario, study.scenario.posture("zero-trust"),
                         study.scenario.attacker("outsider"), study.seed, 0)
    figures = {
        "blast radius": (blast_radius_figure(study, "outsider"), study.postures),
        "objective": (objective_cdf_figure(study, "outsider"), study.postures),
        "graph": (service_graph_figure(study, "zero-trust", "outsider"), ["zero-trust"]),
        "timeline": (timeline_figure(study.scenario, "zero-trust", "outsider", trial), ["zero-trust"]),
    }
    for name, (figure, postures) in figures.items():
        title = _main_axes(figure).get_title()
        assert "shop-lab" in title, name
        assert "outsider" in title, name
        for posture in postures:
            assert posture in title, name


# Service graph


def test_service_graph_colours_by_compromise_probability(study: Study) -> None:
    stats = study.stats[("implicit-trust", "patient")]
    ax = _main_axes(service_graph_figure(study, "implicit-trust", "patient"))
    drawn = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == "services"]
    colours = sorted(float(v) for c in drawn for v in c.get_array())
    assert colours == pytest.approx(sorted(stats.service_compromise.values()))
    assert sum(len(c.get_offsets()) for c in drawn) == 4


def test_service_graph_marks_exposed_and_datastores(study: Study) -> None:
    ax = _main_axes(service_graph_figure(study, "implicit-trust", "outsider"))
    drawn = [c for c in ax.collections if c.get_gid() == "services"]
    thick = sum(width > 2 for c in drawn for width in c.get_linewidths())
    assert thick == 1
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "datastore" in legend
    assert "internet-exposed" in legend


def test_service_graph_labels_every_service(study: Study) -> None:
    figure = service_graph_figure(study, "zero-trust", "outsider")
    labels = {text.get_text() for text in _main_axes(figure).texts}
    assert labels == {"web", "api", "worker", "db"}
    assert figure.axes[1].get_ylabel() == "compromise probability (fraction of trials)"


def test_service_graph_draws_self_call_as_ring(study: Study) -> None:
    ax = _main_axes(service_graph_figure(study, "zero-trust", "outsider"))
    rings = [line for line in ax.lines if line.get_markerfacecolor() == "none"]
    assert len(rings) == 1


@pytest.fixture(scope="module")
def big_study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    path = tmp_path_factory.mktemp("big") / "big.yaml"
    path.write_text(_big_scenario_text(300, 3))
    return run_study(plan_study(load_scenario(path), postures=["implicit-trust"], trials=3))


def test_large_graph_aggregates_by_zone(big_study: Study) -> None:
    ax = _main_axes(service_graph_figure(big_study, "implicit-trust", "outsider"))
    assert "aggregated by zone" in ax.get_title()
    assert "300 services in 3 groups" in ax.get_title()
    groups = [c for c in ax.collections if c.get_gid() == "groups"]
    assert len(groups) == 1
    assert len(groups[0].get_offsets()) == 3
    labels = [text.get_text() for text in ax.texts]
    assert len(labels) == 3
    for zone in ("zone-0", "zone-1", "zone-2"):
        assert any(label.startswith(f"{zone}\n100 services") for label in labels)


def _fan_scenario_text(width: int) -> str:
    """Return one exposed gateway that calls `width` services in a single zone."""
    gateway = "{name: gateway, kind: gateway, exposed: true, vulnerabilities: [{id: CVE-1, severity: critical}]}"
    lines = ["name: fan", "services:", f"  - {gateway}"]
    for i in range(width):
        lines.append(f"  - {{name: orders-{i}, data: [{{name: orders-{i}-data, sensitivity: 1}}]}}")
    lines += ["calls:", *(f"  - {{from: gateway, to: orders-{i}}}" for i in range(width))]
    lines += ["attackers:", "  - {name: outsider, entry: internet, objective: [orders-0-data], horizon: 1d}"]
    return "\n".join(lines) + "\n"


def _fan_study(tmp_path: Path, width: int) -> Study:
    path = tmp_path / "fan.yaml"
    path.write_text(_fan_scenario_text(width))
    return run_study(plan_study(load_scenario(path), postures=["zero-trust"], trials=2))


def test_wide_column_draws_every_service(tmp_path: Path) -> None:
    ax = _main_axes(service_graph_figure(_fan_study(tmp_path, 45), "zero-trust", "outsider"))
    drawn = [c for c in ax.collections if c.get_gid() == "services"]
    assert sum(len(c.get_offsets()) for c in drawn) == 46
    assert len(ax.texts) == 46
    column_xs = {round(float(x), 2) for c in drawn for x, _ in c.get_offsets() if x > 0.5}
    assert column_xs == {0.82, 1.0, 1.18}


def test_too_wide_column_aggregates_by_depth(tmp_path: Path) -> None:
    ax = _main_axes(service_graph_figure(_fan_study(tmp_path, 70), "zero-trust", "outsider"))
    assert "aggregated by attack depth" in ax.get_title()
    labels = sorted(text.get_text() for text in ax.texts)
    assert labels[0].startswith("depth 0\n1 service")
    assert labels[1].startswith("depth 1\n70 services")


def test_layer_columns_put_datastores_last() -> None:
    graph = nx.DiGraph([("web", "api"), ("api", "db"), ("api", "worker"), ("batch", "db")])
    columns = layer_columns(graph, ["web"], {"db"})
    assert columns == {"web": 0, "api": 1, "worker": 2, "batch": 3, "db": 4}


def test_blast_radius_bins_wide_ranges(big_study: Study) -> None:
    stats = big_study.stats[("implicit-trust", "outsider")]
    largest = max(row.blast_radius for row in stats.rows)
    assert largest + 1 > MAX_BAR_GROUPS
    ax = _main_axes(blast_radius_figure(big_study, "outsider"))
    bin_width = math.ceil((largest + 1) / MAX_BAR_GROUPS)
    assert f"bars of {bin_width} values" in ax.get_xlabel()
    counts = Counter(row.blast_radius // bin_width for row in stats.rows)
    heights = [bar.get_height() for bar in ax.containers[0].patches]
    assert heights == pytest.approx([counts.get(k, 0) / stats.trials for k in range(len(heights))])
    assert len(heights) <= MAX_BAR_GROUPS


# Timeline


def test_timeline_rows_follow_events(study: Study) -> None:
    scenario = study.scenario
    trial = sample_trial(scenario, scenario.posture("implicit-trust"), scenario.attacker("patient"),
                         study.seed, 0)
    assert 0 < len(trial.events) <= MAX_TIMELINE_ROWS
    ax = _main_axes(timeline_figure(scenario, "implicit-trust", "patient", trial))
    labels = [label.get_text() for label in ax.get_yticklabels()]
    events = sorted(trial.events, key=lambda e: (e.time, e.end))
    assert len(labels) == len(events)
    for label, event in zip(labels, events):
        assert label.startswith(f"{event.technique.value} {event.attack_id}")
        assert f"{event.source} → {event.target}" in label
    assert ax.get_xlabel() == "time since the attack started (hours)"


def _trial_with_outcomes(study: Study, posture: str, attacker: str, count: int) -> TrialResult:
    """Re-run the first trial whose timeline has at least `count` different outcomes."""
    scenario = study.scenario
    for index in range(study.trials):
        trial = sample_trial(scenario, scenario.posture(posture), scenario.attacker(attacker), study.seed, index)
        if len({event.outcome for event in trial.events}) >= count:
            return trial
    pytest.fail(f"no trial of {posture} against {attacker} has {count} different outcomes")


def test_timeline_colours_bars_by_outcome(study: Study) -> None:
    trial = _trial_with_outcomes(study, "zero-trust", "patient", 3)
    ax = _main_axes(timeline_figure(study.scenario, "zero-trust", "patient", trial))
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "event"]
    markers = [line for line in ax.lines if line.get_gid() == "event"]
    assert len(bars) + len(markers) == len(trial.events)
    expected = Counter(to_rgba(OUTCOME_COLORS[e.outcome]) for e in trial.events)
    drawn = Counter([tuple(bar.get_facecolor()) for bar in bars]
                    + [to_rgba(line.get_color()) for line in markers])
    assert drawn == expected


def test_timeline_stars_detected_events(study: Study) -> None:
    scenario = study.scenario
    stats = study.stats[("zero-trust", "patient")]
    detected_rows = [row.index for row in stats.rows if math.isfinite(row.detected_at)]
    for index in detected_rows[:10]:
        trial = sample_trial(scenario, scenario.posture("zero-trust"), scenario.attacker("patient"),
                             study.seed, index)
        if any(event.detected for event in trial.events):
            break
    else:
        pytest.fail("no trial among the first ten detected ones has a detected event")
    ax = _main_axes(timeline_figure(scenario, "zero-trust", "patient", trial))
    stars = [line for line in ax.lines if line.get_gid() == "detected"]
    assert len(stars) == sum(event.detected for event in trial.events)


def test_timeline_shows_first_rows_of_long_trial(study: Study) -> None:
    technique = Technique.CALL_INTERNAL_API
    events = [Event(float(i), float(i) + 0.5, technique, ATTACK_IDS[technique], "web", f"svc-{i}", None,
                    Outcome.FAILED, False) for i in range(45)]
    trial = TrialResult(index=3, entry=None, attempts=45, events=events)
    ax = _main_axes(timeline_figure(study.scenario, "zero-trust", "outsider", trial))
    assert len(ax.get_yticklabels()) == MAX_TIMELINE_ROWS
    assert f"first {MAX_TIMELINE_ROWS} of 45 events" in ax.get_title()


def test_timeline_of_trial_without_events(study: Study) -> None:
    trial = TrialResult(index=0, entry=None, attempts=1)
    ax = _main_axes(timeline_figure(study.scenario, "zero-trust", "outsider", trial))
    assert [text.get_text() for text in ax.texts] == ["no attempt finished within the horizon"]
    assert "0 events" in ax.get_title()


def test_representative_trial_is_nearest_p95(study: Study) -> None:
    stats = study.stats[("zero-trust", "patient")]
    index = representative_trial(stats)
    p95 = stats.blast_radius.p95
    nearest = min(abs(row.blast_radius - p95) for row in stats.rows)
    assert abs(stats.rows[index].blast_radius - p95) == nearest


# Files


@pytest.fixture(scope="module")
def chart_files(study: Study, tmp_path_factory: pytest.TempPathFactory) -> ChartFiles:
    out = tmp_path_factory.mktemp("charts") / "out"
    return out, write_charts(study, out)


def test_write_charts_writes_expected_pngs(study: Study, chart_files: ChartFiles) -> None:
    out, written = chart_files
    expected = {f"{chart}_{attacker}.png" for chart in ("blast-radius", "objective-cdf")
                for attacker in study.attackers}
    expected |= {f"{chart}_{attacker}_{posture}.png" for chart in ("service-graph", "timeline")
                 for attacker in study.attackers for posture in study.postures}
    assert len(expected) == 12
    assert {path.name for path in written} == expected
    assert {path.name for path in out.iterdir()} == expected
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC), path.name
        assert 20_000 < len(data) < 2_000_000, path.name


def test_png_size_fits_a_slide(chart_files: ChartFiles) -> None:
    out, _ = chart_files
    header = (out / "blast-radius_outsider.png").read_bytes()[16:24]
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
    assert (width, height) == (10 * DPI, 6 * DPI)


@pytest.mark.parametrize("hostile", [
    "../evil", "..", ".", "", "/etc/passwd", "a/../../b", "..\\windows", "x\x00y", "café", " spaced name ",
])
def test_safe_file_part_rejects_path_syntax(hostile: str) -> None:
    part = safe_file_part(hostile)
    assert part
    assert "/" not in part
    assert "\\" not in part
    assert not part.startswith(".")
    assert all(ch.isascii() and (ch.isalnum() or ch in ".-") for ch in part)


def test_safe_file_part_keeps_valid_names() -> None:
    assert safe_file_part("implicit-trust") == "implicit-trust"
    assert safe_file_part("svc-1.v2") == "svc-1.v2"


def test_safe_file_part_keeps_distinct_names_distinct() -> None:
    names = ["a/b", "a b", "a-b", "a+b", "../a-b"]
    assert len({safe_file_part(name) for name in names}) == len(names)


def test_write_charts_keeps_hostile_names_inside_out(study: Study, tmp_path: Path) -> None:
    scenario = study.scenario
    posture = dataclasses.replace(scenario.posture("zero-trust"), name="../../evil posture")
    attacker = dataclasses.replace(scenario.attacker("outsider"), name="../escape")
    hostile = dataclasses.replace(scenario, postures={**scenario.postures, posture.name: posture},
                                  attackers=(attacker,))
    hostile_study = run_study(plan_study(hostile, postures=[posture.name], trials=20))
    out = tmp_path / "deep" / "out"
    written = write_charts(hostile_study, out)
    assert len(written) == 4
    for path in written:
        assert path.parent == out
        assert not path.name.startswith(".")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(p.name for p in written)
