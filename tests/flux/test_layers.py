"""Layers: construction, shapes, dtypes, errors, printing and gradients."""

import warnings

import numpy as np
import pytest

import flux
from flux import (Bilinear, Chain, Dense, Dropout, Embedding, Maxout, Parallel, Scale,
                  SkipConnection, relu)
from flux.layers import _warned_conversion

RNG = np.random.default_rng(0)


def batch(n_features, n=5, dtype=np.float32):
    return RNG.normal(size=(n_features, n)).astype(dtype)


def test_dense_shapes():
    layer = Dense(4, 3)
    assert layer.weight.shape == (3, 4)
    assert layer.bias.shape == (3,)
    assert layer(batch(4)).shape == (3, 5)


def test_dense_float32_default():
    layer = Dense(4, 3)
    assert layer.weight.dtype == np.float32
    assert layer.bias.dtype == np.float32
    assert layer(batch(4)).dtype == np.float32


def test_dense_single_observation():
    assert Dense(4, 3)(np.ones(4, np.float32)).shape == (3,)


def test_dense_higher_dims():
    layer = Dense(4, 3)
    x = RNG.normal(size=(4, 2, 5)).astype(np.float32)
    y = layer(x)
    assert y.shape == (3, 2, 5)
    np.testing.assert_allclose(y[:, 1, :], layer(x[:, 1, :]), rtol=1e-6)


def test_dense_formula():
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b = np.array([0.5, -0.5, 1.0])
    layer = Dense(w, b, relu)
    x = np.array([[1.0, -1.0], [1.0, 0.0]])
    np.testing.assert_allclose(layer(x), np.maximum(w @ x + b[:, None], 0))


def test_dense_no_bias():
    layer = Dense(4, 3, bias=False)
    assert layer.bias is None
    assert len(flux.params(layer)) == 1
    x = batch(4)
    np.testing.assert_allclose(layer(x), layer.weight @ x, rtol=1e-6)


def test_dense_init_keywords():
    layer = Dense(2, 3, init=flux.ones32)
    np.testing.assert_array_equal(layer.weight, np.ones((3, 2)))
    layer = Dense(2, 3, initW=flux.zeros32, initb=flux.ones32)
    np.testing.assert_array_equal(layer.weight, np.zeros((3, 2)))
    np.testing.assert_array_equal(layer.bias, np.ones(3))


def test_dense_wrong_size_message():
    with pytest.raises(ValueError, match=r"Dense\(4 => 3\).*4 features.*\(5, 2\)"):
        Dense(4, 3)(np.zeros((5, 2), np.float32))


def test_dense_float64_warns_once():
    _warned_conversion.clear()
    layer = Dense(4, 3)
    x = batch(4, dtype=np.float64)
    with pytest.warns(UserWarning, match="float64 input"):
        y = layer(x)
    assert y.dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(x)


def test_dense_repr():
    assert repr(Dense(64, 32, relu)) == "Dense(64 => 32, relu)  # 2_080 parameters"
    assert repr(Dense(3, 2, bias=False)) == "Dense(3 => 2, bias=False)  # 6 parameters"


def test_chain_repr():
    model = Chain(Dense(64, 64, relu), Dense(64, 10))
    expected = "\n".join([
        "Chain(",
        "  Dense(64 => 64, relu),                # 4_160 parameters",
        "  Dense(64 => 10),                      # 650 parameters",
        ")                   # Total: 4 arrays, 4_810 parameters, 18.789 KiB.",
    ])
    assert repr(model) == expected


def test_chain_repr_named():
    text = repr(Chain(enc=Dense(2, 3), dec=Dense(3, 2)))
    assert "  enc=Dense(2 => 3)," in text
    assert "Total: 4 arrays, 17 parameters, 68 bytes." in text


def test_chain_order():
    model = Chain(lambda x: x + 1, lambda x: x * 2)
    assert model(np.array(3.0)) == 8.0


def test_chain_indexing():
    a, b, c = Dense(2, 3), Dense(3, 4), Dense(4, 1)
    model = Chain(a, b, c)
    assert model[0] is a
    assert model[-1] is c
    assert isinstance(model[1:], Chain)
    assert model[1:].layers == (b, c)
    assert len(model) == 3


