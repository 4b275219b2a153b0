"""The training loop: callbacks, stop, skip, NaN losses, splatting, both gradient styles."""

import logging
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

import flux
from flux import Dense

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_epochs_yields_and_logs(caplog):
    with caplog.at_level(logging.INFO, logger="flux.train"):
        assert list(flux.epochs(3)) == [1, 2, 3]
    assert [r.getMessage() for r in caplog.records] == ["Epoch 1", "Epoch 2", "Epoch 3"]


def test_throttle_leading():
    calls = []
    throttled = flux.throttle(lambda i: calls.append(i) or i, 10.0)
    assert throttled(1) == 1
    assert throttled(2) == 1
    assert calls == [1]


def test_throttle_window_passes():
    calls = []
    throttled = flux.throttle(calls.append, 0.05)
    throttled(1)
    time.sleep(0.08)
    throttled(2)
    assert calls == [1, 2]


def test_throttle_trailing():
    calls = []
    throttled = flux.throttle(calls.append, 0.05, trailing=True)
    throttled(1)
    throttled(2)
    throttled(3)
    time.sleep(0.2)
    assert calls == [1, 3]


def test_throttle_not_leading():
    calls = []
    throttled = flux.throttle(calls.append, 0.05, leading=False)
    assert throttled(1) is None
    assert calls == []
    time.sleep(0.2)
    assert calls == [1]


def test_early_stopping_triggers():
    scores = iter([5.0, 4.0, 4.5, 4.2, 4.1])
    trigger = flux.early_stopping(lambda: next(scores), 3, init_score=10.0)
    results = [trigger() for _ in range(5)]
    assert results == [False, False, False, False, True]


def test_early_stopping_resets_on_improvement():
    scores = iter([5.0, 6.0, 4.0, 6.0, 6.0])
    trigger = flux.early_stopping(lambda: next(scores), 2, init_score=10.0)
    assert [trigger() for _ in range(5)] == [False, False, False, False, True]


def test_plateau_triggers():
    scores = iter([1.0, 0.5, 0.5, 0.5])
    trigger = flux.plateau(lambda: next(scores), 2, init_score=2.0)
    assert [trigger() for _ in range(4)] == [False, False, False, True]


def test_patience_rejects_zero():
    with pytest.raises(ValueError, match="wait"):
        flux.patience(lambda: True, 0)


# ---------------------------------------------------------------------------------------
# train itself needs gradients.

zygote_py = pytest.importorskip("zygote_py")
pytest.importorskip("zygote_py.testing")


def line_data(n_batches=4):
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(n_batches):
        x = rng.normal(size=(1, 8))
        batches.append((x, 3.0 * x + 1.0))
    return batches


def test_train_tuple_splat_converges():
    model = Dense(np.zeros((1, 1)), np.zeros(1))
    ps = flux.params(model)
    opt = flux.Descent(0.1)
    data = line_data()
    for _ in range(100):
        flux.train(lambda x, y: flux.mse(model(x), y), ps, data, opt)
    np.testing.assert_allclose(model.weight, [[3.0]], atol=1e-4)
    np.testing.assert_allclose(model.bias, [1.0], atol=1e-4)


def test_train_non_tuple_batch():
    # A batch that is an array reaches the loss whole; splatting it would pass 3 scalars.
    w = np.array([2.0])

    def loss(x):
        return np.sum((w * x) ** 2) * (x.shape[0] == 3)

    losses = flux.train(loss, zygote_py.Params([w]), [np.ones(3), np.ones(3)],
                        flux.Descent(0.01))
    assert losses[0] == pytest.approx(12.0)
    assert w[0] < 2.0


def test_train_returns_losses():
    w = np.array([1.0])
    losses = flux.train(lambda x: np.sum((w * x) ** 2), zygote_py.Params([w]), [np.ones(1)] * 3,
                        flux.Descent(0.1))
    assert len(losses) == 3
    assert losses[0] == pytest.approx(1.0)
    assert losses[1] < losses[0]


def test_train_callbacks_after_each_update():
    w = np.array([1.0])
    record = []
    flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), [np.ones(1)] * 3,
               flux.Descent(1.0), cb=[lambda: record.append(w[0]), lambda: record.append("b")])
    assert record == [0.0, "b", -1.0, "b", -2.0, "b"]


def test_train_single_callback():
    count = []
    flux.train(lambda x: np.sum(x * x), zygote_py.Params([np.ones(1)]), [np.ones(1)] * 2,
               flux.Descent(), cb=lambda: count.append(1))
    assert len(count) == 2


