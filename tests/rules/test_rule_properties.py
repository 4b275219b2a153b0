"""Property tests: hypothesis draws shapes and axes for reductions and shape functions, and
each drawn call is checked against finite differences."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from zygote_py.rules.registry import lookup_rule

from .conftest import check_rule

SETTINGS = settings(max_examples=25, deadline=None)

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def values(shape, seed):
    """Return distinct values, so max, min, sort and median see no ties."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return (rng.permutation(size) + rng.uniform(0.1, 0.9, size)).reshape(shape) / size - 0.5


@st.composite
def reduction_calls(draw):
    shape = draw(shapes)
    ndim = len(shape)
    axis = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
        .map(tuple)))
    keepdims = draw(st.booleans())
    return values(shape, draw(st.integers(0, 2**16))), axis, keepdims


REDUCTIONS = [np.sum, np.mean, np.prod, np.max, np.min, np.var, np.std, np.nansum,
              np.nanmean, np.ptp, np.median]


@SETTINGS
@given(reduction_calls(), st.sampled_from(REDUCTIONS))
def test_reduction_axes(call, primal):
    x, axis, keepdims = call
    check_rule(lookup_rule(primal), primal, (x,), {"axis": axis, "keepdims": keepdims})


@SETTINGS
@given(reduction_calls(), st.integers(0, 2))
def test_var_ddof_axes(call, ddof):
    x, axis, keepdims = call
    count = x.size if axis is None else int(np.prod(np.take(x.shape, axis)))
    if count <= ddof:
        return
    check_rule(lookup_rule(np.std), np.std, (x,), {"axis": axis, "keepdims": keepdims,
                                                    "ddof": ddof})


@st.composite
def axis_calls(draw):
    shape = draw(shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return values(shape, draw(st.integers(0, 2**16))), axis


@SETTINGS
@given(axis_calls(), st.sampled_from([np.cumsum, np.cumprod, np.sort, np.flip]))
def test_axis_functions(call, primal):
    x, axis = call
    check_rule(lookup_rule(primal), primal, (x, axis))


@SETTINGS
@given(axis_calls(), st.integers(-3, 3))
def test_roll_axis(call, shift):
    x, axis = call
    check_rule(lookup_rule(np.roll), np.roll, (x, shift, axis))


@SETTINGS
@given(st.data())
def test_transpose_permutation(data):
    shape = data.draw(shapes)
    permutation = data.draw(st.permutations(range(len(shape))))
    x = values(shape, data.draw(st.integers(0, 2**16)))
    check_rule(lookup_rule(np.transpose), np.transpose, (x, tuple(permutation)))


@SETTINGS
@given(st.data())
def test_moveaxis_pairs(data):
    shape = data.draw(shapes)
    ndim = len(shape)
    source = data.draw(st.integers(-ndim, ndim - 1))
    destination = data.draw(st.integers(-ndim, ndim - 1))
    x = values(shape, data.draw(st.integers(0, 2**16)))
    check_rule(lookup_rule(np.moveaxis), np.moveaxis, (x, source, destination))


@SETTINGS
@given(st.data())
def test_reshape_to_drawn_shape(data):
    shape = data.draw(shapes)
    x = values(shape, data.draw(st.integers(0, 2**16)))
    target = data.draw(st.permutations(shape))
    order = data.draw(st.sampled_from(["C", "F"]))
    check_rule(lookup_rule(np.reshape), np.reshape, (x, tuple(target), order))


@SETTINGS
@given(st.data())
def test_tile_drawn_reps(data):
    shape = data.draw(shapes)
    reps = data.draw(st.lists(st.integers(1, 2), min_size=1, max_size=3).map(tuple))
    x = values(shape, data.draw(st.integers(0, 2**16)))
    check_rule(lookup_rule(np.tile), np.tile, (x, reps))


@SETTINGS
@given(st.data())
def test_repeat_drawn_counts(data):
    shape = data.draw(shapes)
    axis = data.draw(st.integers(0, len(shape) - 1))
    counts = data.draw(st.lists(st.integers(0, 2), min_size=shape[axis], max_size=shape[axis]))
    x = values(shape, data.draw(st.integers(0, 2**16)))
    check_rule(lookup_rule(np.repeat), np.repeat, (x, counts, axis))


@SETTINGS
@given(st.data())
def test_concatenate_drawn_pieces(data):
    shape = data.draw(shapes)
    axis = data.draw(st.integers(0, len(shape) - 1))
    lengths = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    pieces = []
    for i, length in enumerate(lengths):
        piece_shape = list(shape)
        piece_shape[axis] = length
        pieces.append(values(tuple(piece_shape), i))
    check_rule(lookup_rule(np.concatenate), np.concatenate, (pieces, axis))


@SETTINGS
@given(st.data())
def test_squeeze_expand_dims(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2))
    x = values(shape, data.draw(st.integers(0, 2**16)))
    axis = data.draw(st.integers(0, len(shape)))
    check_rule(lookup_rule(np.expand_dims), np.expand_dims, (x, axis))
    check_rule(lookup_rule(np.squeeze), np.squeeze, (x,))


LABEL_SIZES = {"i": 2, "j": 3, "k": 2, "l": 1}


@st.composite
def einsum_calls(draw):
    """Draw subscripts with repeated labels, length-1 labels and implicit or explicit output."""
    labels = st.sampled_from(sorted(LABEL_SIZES))
    operand_subs = draw(st.lists(st.lists(labels, min_size=0, max_size=3).map("".join),
                                 min_size=1, max_size=3))
    used = sorted(set("".join(operand_subs)))
    if draw(st.booleans()):
        subscripts = ",".join(operand_subs)
    else:
        output = draw(st.permutations(used).flatmap(
            lambda order: st.integers(0, len(order)).map(lambda n: "".join(order[:n]))))
        subscripts = ",".join(operand_subs) + "->" + output
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    operands = [rng.standard_normal(tuple(LABEL_SIZES[c] for c in sub)) for sub in operand_subs]
    return subscripts, operands


@SETTINGS
@given(einsum_calls())
def test_einsum_drawn_subscripts(call):
    subscripts, operands = call
    check_rule(lookup_rule(np.einsum), np.einsum, (subscripts, *operands))