def test_chain_named_access():
    enc, dec = Dense(2, 3), Dense(3, 2)
    model = Chain(enc=enc, dec=dec)
    assert model["enc"] is enc
    assert model.dec is dec
    assert model[:1].names == ("enc",)
    x = batch(2)
    np.testing.assert_allclose(model(x), dec(enc(x)))


def test_chain_rejects_noncallable():
    with pytest.raises(TypeError, match="not callable"):
        Chain(Dense(2, 2), 3)


def test_activations_outputs():
    model = Chain(Dense(2, 3, relu), Dense(3, 1))
    x = batch(2)
    outputs = flux.activations(model, x)
    assert len(outputs) == 2
    np.testing.assert_allclose(outputs[0], model[0](x))
    np.testing.assert_allclose(outputs[1], model(x))


def test_skipconnection_residual():
    inner = Dense(3, 3)
    layer = SkipConnection(inner, np.add)
    x = batch(3)
    np.testing.assert_allclose(layer(x), inner(x) + x)


def test_parallel_concatenates():
    a, b = Dense(4, 2), Dense(4, 3)
    x = batch(4)
    y = Parallel(flux.vcat, a, b)(x)
    np.testing.assert_allclose(y, np.concatenate([a(x), b(x)]))


def test_parallel_multiple_inputs():
    a, b = Dense(4, 2), Dense(3, 2)
    x1, x2 = batch(4), batch(3)
    np.testing.assert_allclose(Parallel(np.add, a, b)(x1, x2), a(x1) + b(x2))


def test_parallel_wrong_count_raises():
    with pytest.raises(ValueError, match="2 layers got 3 inputs"):
        Parallel(np.add, Dense(2, 2), Dense(2, 2))(batch(2), batch(2), batch(2))


def test_maxout_elementwise_max():
    layer = Maxout(lambda: Dense(3, 2), 4)
    assert len(layer.layers) == 4
    x = batch(3)
    expected = np.max(np.stack([l(x) for l in layer.layers]), axis=0)
    np.testing.assert_allclose(layer(x), expected)


def test_scale_formula():
    layer = Scale(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0]))
    x = np.ones((3, 2))
    np.testing.assert_allclose(layer(x), [[1, 1], [3, 3], [2, 2]])


def test_scale_default_identity():
    layer = Scale(3)
    x = batch(3)
    np.testing.assert_allclose(layer(x), x)
    assert len(flux.params(layer)) == 2


def test_bilinear_matches_einsum():
    layer = Bilinear(2, 3, 4)
    x, y = batch(2), batch(3)
    expected = np.einsum("kij,ib,jb->kb", layer.weight, x, y) + layer.bias[:, None]
    np.testing.assert_allclose(layer(x, y), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer((x, y)), expected, rtol=1e-5, atol=1e-6)


def test_bilinear_single_input():
    layer = Bilinear(3, 3, 2)
    x = np.ones(3, np.float32)
    assert layer(x).shape == (2,)


def test_embedding_indices():
    layer = Embedding(10, 4)
    out = layer(np.array([1, 7, 1]))
    assert out.shape == (4, 3)
    np.testing.assert_array_equal(out[:, 0], layer.weight[:, 1])
    np.testing.assert_array_equal(out[:, 1], layer.weight[:, 7])


def test_embedding_onehot_matches_indices():
    layer = Embedding(5, 3)
    onehot = flux.onehotbatch([4, 0], range(5))
    np.testing.assert_allclose(layer(onehot), layer(np.array([4, 0])), rtol=1e-6)


def test_embedding_out_of_range():
    with pytest.raises(IndexError, match="outside 0..4"):
        Embedding(5, 3)(np.array([5]))


def test_dropout_inactive_by_default():
    x = batch(10, 20)
    assert Dropout(0.5)(x) is x


def test_dropout_trainmode_masks():
    layer = flux.trainmode(Dropout(0.5, rng=np.random.default_rng(1)))
    x = np.ones((100, 100), np.float32)
    y = layer(x)
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.4 < np.mean(y == 0) < 0.6
    assert y.dtype == np.float32


def test_dropout_testmode_identity():
    layer = flux.testmode(Dropout(0.5, active=True))
    x = batch(4)
    np.testing.assert_array_equal(layer(x), x)


