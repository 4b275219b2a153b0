"""Edited source files: a reload gives the new gradient, an edit without one raises."""

import importlib
import sys
import time

import pytest

from zygote_py import SourceUnavailableError, gradient


def write_module(path, body):
    path.write_text(body)
    # Make sure the modification time moves even on coarse file systems.
    stamp = time.time() + 2
    import os

    os.utime(path, (stamp, stamp))


def test_reload_after_edit_gives_new_gradient(tmp_path, monkeypatch):
    module_file = tmp_path / "edited_model.py"
    write_module(module_file, "def f(x):\n    return x * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("edited_model")
    assert gradient(module.f, 2.0) == (4.0,)

    write_module(module_file, "def f(x):\n    return x * x * x * x\n")
    module = importlib.reload(module)
    assert gradient(module.f, 2.0) == (32.0,)
    sys.modules.pop("edited_model", None)


def test_edit_without_reload_raises(tmp_path, monkeypatch):
    module_file = tmp_path / "stale_model.py"
    write_module(module_file, "import math\n\ndef f(x):\n    return math.sin(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("stale_model")
    write_module(module_file, "import math\n\ndef f(x):\n    return math.cos(x)\n")
    with pytest.raises(SourceUnavailableError, match="reload"):
        gradient(module.f, 2.0)
    sys.modules.pop("stale_model", None)
