"""Tests of the non-differentiable registrations and of `python -m zygote_py.rules`."""

import builtins
import math
import re
import subprocess
import sys

import numpy as np
import pytest

import zygote_py
from zygote_py.rules import registry


@pytest.mark.parametrize("primal", [
    np.shape, np.size, np.ndim, builtins.len, builtins.isinstance, builtins.range,
    np.zeros, np.ones_like, np.arange, np.linspace, np.eye, np.identity,
    np.equal, np.greater, np.logical_and, np.all, np.any, np.allclose, np.isclose,
    np.array_equal, np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero,
    np.searchsorted, np.argwhere, np.floor, np.ceil, np.round, np.around, np.trunc, np.rint,
    np.fix, np.isnan, np.isinf, np.isfinite, np.unique, np.count_nonzero, np.bincount,
    np.histogram, np.digitize, np.random.normal, np.random.default_rng, np.random.seed,
    builtins.round, math.floor, np.int64, np.bool_, np.dtype, builtins.any,
], ids=lambda primal: getattr(primal, "__name__", repr(primal)))
def test_registered_non_differentiable(primal):
    assert registry.is_non_differentiable(primal)
    assert registry.lookup_rule(primal) is None


@pytest.mark.parametrize("cls, name", [
    (np.ndarray, "argmax"), (np.ndarray, "argmin"), (np.ndarray, "argsort"),
    (np.ndarray, "nonzero"), (np.ndarray, "any"), (np.ndarray, "all"),
    (np.random.Generator, "normal"), (np.random.Generator, "integers"),
    (np.random.Generator, "permutation"), (np.random.RandomState, "rand"),
])
def test_non_differentiable_method(cls, name):
    rule = registry.lookup_method_rule(cls, name)
    assert registry.is_non_differentiable_method(rule)


@pytest.mark.parametrize("name", ["item", "tolist"])
def test_value_methods_carry_gradient(name):
    rule = registry.lookup_method_rule(np.ndarray, name)
    assert rule is not None
    assert not registry.is_non_differentiable_method(rule)


def noisy_scaled_sum(x):
    noise = np.random.default_rng(0).normal(size=3)
    return np.sum(x * noise)


def test_random_noise_is_constant():
    (g,) = zygote_py.gradient(noisy_scaled_sum, np.ones(3))
    np.testing.assert_array_equal(g, np.random.default_rng(0).normal(size=3))


def largest_entry(x):
    return x[np.argmax(x)] * 2.0


def test_argmax_index_carries_no_gradient():
    (g,) = zygote_py.gradient(largest_entry, np.array([0.5, 3.0, 1.0]))
    np.testing.assert_array_equal(g, [0.0, 2.0, 0.0])


def test_listing_counts_rules():
    result = subprocess.run([sys.executable, "-m", "zygote_py.rules"], capture_output=True,
                            text=True, check=True)
    last = result.stdout.strip().splitlines()[-1]
    match = re.match(r"(\d+) callables carry gradient rules", last)
    assert match, last
    assert int(match.group(1)) >= 200
    assert "  numpy.linalg.svd" in result.stdout
    assert "  ndarray.sum" in result.stdout
    assert "  ndarray.T" in result.stdout


def test_listing_all_includes_non_differentiable():
    result = subprocess.run([sys.executable, "-m", "zygote_py.rules", "--all"],
                            capture_output=True, text=True, check=True)
    assert "non-differentiable functions" in result.stdout
    assert "  numpy.argmax" in result.stdout
