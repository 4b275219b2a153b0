"""User rules and non-differentiable marks that replace zygote_py's own."""

import copy

import numpy as np
import pytest

import zygote_py as zp
from zygote_py.rules import registry


@pytest.fixture
def scratch_registry(monkeypatch):
    """Let a test override built-in rules, and restore them afterwards."""
    for name in ("_rules", "_non_differentiable", "_user_defined"):
        monkeypatch.setattr(registry, name, copy.copy(getattr(registry, name)))
    yield
    monkeypatch.undo()
    # Functions compiled against the overrides must be compiled again.
    registry._bump()


def tanh_total(x):
    return np.sum(np.tanh(x))


def square_plus_abs(x):
    return x * x + abs(x)


x = np.array([0.3, -0.2])


@pytest.mark.usefixtures("scratch_registry")
def test_user_rule_replaces_inlined_ufunc():
    np.testing.assert_allclose(zp.gradient(tanh_total, x)[0], 1 - np.tanh(x) ** 2)

    @zp.adjoint(np.tanh)
    def tanh_rule(a):
        return np.tanh(a), lambda dy: (dy * 42.0,)

    np.testing.assert_allclose(zp.gradient(tanh_total, x)[0], [42.0, 42.0])
    assert "unary_pullback" not in zp.source(tanh_total)


@pytest.mark.usefixtures("scratch_registry")
def test_non_differentiable_replaces_builtin_rule():
    assert zp.gradient(square_plus_abs, 0.5) == (2.0,)
    zp.non_differentiable(abs)
    assert zp.gradient(square_plus_abs, 0.5) == (1.0,)


def test_builtin_rules_are_back_after_override():
    np.testing.assert_allclose(zp.gradient(tanh_total, x)[0], 1 - np.tanh(x) ** 2)
    assert zp.gradient(square_plus_abs, 0.5) == (2.0,)
