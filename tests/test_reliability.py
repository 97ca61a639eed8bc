"""Interrupted and killed runs: kept trials, exact resumption, no half-written files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lab.output import TEMPORARY_SUFFIX

REPO = Path(__file__).resolve().parents[1]
BOUTIQUE = str(REPO / "scenarios" / "online-boutique.yaml")
COMMAND = [sys.executable, "-m", "lab", "compare", BOUTIQUE, "--trials", "4000", "--no-charts"]
COMPARE = [*COMMAND, "--seed", "9"]


def start(out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*COMPARE, "--out", str(out), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {count} lines before the run ended")


def test_interrupted_compare_resumes_to_identical_results(tmp_path):
    baseline = tmp_path / "baseline"
    subprocess.run([*COMPARE, "--out", str(baseline)], check=True, capture_output=True)

    out = tmp_path / "resumed"
    process = start(out)
    wait_for_lines(out / "checkpoint.jsonl", 4, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    message = stderr.decode()
    assert process.returncode == 130
    assert "interrupted: " in message
    assert "of 24000 trials finished and kept in" in message
    assert "run the same command with --resume to continue" in message
    assert "Traceback" not in message
    assert not (out / "results.json").exists()

    again = subprocess.run([*COMPARE, "--out", str(out)], capture_output=True, text=True)
    assert again.returncode == 2
    assert "an interrupted run is kept here; add --resume to continue it" in again.stderr

    resumed = subprocess.run([*COMPARE, "--out", str(out), "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "results.json").read_bytes() == (baseline / "results.json").read_bytes()
    assert (out / "trials.csv").read_bytes() == (baseline / "trials.csv").read_bytes()
    assert not (out / "checkpoint.jsonl").exists()


def test_resume_ignores_a_line_cut_short(tmp_path):
    out = tmp_path / "cut"
    process = start(out)
    wait_for_lines(out / "checkpoint.jsonl", 3, process)
    process.kill()
    process.wait()
    checkpoint = out / "checkpoint.jsonl"
    lines = checkpoint.read_bytes().split(b"\n")
    checkpoint.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][: len(lines[3]) // 2])
    resumed = subprocess.run([*COMPARE, "--out", str(out), "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    document = json.loads((out / "results.json").read_text())
    assert document["trials"] == 4000


def test_resume_of_another_request_is_rejected(tmp_path):
    out = tmp_path / "other"
    process = start(out)
    wait_for_lines(out / "checkpoint.jsonl", 2, process)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    other_seed = [*COMMAND, "--seed", "10", "--out", str(out), "--resume"]
    result = subprocess.run(other_seed, capture_output=True, text=True)
    assert result.returncode == 2
    assert "the interrupted run was of another scenario file, seed, trial count" in result.stderr


def test_killed_run_leaves_no_truncated_output(tmp_path):
    out = tmp_path / "killed"
    for delay in (0.5, 1.5, 3.0):
        process = start(out)
        time.sleep(delay)
        process.kill()
        process.wait()
        for name in ("results.json",):
            if (out / name).exists():
                json.loads((out / name).read_text())
    finished = subprocess.run([*COMPARE, "--out", str(out), "--resume"], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    json.loads((out / "results.json").read_text())
    assert list(out.glob(f"*{TEMPORARY_SUFFIX}")) == []


WRITER = """
import sys
from pathlib import Path
from lab.output import write_atomic
target = Path(sys.argv[1])
payload = b"x" * (64 * 1024 * 1024)
print("ready", flush=True)
while True:
    write_atomic(target, payload)
"""


def test_atomic_write_killed_midway_keeps_whole_file(tmp_path):
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert target.stat().st_size in (3, 64 * 1024 * 1024)
