"""Sum gradients. `None` is the zero of every type.

Reads of single elements (`x[i]` in a loop) produce `IndexedGradient`s, which keep the
index and value instead of a dense array per read; they turn dense only when added to a dense
gradient or handed to a rule, so a loop of `n` reads costs `O(n)` rather than `O(n^2)`.
"""

import numpy as np

from .buffer import BufferGradient
from .structures import Structural


def _buffer_array(g):
    return g.array if type(g) is BufferGradient else densify(g)


class IndexedGradient:
    """A sparse gradient: the sum of `value` at `index` over its entries.

    For an array, `shape` and `dtype` are the array's; for a list or tuple, `shape` is its
    length and `dtype` is `list` or `tuple`; for a dict, `dtype` is `dict` and the indices
    are its keys.

    Entries live in a list that copies share. A copy records how many entries it owns, so
    appending to the newest copy is `O(1)` and an older alias never reads the new entries.
    """

    __slots__ = ("shape", "dtype", "_entries", "_count")

    def __init__(self, shape, dtype, entries, count=None):
        self.shape = shape
        self.dtype = dtype
        self._entries = entries
        self._count = len(entries) if count is None else count

    @classmethod
    def single(cls, like, index, value):
        return cls(like.shape, like.dtype, [(index, value)])

    def plus(self, other):
        """Return the sum with another `IndexedGradient` of the same shape."""
        entries = self._entries
        if len(entries) != self._count:
            entries = entries[: self._count]
        entries.extend(other._entries[: other._count])
        return IndexedGradient(self.shape, self.dtype, entries)

    @property
    def is_sequence(self):
        return isinstance(self.dtype, type) and issubclass(self.dtype, (list, tuple))

    @property
    def is_mapping(self):
        """Return whether this is the gradient of a dict, whose `shape` is unused."""
        return self.dtype is dict

    def scaled(self, factor):
        """Return this gradient times a number, still sparse."""
        entries = [(index, value * factor) for index, value in self._entries[: self._count]]
        return IndexedGradient(self.shape, self.dtype, entries)

    def dense(self):
        if self.is_sequence:
            return self.add_into_sequence([None] * self.shape)
        if self.is_mapping:
            return self.add_into_mapping({})
        out = np.zeros(self.shape, self.dtype)
        return self.add_into(out)

    def add_into_sequence(self, parts):
        parts = list(parts)
        for index, value in self._entries[: self._count]:
            parts[index] = accumulate(parts[index], value)
        if self.dtype is list or self.dtype is tuple:
            return self.dtype(parts)
        if hasattr(self.dtype, "_fields"):
            return self.dtype(*parts)
        return tuple(parts)

    def add_into_mapping(self, mapping):
        """Return a new dict: `mapping` plus the entries, keyed by their index."""
        merged = dict(mapping)
        for key, value in self._entries[: self._count]:
            merged[key] = accumulate(merged.get(key), value)
        return merged

    def add_into(self, out):
        """Add the entries into the array `out` in place and return it."""
        scalar_positions, scalar_values = [], []
        for index, value in self._entries[: self._count]:
            if isinstance(index, (int, np.integer)) and out.ndim == 1:
                scalar_positions.append(index)
                scalar_values.append(value)
            else:
                np.add.at(out, index, value)
        if scalar_positions:
            values = np.asarray(scalar_values, dtype=out.dtype)
            np.add.at(out, np.asarray(scalar_positions), values)
        return out

    def __repr__(self):
        return f"IndexedGradient(shape={self.shape}, entries={self._count})"


def densify(g):
    """Return `g` with every `IndexedGradient` inside it made dense."""
    if isinstance(g, IndexedGradient):
        return densify(g.dense()) if g.is_sequence or g.is_mapping else g.dense()
    if type(g) is BufferGradient:
        return g.array
    if isinstance(g, tuple):
        parts = [densify(x) for x in g]
        return type(g)(*parts) if hasattr(type(g), "_fields") else tuple(parts)
    if type(g) is list:
        return [densify(x) for x in g]
    if type(g) is dict:
        return {k: densify(v) for k, v in g.items()}
    if isinstance(g, Structural):
        return Structural({k: densify(v) for k, v in g.items()}, g.primal_type)
    return g