def test_dropout_dims_shares_mask():
    layer = Dropout(0.5, dims=0, active=True, rng=np.random.default_rng(2))
    y = layer(np.ones((50, 8)))
    assert np.all(y == y[:, :1])


def test_dropout_no_params():
    with pytest.warns(UserWarning, match="no floating-point arrays"):
        assert len(flux.params(Dropout(0.5))) == 0


def test_flatten_shape():
    assert flux.flatten(np.zeros((2, 3, 4))).shape == (6, 4)


def test_params_order_and_count():
    model = Chain(Dense(2, 3), Dense(3, 1))
    ps = flux.params(model)
    assert len(ps) == 4
    assert list(ps)[0] is model[0].weight
    assert list(ps)[3] is model[1].bias


def test_params_shared_once():
    layer = Dense(3, 3)
    assert len(flux.params(Chain(layer, layer))) == 2


def test_modes_nested():
    model = Chain(Dense(2, 2), Dropout(0.3))
    flux.trainmode(model)
    assert model[1].active is True
    flux.testmode(model)
    assert model[1].active is False
    flux.testmode(model, None)
    assert model[1].active is None


# ---------------------------------------------------------------------------------------
# Gradients through zygote_py.

zygote_py = pytest.importorskip("zygote_py")
pytest.importorskip("zygote_py.testing")


def test_dense_gradient_fields():
    layer = Dense(np.array([[1.0, 2.0]]), np.array([0.5]))
    x = np.array([[3.0], [4.0]])
    (g,) = zygote_py.gradient(lambda m: np.sum(m(x)), layer)
    np.testing.assert_allclose(g.weight, [[3.0, 4.0]])
    np.testing.assert_allclose(g["bias"], [1.0])


def test_dense_gradient_check():
    rng = np.random.default_rng(5)
    w, b, x = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(4, 6))
    zygote_py.testing.check_grads(lambda w, b: np.sum(np.tanh(Dense(w, b)(x))), w, b)


def test_dense_input_gradient_float64_to_float32():
    _warned_conversion.add("Dense")
    layer = Dense(3, 2)
    x = np.ones((3, 4))
    (g,) = zygote_py.gradient(lambda x: np.sum(layer(x)), x)
    assert g.shape == (3, 4)
    np.testing.assert_allclose(g, np.repeat(layer.weight.sum(axis=0)[:, None], 4, axis=1),
                               rtol=1e-6)


def test_chain_gradient_structure():
    model = Chain(Dense(2, 3, np.tanh), Dense(3, 1))
    x = batch(2)
    (g,) = zygote_py.gradient(lambda m: np.sum(m(x)), model)
    assert g.layers[0].weight.shape == (3, 2)
    assert g.layers[1].bias.shape == (1,)
    np.testing.assert_allclose(g.layers[1].bias, [5.0])


