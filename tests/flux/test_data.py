"""DataLoader, one-hot encoding and splitting."""

import numpy as np
import pytest

import flux
from flux import DataLoader


def test_loader_batches_last_axis():
    x = np.arange(20).reshape(2, 10)
    batches = list(DataLoader(x, batchsize=4))
    assert [b.shape for b in batches] == [(2, 4), (2, 4), (2, 2)]
    np.testing.assert_array_equal(batches[0], x[:, :4])


def test_loader_partial_false_drops_last():
    loader = DataLoader(np.arange(10), batchsize=4, partial=False)
    assert len(loader) == 2
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_loader_len_partial():
    assert len(DataLoader(np.arange(10), batchsize=4)) == 3


def test_loader_batchsize_one_keeps_axis():
    batches = list(DataLoader(np.ones((3, 2))))
    assert [b.shape for b in batches] == [(3, 1), (3, 1)]


def test_loader_tuple_data():
    x, y = np.arange(12).reshape(2, 6), np.arange(6) * 10
    batches = list(DataLoader((x, y), batchsize=3))
    assert len(batches) == 2
    bx, by = batches[1]
    np.testing.assert_array_equal(bx, x[:, 3:])
    np.testing.assert_array_equal(by, [30, 40, 50])


def test_loader_tuple_mismatch_raises():
    with pytest.raises(ValueError, match="same number of observations"):
        DataLoader((np.zeros((2, 5)), np.zeros(4)))


def test_loader_shuffle_keeps_pairs():
    x, y = np.arange(10), np.arange(10) * 2
    for bx, by in DataLoader((x, y), batchsize=3, shuffle=True, rng=np.random.default_rng(0)):
        np.testing.assert_array_equal(by, 2 * bx)


def test_loader_shuffle_each_pass():
    loader = DataLoader(np.arange(50), batchsize=50, shuffle=True, rng=np.random.default_rng(1))
    first, second = next(iter(loader)), next(iter(loader))
    assert sorted(first.tolist()) == list(range(50))
    assert sorted(second.tolist()) == list(range(50))
    assert first.tolist() != second.tolist()


def test_loader_no_shuffle_stable_order():
    loader = DataLoader(np.arange(7), batchsize=3)
    assert [b.tolist() for b in loader] == [b.tolist() for b in loader]


def test_loader_nested_iteration():
    loader = DataLoader(np.arange(6), batchsize=2)
    pairs = [(a.tolist(), b.tolist()) for a in loader for b in loader]
    assert len(pairs) == 9
    assert pairs[0] == ([0, 1], [0, 1])
    assert pairs[-1] == ([4, 5], [4, 5])


def test_loader_rejects_bad_batchsize():
    with pytest.raises(ValueError, match="batchsize"):
        DataLoader(np.arange(3), batchsize=0)


def test_loader_rejects_list():
    with pytest.raises(TypeError, match="tuple"):
        DataLoader([np.arange(3), np.arange(3)])


def test_onehot_vector():
    np.testing.assert_array_equal(flux.onehot("b", ["a", "b", "c"]), [0, 1, 0])


def test_onehot_unknown_raises():
    with pytest.raises(ValueError, match="not one of the labels"):
        flux.onehot("z", ["a", "b"])


def test_onehot_default_label():
    np.testing.assert_array_equal(flux.onehot("z", ["a", "b", "?"], default="?"), [0, 0, 1])


def test_onehotbatch_columns():
    out = flux.onehotbatch([0, 2, 1, 2], range(3))
    assert out.shape == (3, 4)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 1]])


def test_onehotbatch_numpy_labels():
    out = flux.onehotbatch(np.array([3, 1]), np.arange(1, 4))
    np.testing.assert_array_equal(out, [[0, 1], [0, 0], [1, 0]])


def test_onecold_inverts_onehotbatch():
    labels = ["cat", "dog", "fish"]
    data = ["dog", "fish", "cat", "dog"]
    assert flux.onecold(flux.onehotbatch(data, labels), labels).tolist() == data


def test_onecold_scores():
    scores = np.array([[0.1, 0.9], [0.9, 0.1]])
    np.testing.assert_array_equal(flux.onecold(scores), [1, 0])


def test_splitobs_fraction():
    train, test = flux.splitobs(np.arange(10), at=0.7)
    assert train.tolist() == list(range(7))
    assert test.tolist() == [7, 8, 9]


def test_splitobs_tuple_shuffled():
    x, y = np.arange(20).reshape(2, 10), np.arange(10)
    (xa, ya), (xb, yb) = flux.splitobs((x, y), at=0.8, shuffle=True, rng=np.random.default_rng(0))
    assert xa.shape == (2, 8)
    assert yb.shape == (2,)
    np.testing.assert_array_equal(xa[1], ya + 10)
    assert sorted(np.concatenate([ya, yb]).tolist()) == list(range(10))


def test_splitobs_three_parts():
    parts = flux.splitobs(np.arange(10), at=(0.5, 0.3))
    assert [p.size for p in parts] == [5, 3, 2]


def test_splitobs_bad_fractions():
    with pytest.raises(ValueError, match="fractions"):
        flux.splitobs(np.arange(10), at=(0.6, 0.5))
