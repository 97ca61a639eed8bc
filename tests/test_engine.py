"""Engine rules: horizon, self-calls, determinism, common random numbers and the static graph."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import SILENT, posture, run, scenario_from

from lab import plan_study, run_study, simulate, static_graph, study_document
from lab.controls import BUILTIN_POSTURES, Control
from lab.engine.static import shortest_attack_path

REPO = Path(__file__).resolve().parents[1]
BOUTIQUE = REPO / "scenarios" / "online-boutique.yaml"


def horizon_document(horizon: str) -> dict:
    """Service b falls exactly 100 hours after the start; island has no path."""
    return {
        "name": "horizon",
        "services": [
            {"name": "a"},
            {"name": "b", "data": [{"name": "b-data"}],
             "vulnerabilities": [{"id": "b-rce", "severity": "critical", "success": 1.0, "exploit_time": "100h"}]},
            {"name": "island", "kind": "external"},
        ],
        "calls": [{"from": "a", "to": "b"}],
        "attackers": [{"name": "x", "entry": {"service": "a"}, "objective": ["b-data"], "horizon": horizon}],
    }


def test_event_at_horizon_is_not_processed():
    result = run(scenario_from(horizon_document("100h")), (Control.NETWORK_POLICY,))
    assert "b" not in result.compromised
    assert run(scenario_from(horizon_document("101h")), (Control.NETWORK_POLICY,)).compromised.keys() == {"a", "b"}


def test_island_is_unreachable_in_static_graph():
    scenario = scenario_from(horizon_document("100h"))
    static = static_graph(scenario, posture(Control.NETWORK_POLICY), scenario.attacker(None))
    assert "island" not in static.reached
    assert shortest_attack_path(static, "service:island") == []


def test_self_call_adds_no_move():
    scenario = scenario_from({
        "name": "loop",
        "services": [{"name": "worker"}, {"name": "queue", "kind": "queue", "data": [{"name": "jobs"}]}],
        "calls": [{"from": "worker", "to": "worker"}, {"from": "worker", "to": "queue"}],
        "attackers": [{"name": "x", "entry": {"service": "worker"}, "objective": ["jobs"], "horizon": "1000w"}],
    })
    assert scenario.notes == ("call worker>worker is a self-call; it moves the attacker nowhere",)
    result = run(scenario)
    assert result.reached == {"queue"}
    assert result.blast_radius == 1
    assert not [e for e in result.events if e.target == "worker" and e.source == "worker"
                and e.technique.value == "call-internal-api"]
    static = static_graph(scenario, posture(), scenario.attacker(None))
    assert shortest_attack_path(static, "service:worker") == [["entry", "service:worker"]]


def test_trials_do_not_depend_on_chunking_or_workers():
    from lab import load_scenario

    scenario = load_scenario(BOUTIQUE)
    chosen = scenario.posture("zero-trust")
    attacker = scenario.attacker("internet-exhaustive")
    whole = simulate(scenario, chosen, attacker, 120, 7)
    tail = simulate(scenario, chosen, attacker, 120, 7, start=60)
    parallel = simulate(scenario, chosen, attacker, 120, 7, workers=2)
    assert [r.blast_radius for r in whole[60:]] == [r.blast_radius for r in tail]
    assert [(r.compromised, r.exfiltrated, r.first_detection) for r in whole] == \
        [(r.compromised, r.exfiltrated, r.first_detection) for r in parallel]


def test_same_seed_gives_byte_identical_results_in_separate_processes(tmp_path):
    outputs = []
    for index, workers in enumerate(("1", "2")):
        out = tmp_path / f"run{index}"
        subprocess.run([sys.executable, "-m", "lab", "compare", str(BOUTIQUE), "--trials", "200", "--seed", "5",
                        "--workers", workers, "--out", str(out), "--no-charts"], check=True, capture_output=True)
        outputs.append((out / "results.json").read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["trials"] == 200


def test_different_seeds_give_different_results():
    from lab import load_scenario

    scenario = load_scenario(BOUTIQUE)
    a = study_document(run_study(plan_study(scenario, trials=100, seed=1)))
    b = study_document(run_study(plan_study(scenario, trials=100, seed=2)))
    assert a["results"] != b["results"]


def test_common_random_numbers_pair_identical_postures():
    from lab import compare, load_scenario

    scenario = load_scenario(BOUTIQUE)
    study = run_study(plan_study(scenario, ["implicit-trust", "traditional"], ["internet-exhaustive"], 200, 3))
    differences = compare(study.stats[("implicit-trust", "internet-exhaustive")],
                          study.stats[("traditional", "internet-exhaustive")], 3)
    for difference in differences:
        assert difference.difference == 0
        assert difference.difference_low == difference.difference_high == 0


def test_zero_trust_lowers_boutique_blast_radius_with_tight_intervals():
    from lab import load_scenario

    scenario = load_scenario(BOUTIQUE)
    study = run_study(plan_study(scenario, trials=300, seed=11))
    for (attacker, baseline, other), differences in study.comparisons().items():
        by_metric = {d.metric: d for d in differences}
        assert by_metric["blast_radius_p95"].difference_high < 0, attacker
        assert by_metric["objective_exfiltrated_probability"].difference_high < 0, attacker


def test_builtin_postures_cover_cisa_stages():
    assert BUILTIN_POSTURES["implicit-trust"].enabled == frozenset()
    assert BUILTIN_POSTURES["zero-trust"].enabled == frozenset(Control)
    stages = [BUILTIN_POSTURES[name].enabled for name in ("traditional", "initial", "advanced", "optimal")]
    assert all(earlier < later for earlier, later in zip(stages, stages[1:]))


def test_silent_parameters_never_detect(tiny_document):
    result = run(scenario_from(tiny_document), tuple(Control), parameters=SILENT)
    assert not any(e.detected for e in result.events)
