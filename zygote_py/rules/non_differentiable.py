"""Callables whose results carry no gradient, all registered here.

Shape and type queries, array constructors, comparisons and logical functions, index-valued
functions (argmax, argsort, searchsorted), rounding (floor, round: piecewise constant), NaN
tests, counting and histograms, and every random number function. The compiler calls them
as they are and sends no cotangent back through them.
"""

import builtins
import math

import numpy as np

from . import numpy_elementwise, numpy_indexing, numpy_linalg, numpy_reductions, numpy_shape
from .registry import register_non_differentiable, register_non_differentiable_methods

QUERIES = [
    np.shape, np.size, np.ndim, np.result_type, np.promote_types, np.can_cast,
    np.min_scalar_type, np.iinfo, np.finfo, np.broadcast_shapes, np.issubdtype,
    np.iscomplexobj, np.isrealobj, np.isscalar, np.iterable, np.may_share_memory,
    np.shares_memory, np.array_repr, np.array_str, np.array2string, np.dtype, np.einsum_path,
    np.seterr, np.geterr, np.set_printoptions, np.get_printoptions,
]

# Converting to an integer or boolean type drops the gradient, as integer arrays carry none.
INTEGER_TYPES = [
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.intp, np.uintp, np.bool_,
]

CONSTRUCTORS = [
    np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like, np.arange, np.linspace, np.logspace, np.geomspace, np.eye, np.identity,
    np.tri, np.indices, np.ix_, np.diag_indices, np.diag_indices_from, np.tril_indices,
    np.tril_indices_from, np.triu_indices, np.triu_indices_from, np.ravel_multi_index,
    np.unravel_index,
]

COMPARISONS = [
    np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.all, np.any,
    np.allclose, np.isclose, np.array_equal, np.array_equiv, np.isin, np.signbit,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
    np.gcd, np.lcm,
]

INDEX_FUNCTIONS = [
    np.argmax, np.argmin, np.nanargmax, np.nanargmin, np.argsort, np.argpartition,
    np.lexsort, np.nonzero, np.flatnonzero, np.searchsorted, np.argwhere,
]

# Piecewise constant: the derivative is 0 almost everywhere and undefined at the jumps.
ROUNDING = [
    np.floor, np.ceil, np.round, np.around, np.trunc, np.rint, np.fix, np.floor_divide,
    np.heaviside,
]

NAN_TESTS = [np.isnan, np.isinf, np.isfinite, np.isposinf, np.isneginf, np.isreal,
             np.iscomplex]

COUNTING = [
    np.unique, np.unique_values, np.unique_counts, np.unique_inverse, np.unique_all,
    np.count_nonzero, np.bincount, np.histogram, np.histogram2d, np.histogramdd,
    np.histogram_bin_edges, np.digitize, np.linalg.matrix_rank,
]

PYTHON_BUILTINS = [
    builtins.len, builtins.isinstance, builtins.issubclass, builtins.type, builtins.range,
    builtins.int, builtins.bool, builtins.round, builtins.hash, builtins.id,
    builtins.callable, builtins.hasattr, builtins.print, builtins.repr, builtins.str,
    builtins.ord, builtins.chr, builtins.any, builtins.all, builtins.format,
]

MATH_FUNCTIONS = [
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
    math.factorial, math.comb, math.perm, math.gcd,
]


# Helpers of the rules that return only shapes, axes, masks, subscripts or parsed arguments.
# Registering them lets the compiler call them as they are when it differentiates a pullback
# (for second derivatives) instead of transforming their string and shape handling.
RULE_HELPERS = [
    numpy_elementwise.nested_shape,
    numpy_reductions.normalize_axes, numpy_reductions.keepdims_shape,
    numpy_reductions.bind_arguments, numpy_reductions.reduction_frame,
    numpy_reductions.where_mask, numpy_reductions.flag, numpy_reductions.passed,
    numpy_reductions.ufunc_reduce_frame,
    numpy_shape.axis_permutation, numpy_shape.inverse_permutation, numpy_shape.reshape_order,
    numpy_shape.normalize_permutation, numpy_shape.axes_except,
    numpy_indexing.wrapped_indices, numpy_indexing.along_axis_index,
    numpy_indexing.sort_permutation,
    numpy_linalg.einsum_subscripts, numpy_linalg.einsum_gradient_plan,
    numpy_linalg.unused_letters, numpy_linalg.sublist_letters, numpy_linalg.dot_subscripts,
    numpy_linalg.inner_subscripts, numpy_linalg.kron_subscripts,
    numpy_linalg.tensordot_subscripts,
]


def random_module_callables():
    """Return every public callable of `np.random`: functions, the global RandomState's
    methods (np.random.normal, ...) and the generator classes."""
    found = []
    for name in dir(np.random):
        if name.startswith("_"):
            continue
        value = getattr(np.random, name)
        if callable(value):
            found.append(value)
    return found


def public_methods(cls):
    return [name for name in dir(cls) if not name.startswith("_") and callable(getattr(cls, name))]


register_non_differentiable(*QUERIES)
register_non_differentiable(*INTEGER_TYPES)
register_non_differentiable(*CONSTRUCTORS)
register_non_differentiable(*COMPARISONS)
register_non_differentiable(*INDEX_FUNCTIONS)
register_non_differentiable(*ROUNDING)
register_non_differentiable(*NAN_TESTS)
register_non_differentiable(*COUNTING)
register_non_differentiable(*PYTHON_BUILTINS)
register_non_differentiable(*MATH_FUNCTIONS)
register_non_differentiable(*RULE_HELPERS)
register_non_differentiable(*random_module_callables())

register_non_differentiable_methods(np.random.Generator, *public_methods(np.random.Generator))
register_non_differentiable_methods(np.random.RandomState,
                                    *public_methods(np.random.RandomState))

NDARRAY_METHODS = ("argmax", "argmin", "argsort", "argpartition", "nonzero", "searchsorted",
                   "any", "all", "round")
register_non_differentiable_methods(np.ndarray, *NDARRAY_METHODS)
register_non_differentiable_methods(np.generic, "argmax", "argmin", "any", "all", "round")
