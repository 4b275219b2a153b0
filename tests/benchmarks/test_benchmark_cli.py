"""End-to-end runs of `python -m benchmarks` with only the core dependencies."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]


def run_benchmarks(*arguments):
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        path for path in (str(REPOSITORY), environment.get("PYTHONPATH")) if path)
    return subprocess.run([sys.executable, "-m", "benchmarks", *arguments], cwd=REPOSITORY,
                          env=environment, capture_output=True, text=True, timeout=300)


def test_quick_tiny_ops_runs_end_to_end(tmp_path):
    record_path = tmp_path / "record.json"
    completed = run_benchmarks("--quick", "--only", "tiny_ops", "--peers", "none",
                               "--json", str(record_path))
    assert completed.returncode == 0, completed.stderr
    assert "## Value and gradient time as a ratio to the NumPy forward pass" in completed.stdout
    assert "OMP_NUM_THREADS=1" in completed.stdout
    assert "OPENBLAS_CORETYPE=" in completed.stdout
    assert "## zygote_py targets" in completed.stdout

    record = json.loads(record_path.read_text())
    assert record["libraries"] == ["numpy", "adjoint", "zygote_py"]
    [case] = record["timed"]
    assert case["workload"] == "tiny_ops"
    assert set(case["results"]) == {"numpy", "adjoint", "zygote_py"}
    assert case["results"]["numpy"]["status"] == "ok"
    assert case["results"]["adjoint"]["status"] == "ok"
    assert case["results"]["adjoint"]["ratio"] > 0


def test_quick_only_skips_other_sections():
    completed = run_benchmarks("--quick", "--only", "newton_while", "--peers", "none")
    assert completed.returncode == 0, completed.stderr
    assert "newton_while" in completed.stdout
    assert "tiny_ops" not in completed.stdout
    assert "## first_call" not in completed.stdout


@pytest.mark.parametrize("arguments, message", [
    (("--only", "no_such_workload"), "unknown section no_such_workload"),
    (("--peers", "tensorflow"), "unknown peer 'tensorflow'"),
    (("--threads", "0"), "invalid --threads 0"),
])
def test_invalid_option_is_rejected(arguments, message):
    completed = run_benchmarks(*arguments)
    assert completed.returncode == 2
    assert message in completed.stderr


def test_missing_peer_is_reported_as_skipped(monkeypatch):
    from benchmarks import cli, library_names

    monkeypatch.setattr(library_names, "missing_package",
                        lambda library: "torch" if library == "torch" else None)
    selected, skipped = cli.select_libraries(["autograd", "torch"])
    assert selected == ["numpy", "adjoint", "zygote_py", "autograd"]
    assert skipped == {"torch": "package torch is not installed"}


def test_cli_import_leaves_numpy_unloaded():
    # The thread settings only take effect if they are set before NumPy loads.
    code = "import sys, benchmarks.cli; print('numpy' in sys.modules)"
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, env=environment,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False"
