"""`Buffer`: an array to fill element by element inside a differentiated function.

Writing `buf[i] = v` into a Buffer costs O(1) in both passes, where the same write into a
NumPy array copies the whole array. Read the result with `buf.copy()` (or `np.array(buf)`
outside differentiated code); after that the Buffer should not be written again.
"""

import numpy as np

from .broadcast import unbroadcast


class Buffer:
    """A writable array whose element writes are differentiable.

        buf = Buffer(3)                      # three float64 zeros
        buf = Buffer((2, 3), dtype=np.float32)
        buf = Buffer(x)                      # same shape and dtype as the array x
        for i in range(3):
            buf[i] = np.sin(x[i])
        y = buf.copy()
    """

    def __init__(self, shape_or_array, dtype=None):
        if isinstance(shape_or_array, np.ndarray):
            dtype = dtype or shape_or_array.dtype
            shape = shape_or_array.shape
        else:
            shape = shape_or_array
        self.array = np.zeros(shape, dtype or np.float64)

    @property
    def shape(self):
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype

    def __len__(self):
        return len(self.array)

    def __getitem__(self, index):
        return self.array[index]

    def __setitem__(self, index, value):
        self.array[index] = value

    def copy(self):
        return self.array.copy()

    def __array__(self, dtype=None, copy=None):
        return self.array.astype(dtype) if dtype is not None else self.array.copy()

    def __repr__(self):
        return f"Buffer(shape={self.shape}, dtype={self.dtype})"


class BufferGradient:
    """The gradient of a Buffer's contents, owned by the backward pass and changed in place."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def buffer_setitem(buf, index, value):
    """Write into `buf` in place; the pullback reads and clears the written entries."""
    buf.array[index] = value

    def buffer_setitem_back(dbuf):
        if not isinstance(dbuf, BufferGradient):
            from .accumulate import densify

            dbuf = BufferGradient(np.array(np.asarray(densify(dbuf)), dtype=buf.array.dtype,
                                           copy=True))
        dvalue = np.array(dbuf.array[index], copy=True)
        dbuf.array[index] = 0
        return dbuf, None, unbroadcast(dvalue, value) if np.ndim(value) else \
            unbroadcast(np.sum(dvalue), value)

    return buf, buffer_setitem_back


def buffer_copy(buf):
    def buffer_copy_back(dy):
        return (BufferGradient(np.array(dy, dtype=buf.array.dtype, copy=True)),)

    return buf.array.copy(), buffer_copy_back


def buffer_getitem(buf, index):
    from .accumulate import IndexedGradient, densify

    shape, dtype = buf.array.shape, buf.array.dtype

    def buffer_getitem_back(dy):
        # Sparse, so that n reads cost O(n) in all rather than a full array each.
        return IndexedGradient(shape, dtype, [(index, densify(dy))]), None

    return buf.array[index], buffer_getitem_back