def test_train_stop_from_callback():
    w = np.array([1.0])
    calls = []

    def cb():
        calls.append(1)
        if len(calls) == 2:
            flux.stop()

    flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), [np.ones(1)] * 5,
               flux.Descent(1.0), cb=cb)
    assert len(calls) == 2
    assert w[0] == -1.0


def test_train_stop_from_loss():
    w = np.array([1.0])
    batches = [np.ones(1), np.ones(1), np.zeros(1), np.ones(1)]

    def loss(x):
        if np.all(x == 0):
            flux.stop()
        return np.sum(w * x)

    flux.train(loss, zygote_py.Params([w]), batches, flux.Descent(1.0))
    assert w[0] == -1.0


def test_train_skip_batch():
    w = np.array([1.0])
    batches = [np.ones(1), np.full(1, -1.0), np.ones(1)]

    def loss(x):
        if np.all(x < 0):
            flux.skip()
        return np.sum(w * x)

    losses = flux.train(loss, zygote_py.Params([w]), batches, flux.Descent(1.0))
    assert w[0] == -1.0
    assert len(losses) == 2


def test_train_nan_raises_before_update():
    w = np.array([1.0])
    batches = [np.ones(1), np.ones(1), np.full(1, np.nan)]
    with pytest.raises(FloatingPointError, match="batch 2"):
        flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), batches, flux.Descent(1.0))
    assert w[0] == -1.0


def test_train_inf_raises():
    w = np.array([1.0])
    with pytest.raises(FloatingPointError, match="inf"):
        flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), [np.full(1, np.inf)],
                   flux.Descent(1.0))


def test_train_other_exception_propagates():
    w = np.array([1.0])

    def cb():
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), [np.ones(1)], flux.Descent(),
                   cb=cb)


def test_train_explicit_style():
    model = Dense(np.zeros((1, 1)), np.zeros(1))
    state = flux.setup(flux.Adam(0.1), model)
    data = line_data()
    for _ in range(150):
        flux.train(lambda m, x, y: flux.mse(m(x), y), model, data, state)
    np.testing.assert_allclose(model.weight, [[3.0]], atol=1e-2)
    np.testing.assert_allclose(model.bias, [1.0], atol=1e-2)


def test_train_explicit_rule_accepted_with_warning():
    model = Dense(np.zeros((1, 1)), np.zeros(1))
    with pytest.warns(UserWarning, match="flux.setup"):
        flux.train(lambda m, x, y: flux.mse(m(x), y), model, line_data(), flux.Descent(0.1))
    assert model.weight[0, 0] > 0


def test_train_dropout_active_inside():
    # Dropped entries get no gradient, kept ones a gradient of 1 / (1 - p) = 2.
    layer = flux.Dropout(0.5, rng=np.random.default_rng(0))
    w = np.ones((1, 50))
    flux.train(lambda x: np.sum(layer(w * x)), zygote_py.Params([w]), [np.ones((1, 50))],
               flux.Descent(1.0))
    assert set(np.unique(w)) == {1.0, -1.0}
    x = np.ones((1, 50))
    assert np.all(layer(x) == x)


def test_train_progress_bar(capsys):
    pytest.importorskip("tqdm")
    w = np.array([1.0])
    flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), [np.ones(1)] * 3,
               flux.Descent(), progress=True)
    assert "train" in capsys.readouterr().err


def test_train_no_progress_when_not_terminal(capsys):
    w = np.array([1.0])
    flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), [np.ones(1)] * 3, flux.Descent())
    assert capsys.readouterr().err == ""


def test_implicit_decorator_gradient():
    model = Dense(np.ones((1, 2)), np.zeros(1))
    ps = flux.params(model)
    x = np.array([[1.0], [2.0]])

    @zygote_py.gradient(ps)
    def gs():
        return np.sum(model(x))

    np.testing.assert_allclose(gs[model.weight], [[1.0, 2.0]])
    np.testing.assert_allclose(gs[model.bias], [1.0])


def test_train_progress_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    w = np.array([1.0])
    with pytest.warns(UserWarning, match="needs the tqdm package"):
        losses = flux.train(lambda x: np.sum(w * x), zygote_py.Params([w]), [np.ones(1)] * 2,
                            flux.Descent(), progress=True)
    assert len(losses) == 2


def test_flux_imports_without_tqdm():
    code = "import sys; sys.modules['tqdm'] = None; import flux; print(flux.Dense(2, 2))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=str(ROOT))
    assert result.returncode == 0, result.stderr
    assert "Dense(2 => 2)" in result.stdout


def test_flux_reexports_zygote():
    assert flux.gradient is zygote_py.gradient
    assert flux.Params is zygote_py.Params
    (g,) = flux.gradient(lambda x: np.sum(x * x), np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 4.0])
