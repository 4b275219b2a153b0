"""`source(f)` prints readable generated code."""

import numpy as np

import zygote_py as zp


def tiny_model(W, b, x, n):
    """A ten-line function with a loop."""
    for _ in range(n):
        x = np.tanh(W @ x + b)
    total = np.sum(x ** 2)
    if total > 1.0:
        total = total * 0.5
    return total


def test_source_key_lines():
    text = zp.source(tiny_model)
    assert text.startswith("def tiny_model_pullback(W, b, x, n):")
    assert "# grad of: x = np.tanh(W @ x + b)  (test_source.py:11)" in text
    assert "# grad of: total = np.sum(x ** 2)  (test_source.py:12)" in text
    assert "tape.append(" in text
    assert "for _ in range(iterations):" in text
    compile(text, "<generated>", "exec")


def test_differentiable_offers_methods():
    f = zp.differentiable(tiny_model)
    W, b, x = np.eye(2), np.zeros(2), np.ones(2)
    assert f(W, b, x, 2) == tiny_model(W, b, x, 2)
    value, grads = f.withgradient(W, b, x, 2)
    assert value == tiny_model(W, b, x, 2)
    assert grads[3] is None
    np.testing.assert_allclose(f.gradient(W, b, x, 2)[0], grads[0])
    y, back = f.pullback(W, b, x, 2)
    np.testing.assert_allclose(back(1.0)[1], grads[1])
    assert f.source() == zp.source(tiny_model)


def test_transform_restores_garbage_collector():
    import gc

    import zygote_py as zp

    def cubic(x):
        return x * x * x

    def quartic(x):
        return x * x * x * x

    assert gc.isenabled()
    assert zp.gradient(cubic, 2.0) == (12.0,)
    assert gc.isenabled()
    gc.disable()
    try:
        assert zp.gradient(quartic, 1.0) == (4.0,)
        assert not gc.isenabled()
    finally:
        gc.enable()