def accumulate(a, b):
    """Return the sum of two gradients of the same value; either may be `None`."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return a + b
    if type(a) is BufferGradient and type(b) is IndexedGradient and not b.is_sequence:
        # The backward pass owns a BufferGradient, so reads of the Buffer add in place.
        b.add_into(a.array)
        return a
    if type(b) is BufferGradient and type(a) is IndexedGradient and not a.is_sequence:
        a.add_into(b.array)
        return b
    if type(a) is BufferGradient or type(b) is BufferGradient:
        return BufferGradient(np.asarray(accumulate(_buffer_array(a), _buffer_array(b))))
    if isinstance(a, IndexedGradient):
        if isinstance(b, IndexedGradient):
            return a.plus(b)
        if a.is_sequence:
            return a.add_into_sequence(b)
        if a.is_mapping:
            return a.add_into_mapping(b)
        return a.add_into(np.array(b, dtype=np.result_type(b, a.dtype), copy=True))
    if isinstance(b, IndexedGradient):
        if b.is_sequence:
            return b.add_into_sequence(a)
        if b.is_mapping:
            return b.add_into_mapping(a)
        return b.add_into(np.array(a, dtype=np.result_type(a, b.dtype), copy=True))
    if type(a) is tuple and type(b) is tuple:
        return tuple(accumulate(x, y) for x, y in zip(a, b))
    if type(a) is list and type(b) is list:
        return [accumulate(x, y) for x, y in zip(a, b)]
    if type(a) is dict and type(b) is dict:
        merged = dict(a)
        for key, value in b.items():
            merged[key] = accumulate(merged.get(key), value)
        return merged
    if isinstance(a, Structural) and isinstance(b, Structural):
        merged = dict(a.items())
        for key, value in b.items():
            merged[key] = accumulate(merged.get(key), value)
        return Structural(merged, a.primal_type or b.primal_type)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        # A namedtuple's gradient may arrive as a plain tuple from one path.
        parts = [accumulate(x, y) for x, y in zip(a, b)]
        if hasattr(type(a), "_fields"):
            return type(a)(*parts)
        return type(a)(parts)
    return a + b


def accumulate_owned(a, b, owned):
    """Return `(a + b, owned)`: the sum, and whether only the caller refers to it.

    `owned` is true when `a` is an array an earlier call returned as owned, which the
    caller's variable alone refers to. Then an array `b` of the same shape and dtype is
    added into `a` in place. Otherwise the sum is a new array, owned when it is a fresh ndarray.
    """
    if owned and type(a) is np.ndarray and type(b) is np.ndarray and a.shape == b.shape \
            and a.dtype == b.dtype:
        np.add(a, b, out=a)
        return a, True
    total = accumulate(a, b)
    return total, type(total) is np.ndarray and total is not a and total is not b


def scaled(g, factor):
    """Return the gradient of `x * factor` with respect to `x`, for a number `factor`.

    A list or tuple gradient means `x` was a sequence repeated `factor` times, so the
    pieces are summed back.
    """
    kind = type(g)
    if kind is np.ndarray or kind is float or kind is np.float64 or kind is np.float32:
        return g * factor
    if kind is IndexedGradient:
        return g.scaled(factor) if not g.is_sequence else scaled(densify(g), factor)
    if kind is list or kind is tuple:
        times = int(factor)
        size = len(g) // times if times else 0
        parts = [None] * size
        for index, value in enumerate(g):
            parts[index % size] = accumulate(parts[index % size], value)
        return kind(parts)
    return g * factor


def power_scaled(g, x, exponent):
    """Return the gradient of `x ** exponent` with respect to `x`, for a number `exponent`."""
    if exponent == 2 and type(g) is np.ndarray:
        return g * (2 * x)
    from ..rules.builtins import power_derivative

    g = densify(g)
    if exponent == 2:
        return g * (2 * x)
    local = power_derivative(x, exponent)
    if exponent >= 1 and exponent == int(exponent):
        return g * local
    # A zero gradient gives zero even where the derivative is infinite (x = 0, c < 1).
    return g * np.where(g == 0, 0, local)
