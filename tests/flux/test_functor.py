"""Walking models: functor, fmap, state, loadmodel, save and load."""

import numpy as np
import pytest

import flux
from flux import Chain, Dense


class Affine:
    """A user-defined layer with no flux base class."""

    def __init__(self, w, b):
        self.w = w
        self.b = b

    def __call__(self, x):
        return self.w @ x + self.b


def make_model():
    return Chain(Dense(3, 4, flux.relu), flux.Dropout(0.2), Dense(4, 2))


def test_functor_dense_children():
    layer = Dense(2, 3)
    children, rebuild = flux.functor(layer)
    assert set(children) == {"weight", "bias", "sigma"}
    assert children["weight"] is layer.weight
    new = rebuild(dict(children, weight=np.zeros((3, 2))))
    assert isinstance(new, Dense)
    assert new.bias is layer.bias
    assert np.all(new.weight == 0)
    assert not np.all(layer.weight == 0)


def test_functor_leaf():
    children, rebuild = flux.functor(np.ones(2))
    assert children == ()
    assert flux.isleaf(flux.relu)


def test_functor_tuple():
    children, rebuild = flux.functor((1, 2))
    assert rebuild((3, 4)) == (3, 4)


def test_fmap_scales_arrays():
    model = make_model()
    doubled = flux.fmap(lambda x: x * 2 if isinstance(x, np.ndarray) else x, model)
    np.testing.assert_allclose(doubled[0].weight, 2 * model[0].weight)
    assert doubled[0].sigma is flux.relu
    assert doubled is not model


def test_fmap_shared_array_once():
    layer = Dense(2, 2)
    mapped = flux.fmap(lambda x: x.copy() if isinstance(x, np.ndarray) else x,
                       Chain(layer, layer))
    assert mapped[0].weight is mapped[1].weight


def test_params_user_class():
    layer = Affine(np.ones((2, 2)), np.zeros(2))
    ps = flux.params(Chain(layer))
    assert len(ps) == 2


def test_trainable_dropout_empty():
    assert flux.trainable(flux.Dropout(0.1)) == {}


def test_f64_converts():
    model = flux.f64(make_model())
    assert model[0].weight.dtype == np.float64


def test_state_copies_arrays():
    model = make_model()
    saved = flux.state(model)
    assert saved["layers"][0]["weight"] is not model[0].weight
    np.testing.assert_array_equal(saved["layers"][0]["weight"], model[0].weight)
    assert saved["layers"][1]["p"] == 0.2
    assert saved["layers"][0]["sigma"] is None


def test_loadmodel_restores():
    model = make_model()
    saved = flux.state(model)
    model[0].weight[...] = 0
    flux.loadmodel(model, saved)
    np.testing.assert_array_equal(model[0].weight, saved["layers"][0]["weight"])


def test_loadmodel_from_model():
    source, target = make_model(), make_model()
    flux.loadmodel(target, source)
    np.testing.assert_array_equal(target[2].bias, source[2].bias)
    np.testing.assert_array_equal(target[0].weight, source[0].weight)


def test_loadmodel_shape_mismatch():
    with pytest.raises(ValueError, match=r"layers.0.weight"):
        flux.loadmodel(Chain(Dense(3, 4)), flux.state(Chain(Dense(3, 5))))


def test_save_load_round_trip(tmp_path):
    model = make_model()
    path = tmp_path / "model.npz"
    flux.save(path, model)
    fresh = make_model()
    flux.load(path, fresh)
    x = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    np.testing.assert_array_equal(fresh(x), model(x))


def test_save_keys_and_no_pickle(tmp_path):
    path = tmp_path / "model.npz"
    flux.save(path, Chain(Dense(2, 2)))
    with np.load(path, allow_pickle=False) as stored:
        assert sorted(stored.files) == ["layers.0.bias", "layers.0.weight"]


def test_load_missing_key(tmp_path):
    path = tmp_path / "model.npz"
    flux.save(path, Chain(Dense(2, 2, bias=False)))
    with pytest.raises(KeyError, match="layers.0.bias"):
        flux.load(path, Chain(Dense(2, 2)))


def test_load_extra_key(tmp_path):
    path = tmp_path / "model.npz"
    flux.save(path, Chain(Dense(2, 2), Dense(2, 2)))
    with pytest.raises(KeyError, match="layers.1"):
        flux.load(path, Chain(Dense(2, 2)))


def test_load_shape_mismatch(tmp_path):
    path = tmp_path / "model.npz"
    flux.save(path, Chain(Dense(2, 3)))
    with pytest.raises(ValueError, match="layers.0.weight"):
        flux.load(path, Chain(Dense(2, 4)))


def test_params_empty_warns():
    with pytest.warns(UserWarning, match="no floating-point arrays"):
        ps = flux.params(Chain(flux.relu))
    assert len(ps) == 0
