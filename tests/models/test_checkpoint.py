"""`checkpointed` recomputes in the backward pass; `hook` edits a gradient."""

import numpy as np

import zygote_py as zp
from zygote_py import checkpointed, gradient, hook
from zygote_py.testing import check_grads

calls = {"count": 0}


@zp.non_differentiable
def count_call():
    calls["count"] += 1


def block(x, W):
    count_call()
    return np.tanh(W @ x)


def chain(x, W):
    for _ in range(3):
        x = checkpointed(block, x, W)
    return np.sum(x ** 2)


def plain_chain(x, W):
    for _ in range(3):
        x = block(x, W)
    return np.sum(x ** 2)


def test_checkpointed_matches_plain_call():
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal(4), rng.standard_normal((4, 4)) * 0.5
    value, grads = zp.withgradient(chain, x, W)
    plain_value, plain_grads = zp.withgradient(plain_chain, x, W)
    assert value == plain_value
    np.testing.assert_allclose(grads[0], plain_grads[0])
    np.testing.assert_allclose(grads[1], plain_grads[1])
    check_grads(chain, x, W)


def test_checkpointed_runs_once_more_per_backward():
    rng = np.random.default_rng(4)
    x, W = rng.standard_normal(3), rng.standard_normal((3, 3))
    calls["count"] = 0
    _, back = zp.pullback(chain, x, W)
    assert calls["count"] == 3
    back(1.0)
    assert calls["count"] == 6
    back(1.0)
    assert calls["count"] == 9


def test_checkpoints_nest():
    def outer(x):
        return checkpointed(lambda v: checkpointed(np.sin, v) * 2, x)

    (g,) = gradient(lambda x: np.sum(outer(x)), np.array([0.5, 1.0]))
    np.testing.assert_allclose(g, 2 * np.cos([0.5, 1.0]))


def test_hook_negates_gradient():
    assert gradient(lambda a, b: hook(np.negative, a) * b, 2.0, 3.0) == (-3.0, 2.0)