def numeric_gradient(loss, array, h=1e-6):
    """Central differences of `loss()` with respect to the entries of `array`, in place."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + h
        upper = loss()
        array[index] = saved - h
        lower = loss()
        array[index] = saved
        grad[index] = (upper - lower) / (2 * h)
    return grad


def test_chain_gradient_check():
    rng = np.random.default_rng(6)
    model = Chain(Dense(rng.normal(size=(3, 2)), rng.normal(size=3), flux.softplus),
                  Dense(rng.normal(size=(1, 3)), False))
    x = rng.normal(size=(2, 4))

    def loss(m):
        return np.sum(m(x) ** 2)

    (g,) = zygote_py.gradient(loss, model)
    for i, name in [(0, "weight"), (0, "bias"), (1, "weight")]:
        expected = numeric_gradient(lambda: loss(model), getattr(model[i], name))
        np.testing.assert_allclose(g.layers[i][name], expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("make", [
    lambda: SkipConnection(Dense(3, 3, np.tanh), np.add),
    lambda: Parallel(flux.vcat, Dense(3, 2), Dense(3, 1)),
    lambda: Maxout(lambda: Dense(3, 2), 3),
    lambda: Scale(3, sigma=np.tanh),
    lambda: Bilinear(3, 3, 2),
    lambda: Chain(Dense(3, 4, flux.gelu), Dropout(0.0), Dense(4, 2)),
], ids=["skip", "parallel", "maxout", "scale", "bilinear", "chain"])
def test_layer_input_gradient(make):
    layer = flux.f64(make())
    x = np.random.default_rng(8).normal(size=(3, 5))
    zygote_py.testing.check_grads(lambda x: np.sum(layer(x) ** 2), x)


def test_embedding_gradient_accumulates():
    layer = Embedding(4, 2, init=flux.ones32)
    (g,) = zygote_py.gradient(lambda m: np.sum(m(np.array([1, 1, 3]))), layer)
    np.testing.assert_allclose(g.weight, [[0, 2, 0, 1], [0, 2, 0, 1]])


def test_dropout_gradient_uses_mask():
    layer = Dropout(0.5, active=True, rng=np.random.default_rng(3))
    x = np.ones((20, 20))
    (g,) = zygote_py.gradient(lambda x: np.sum(layer(x)), x)
    assert set(np.unique(g)) <= {0.0, 2.0}
    assert 0 < np.count_nonzero(g) < g.size


def test_dense_higher_dims_gradient():
    rng = np.random.default_rng(9)
    layer = Dense(rng.normal(size=(2, 3)), rng.normal(size=2), np.tanh)
    x = rng.normal(size=(3, 2, 4))
    zygote_py.testing.check_grads(lambda x: np.sum(layer(x) ** 2), x)


def test_bilinear_parameter_gradient():
    rng = np.random.default_rng(10)
    layer = flux.f64(Bilinear(2, 3, 2))
    x, y = rng.normal(size=(2, 4)), rng.normal(size=(3, 4))

    def loss(m):
        return np.sum(m(x, y) ** 2)

    (g,) = zygote_py.gradient(loss, layer)
    expected = numeric_gradient(lambda: loss(layer), layer.weight)
    np.testing.assert_allclose(g.weight, expected, rtol=1e-5, atol=1e-8)


def test_scale_parameter_gradient():
    layer = Scale(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    (g,) = zygote_py.gradient(lambda m: np.sum(m(x)), layer)
    np.testing.assert_allclose(g.scale, [3.0, 7.0])
    np.testing.assert_allclose(g.bias, [2.0, 2.0])


def test_chain_built_inside_gradient():
    rng = np.random.default_rng(11)
    w1, w2 = rng.normal(size=(3, 2)), rng.normal(size=(1, 3))
    x = rng.normal(size=(2, 4))

    def loss(w1, w2):
        model = Chain(Dense(w1, True, flux.softplus), Dense(w2, False))
        return np.sum(model(x) ** 2)

    zygote_py.testing.check_grads(loss, w1, w2)


def test_parallel_two_inputs_gradient():
    rng = np.random.default_rng(12)
    layer = flux.f64(Parallel(np.add, Dense(3, 2, np.tanh), Dense(2, 2)))
    x2 = rng.normal(size=(2, 4))
    zygote_py.testing.check_grads(lambda x1: np.sum(layer(x1, x2) ** 2), rng.normal(size=(3, 4)))


def test_dense_built_inside_bias_gradient():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2, 3))
    zygote_py.testing.check_grads(lambda w, b: np.sum(np.tanh(Dense(w, b)(x))),
                                  rng.normal(size=(2, 2)), rng.normal(size=2))


@pytest.mark.parametrize("build", [
    lambda w: Bilinear(np.stack([w, 2 * w])),
    lambda w: Scale(w[0], sigma=np.tanh),
    lambda w: SkipConnection(Dense(w, False, np.tanh), np.add),
    lambda w: Maxout(Dense(w), Dense(-w)),
], ids=["bilinear", "scale", "skip", "maxout"])
def test_layer_built_inside_gradient(build):
    x = np.random.default_rng(14).normal(size=(2, 3))
    w = np.random.default_rng(15).normal(size=(2, 2))
    zygote_py.testing.check_grads(lambda w: np.sum(build(w)(x) ** 2), w)


def test_bilinear_tuple_form():
    layer = Bilinear((2, 3), 4, relu)
    assert layer.weight.shape == (4, 2, 3)
    assert layer.sigma is relu
    assert repr(layer) == "Bilinear((2, 3) => 4, relu)  # 28 parameters"
