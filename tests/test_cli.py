"""The `lab` command line, driven through click's runner and as real processes."""

from __future__ import annotations

import csv
import os
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.cli import main

REPO = Path(__file__).resolve().parents[1]
BOUTIQUE = str(REPO / "scenarios" / "online-boutique.yaml")
TEACHING = str(REPO / "scenarios" / "teaching.yaml")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_reports_counts(runner):
    result = runner.invoke(main, ["validate", BOUTIQUE])
    assert result.exit_code == 0
    assert "valid scenario 'online-boutique': 14 services, 18 calls, 2 credentials, 3 attackers" in result.output


def test_validate_bad_file_exits_2_with_location(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nservices:\n  - {name: web, exposd: true}\nattackers: []\n")
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"error: {bad}:3:17: services[0].exposd: unknown key 'exposd' (did you mean 'exposed'?)" in result.output
    assert "Traceback" not in result.output


def test_missing_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(main, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'nope.yaml'}:0:0: file not found (check the path)" in result.output


def test_unknown_posture_lists_known_ones(runner):
    result = runner.invoke(main, ["compare", BOUTIQUE, "--postures", "implicit-trust,zero-trsut", "-n", "5"])
    assert result.exit_code == 2
    assert "error: unknown posture 'zero-trsut'; known postures: implicit-trust, traditional" in result.output


def test_unknown_attacker_is_reported(runner):
    result = runner.invoke(main, ["run", BOUTIQUE, "--attacker", "nobody", "-n", "5"])
    assert result.exit_code == 2
    assert "error: unknown attacker 'nobody'; the scenario defines: internet-exhaustive" in result.output


def test_compare_writes_results_and_csv(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(main, ["compare", BOUTIQUE, "-n", "40", "--seed", "3", "--attacker", "internet-targeted",
                                  "--out", str(out), "--no-charts"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "results.json").read_text())
    assert document["trials"] == 40
    assert document["seed"] == 3
    assert [r["posture"] for r in document["results"]] == ["implicit-trust", "zero-trust"]
    comparison = document["comparisons"][0]
    assert (comparison["baseline"], comparison["posture"]) == ("implicit-trust", "zero-trust")
    low, high = comparison["metrics"]["blast_radius_mean"]["difference_ci95"]
    assert low <= comparison["metrics"]["blast_radius_mean"]["difference"] <= high
    with (out / "trials.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 80
    assert {row["posture"] for row in rows} == {"implicit-trust", "zero-trust"}
    assert sorted({int(row["trial"]) for row in rows}) == list(range(40))
    assert not (out / "checkpoint.jsonl").exists()


def test_compare_table_separates_touch_and_exfiltration(runner):
    result = runner.invoke(main, ["compare", TEACHING, "-n", "30"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "P(objective exfiltrated)" in result.output
    assert "P(objective touched via API)" in result.output
    assert "zero-trust vs implicit-trust" in result.output
    assert "95% bootstrap CI" in result.output


def test_run_prints_one_posture(runner):
    result = runner.invoke(main, ["run", BOUTIQUE, "--posture", "advanced", "-n", "20"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "advanced" in result.output
    assert "zero-trust" not in result.output


def test_show_prints_paths_and_reach(runner):
    result = runner.invoke(main, ["show", BOUTIQUE, "--posture", "implicit-trust"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "internet-exhaustive under implicit-trust: can reach" in result.output
    assert "shortest expected path to payment-cards: entry -> service:frontend -> service:paymentservice" in result.output


def test_schema_is_json(runner):
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "Microservice security lab scenario"


def test_resume_without_out_is_rejected(runner):
    result = runner.invoke(main, ["compare", BOUTIQUE, "-n", "5", "--resume"])
    assert result.exit_code == 2
    assert "error: --resume needs --out: the folder of the interrupted run" in result.output


def test_output_folder_that_is_a_file_is_rejected(runner, tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me")
    result = runner.invoke(main, ["compare", BOUTIQUE, "-n", "5", "--out", str(target)])
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert target.read_text() == "keep me"


def test_module_entry_point_runs_as_a_process():
    completed = subprocess.run([sys.executable, "-m", "lab", "validate", TEACHING], capture_output=True, text=True)
    assert completed.returncode == 0
    assert "valid scenario 'teaching'" in completed.stdout


def test_unwritable_output_folder_is_a_clear_error(runner, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = runner.invoke(main, ["compare", BOUTIQUE, "-n", "5", "--out", str(folder)])
    finally:
        folder.chmod(0o700)
    if os.geteuid() == 0:
        pytest.skip("root may write into a read-only folder")
    assert result.exit_code == 2
    assert "cannot write the checkpoint" in result.output


def test_checkpoint_that_is_a_folder_is_a_clear_error(runner, tmp_path):
    (tmp_path / "checkpoint.jsonl").mkdir()
    result = runner.invoke(main, ["compare", BOUTIQUE, "-n", "5", "--out", str(tmp_path), "--resume"])
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'checkpoint.jsonl'}: cannot read the checkpoint: Is a directory" in result.output


def test_garbage_checkpoint_is_reported_as_unreadable(runner, tmp_path):
    (tmp_path / "checkpoint.jsonl").write_text("not json\n")
    result = runner.invoke(main, ["compare", BOUTIQUE, "-n", "5", "--out", str(tmp_path), "--resume"])
    assert result.exit_code == 2
    assert "not a checkpoint this version of the lab can read; delete it to start again" in result.output


def test_generate_into_missing_folder_is_a_clear_error(runner):
    result = runner.invoke(main, ["generate", "--services", "5", "--out", "/proc/no-such-folder/mesh.yaml"])
    assert result.exit_code == 2
    assert result.output.startswith("error: /proc/no-such-folder/mesh.yaml: cannot write the file:")


def test_results_are_written_before_a_closed_pipe(tmp_path):
    out = tmp_path / "piped"
    process = subprocess.Popen(
        f"'{sys.executable}' -m lab compare '{BOUTIQUE}' -n 50 --no-charts --out '{out}' | head -c 10",
        shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, stderr = process.communicate(timeout=120)
    assert b"Traceback" not in stderr
    assert (out / "results.json").exists()
    assert not (out / "checkpoint.jsonl").exists()


def test_show_rejects_unknown_posture_before_printing(runner):
    result = runner.invoke(main, ["show", BOUTIQUE, "--posture", "nope"])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown posture 'nope'")
