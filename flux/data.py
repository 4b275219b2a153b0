"""Data utilities: DataLoader, one-hot encoding and splitting, observations on the last axis."""

import math

import numpy as np

__all__ = ["DataLoader", "onehot", "onehotbatch", "onecold", "splitobs", "numobs", "getobs"]


def numobs(data):
    """Return the number of observations: the length of the last axis (of each array)."""
    if isinstance(data, tuple):
        if not data:
            raise ValueError("numobs needs at least one array")
        counts = {numobs(d) for d in data}
        if len(counts) != 1:
            shapes = ", ".join(str(np.shape(d)) for d in data)
            raise ValueError(f"arrays in a tuple must have the same number of observations "
                             f"along their last axis, got shapes {shapes}")
        return counts.pop()
    shape = np.shape(data)
    if len(shape) == 0:
        raise ValueError("a scalar has no observations; pass an array with observations "
                         "along its last axis")
    return shape[-1]


def getobs(data, indices):
    """Return the observations at `indices` (an int or an index array) along the last axis."""
    if isinstance(data, tuple):
        return tuple(getobs(d, indices) for d in data)
    return np.take(np.asarray(data), indices, axis=-1)


class DataLoader:
    """DataLoader(data; batchsize=1, shuffle=False, partial=True, rng=None)

    Iterates over mini-batches of `data`, an array or a tuple of arrays with observations
    along the last axis. A tuple yields tuples, which `train` splats into the loss. Each
    batch keeps the observation axis, so `batchsize=1` yields arrays whose last axis has
    length 1. With `shuffle`, every pass draws a new order from `rng`; with `partial=False`
    the last batch is dropped when it is smaller than `batchsize`. Iterating is reentrant:
    nested loops over one loader each get their own pass.

    Example: `for x, y in DataLoader((X, Y), batchsize=32, shuffle=True): ...`
    """

    def __init__(self, data, batchsize=1, shuffle=False, partial=True, rng=None):
        if isinstance(data, list):
            raise TypeError("DataLoader takes an array or a tuple of arrays, not a list; use "
                            "a tuple to pass several arrays")
        if isinstance(data, tuple):
            data = tuple(np.asarray(d) for d in data)
        else:
            data = np.asarray(data)
        if batchsize < 1:
            raise ValueError(f"batchsize must be at least 1, got {batchsize}")
        self.data = data
        self.batchsize = int(batchsize)
        self.nobs = numobs(data)
        self.shuffle = bool(shuffle)
        self.partial = bool(partial)
        self.rng = rng if rng is not None else np.random.default_rng()

    def __len__(self):
        if self.partial:
            return math.ceil(self.nobs / self.batchsize)
        return self.nobs // self.batchsize

    def __iter__(self):
        order = self.rng.permutation(self.nobs) if self.shuffle else np.arange(self.nobs)
        for i in range(len(self)):
            indices = order[i * self.batchsize:(i + 1) * self.batchsize]
            yield getobs(self.data, indices)

    def __repr__(self):
        kind = f"tuple of {len(self.data)} arrays" if isinstance(self.data, tuple) else "array"
        return (f"DataLoader({kind}, nobs={self.nobs}, batchsize={self.batchsize}, "
                f"shuffle={self.shuffle}, partial={self.partial})")


_NO_DEFAULT = object()


def _label_index(labels, x, default):
    for i, label in enumerate(labels):
        if label == x:
            return i
    if default is not _NO_DEFAULT:
        for i, label in enumerate(labels):
            if label == default:
                return i
        raise ValueError(f"default {default!r} is not one of the labels {list(labels)}")
    raise ValueError(f"value {x!r} is not one of the labels {list(labels)}; pass a default "
                     "label for unknown values")


def onehot(x, labels, default=_NO_DEFAULT, dtype=np.float32):
    """onehot(x, labels; default, dtype=float32)

    Returns a vector of length `len(labels)` with 1 at the position of `x` in `labels`. A
    value not among the labels raises `ValueError`, unless `default` names the label to use.
    Example: `onehot("b", ["a", "b", "c"])` is `[0, 1, 0]`.
    """
    labels = list(labels)
    out = np.zeros(len(labels), dtype=dtype)
    out[_label_index(labels, x, default)] = 1
    return out


def onehotbatch(data, labels, default=_NO_DEFAULT, dtype=np.float32):
    """onehotbatch(data, labels; default, dtype=float32)

    Returns a `(len(labels), *shape(data))` array whose column `j` is `onehot(data[j],
    labels)`: classes along axis 0, observations along the last axis.
    Example: `onehotbatch([0, 2], range(3))` is `[[1, 0], [0, 0], [0, 1]]`.
    """
    labels = list(labels)
    values = np.asarray(data)
    flat = values.reshape(-1)
    index_of = {}
    for i, label in enumerate(labels):
        index_of.setdefault(label.item() if isinstance(label, np.generic) else label, i)
    positions = np.empty(flat.size, dtype=np.intp)
    for j, value in enumerate(flat):
        key = value.item() if isinstance(value, np.generic) else value
        position = index_of.get(key)
        if position is None:
            position = _label_index(labels, key, default)
        positions[j] = position
    out = np.zeros((len(labels), flat.size), dtype=dtype)
    out[positions, np.arange(flat.size)] = 1
    return out.reshape((len(labels),) + values.shape)


def onecold(y, labels=None, axis=0):
    """onecold(y, labels=range(n); axis=0)

    The inverse of `onehotbatch`: returns the label of the largest entry along `axis` of each
    column (ties go to the first). Also works on scores or probabilities.
    Example: `onecold(np.array([[0.1, 0.9], [0.9, 0.1]]), ["a", "b"])` is `["b", "a"]`.
    """
    y = np.asarray(y)
    positions = np.argmax(y, axis=axis)
    if labels is None:
        return positions
    labels = np.asarray(list(labels))
    if labels.shape[0] != y.shape[axis]:
        raise ValueError(f"onecold got {labels.shape[0]} labels for {y.shape[axis]} classes")
    return labels[positions]


def splitobs(data, at=0.8, shuffle=False, rng=None):
    """splitobs(data; at=0.8, shuffle=False, rng=None) -> (first, second, ...)

    Splits the observations (the last axis, of each array of a tuple) into consecutive parts.
    `at` is a fraction or a tuple of fractions: `at=0.8` gives 80% and 20%, `at=(0.6, 0.2)`
    gives 60%, 20% and 20%. With `shuffle`, the observations are permuted with `rng` first.
    """
    n = numobs(data if not isinstance(data, list) else tuple(data))
    fractions = (at,) if np.isscalar(at) else tuple(at)
    if any(f <= 0 for f in fractions) or sum(fractions) >= 1 + 1e-12:
        raise ValueError(f"splitobs needs positive fractions summing to less than 1, got {at}")
    order = np.arange(n)
    if shuffle:
        order = (rng if rng is not None else np.random.default_rng()).permutation(n)
    bounds, start = [], 0
    for fraction in fractions:
        stop = start + round(fraction * n)
        bounds.append((start, stop))
        start = stop
    bounds.append((start, n))
    return tuple(getobs(data, order[a:b]) for a, b in bounds)
