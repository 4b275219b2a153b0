"""The example scripts, run with fewer epochs."""

import importlib.util
import pathlib

import pytest

pytest.importorskip("sklearn")

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_example_accuracy(tmp_path, capsys):
    digits = load_example("digits")
    path = tmp_path / "digits.npz"
    results = digits.main(["--epochs", "5", "--progress", "off", "--save", str(path)])
    assert results["accuracy"] >= 0.90
    assert results["loaded_accuracy"] == results["accuracy"]
    assert path.exists()
    output = capsys.readouterr().out
    assert "epoch   5" in output
    assert "loaded model test accuracy" in output


def test_regression_example_fits(capsys):
    regression = load_example("regression")
    results = regression.main(["--epochs", "30"])
    assert results["r2"] > 0.2
    assert "test R^2" in capsys.readouterr().out
