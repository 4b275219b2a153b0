"""Gradient rules of NumPy's products and `np.linalg`: matmul, dot, einsum, tensordot, kron,
cross, inverses, determinants, solves, factorizations, pseudo-inverses and norms.

Matrix functions act on the last two axes and broadcast over the others. Rules for
factorizations of symmetric input (cholesky, eigh) return the symmetric part of the gradient,
since NumPy reads one triangle only and the other is assumed to mirror it. The formulas
follow M. Giles, "An extended collection of matrix derivative results for forward and reverse
mode algorithmic differentiation" (2008), I. Murray, "Differentiation of the Cholesky
decomposition" (2016), and J. Townsend, "Differentiating the singular value decomposition"
(2016).
"""

import string

import numpy as np

from ..runtime.broadcast import is_differentiable_value
from .numpy_elementwise import conj_if_complex, register_aliases, unbroadcast
from .numpy_reductions import exclusive_products, expand_reduced, normalize_axes
from .registry import register_method_rule, register_rule


def matrix_transpose(x):
    return np.swapaxes(x, -1, -2)


def outer_last(u, v):
    """Return the batched outer product `u[..., :, None] * v[..., None, :]`."""
    return np.expand_dims(u, -1) * np.expand_dims(v, -2)


def scale_matrices(factor, x):
    """Multiply each matrix of the stack `x` by the matching entry of `factor`."""
    return np.expand_dims(np.expand_dims(factor, -1), -1) * x


def symmetric_part(x):
    return (x + matrix_transpose(x)) / 2


def missing_as_zeros(g, like):
    return np.zeros(np.shape(like), dtype=np.result_type(like, np.float64)) if g is None else g


# Matrix products --------------------------------------------------------------------------


def matmul_cotangents(dy, a, b):
    """Return the cotangents of `a @ b` for every combination of 1-D and stacked operands."""
    a_ndim, b_ndim = np.ndim(a), np.ndim(b)
    ca, cb = conj_if_complex(a), conj_if_complex(b)
    if a_ndim == 1 and b_ndim == 1:
        return unbroadcast(dy * cb, a), unbroadcast(dy * ca, b)
    if a_ndim == 1:
        # (k,) @ (..., k, n) -> (..., n)
        da = np.squeeze(np.matmul(cb, np.expand_dims(dy, -1)), -1)
        db = np.expand_dims(ca, -1) * np.expand_dims(dy, -2)
        return unbroadcast(da, a), unbroadcast(db, b)
    if b_ndim == 1:
        # (..., m, k) @ (k,) -> (..., m)
        da = np.expand_dims(dy, -1) * cb
        db = np.squeeze(np.matmul(matrix_transpose(ca), np.expand_dims(dy, -1)), -1)
        return unbroadcast(da, a), unbroadcast(db, b)
    da = np.matmul(dy, matrix_transpose(cb))
    db = np.matmul(matrix_transpose(ca), dy)
    return unbroadcast(da, a), unbroadcast(db, b)


def matmul_rule(x1, x2, /, **kwargs):
    y = np.matmul(x1, x2, **kwargs)

    def matmul_back(dy):
        return matmul_cotangents(dy, x1, x2)

    return y, matmul_back


register_aliases([np.matmul, np.linalg.matmul], matmul_rule)


def dot_cotangents(dy, a, b):
    a_ndim, b_ndim = np.ndim(a), np.ndim(b)
    if a_ndim == 0 or b_ndim == 0:
        return (unbroadcast(np.sum(dy * conj_if_complex(b)) if a_ndim == 0 else
                            dy * conj_if_complex(b), a),
                unbroadcast(np.sum(dy * conj_if_complex(a)) if b_ndim == 0 else
                            dy * conj_if_complex(a), b))
    if b_ndim <= 2:
        # dot and matmul agree when b has at most two axes.
        return matmul_cotangents(dy, a, b)
    input_subs, output = dot_subscripts(a_ndim, b_ndim)
    return einsum_cotangents(dy, input_subs, output, [a, b])


def dot_subscripts(a_ndim, b_ndim):
    """Return the einsum subscripts of `np.dot` for operands with these numbers of axes."""
    letters = string.ascii_letters
    a_subs = letters[:a_ndim]
    last = letters[a_ndim + b_ndim - 2]
    b_subs = letters[a_ndim:a_ndim + b_ndim - 2] + a_subs[-1] + last
    output = a_subs[:-1] + b_subs[:-2] + last
    return [a_subs, b_subs], output


@register_rule(np.dot)
def dot_rule(a, b, out=None):
    y = np.dot(a, b, out)

    def dot_back(dy):
        return dot_cotangents(dy, a, b)

    return y, dot_back


def ndarray_dot_rule(a, b, out=None):
    y = a.dot(b, out)

    def ndarray_dot_back(dy):
        return dot_cotangents(dy, a, b)

    return y, ndarray_dot_back


register_method_rule(np.ndarray, "dot", ndarray_dot_rule)


@register_rule(np.vdot)
def vdot_rule(a, b, /):
    y = np.vdot(a, b)

    def vdot_back(dy):
        # vdot(a, b) = sum(conj(a) * b) over the flattened arrays.
        da = np.reshape(dy * np.conj(np.ravel(b)) if np.iscomplexobj(b) else dy * np.ravel(b),
                        np.shape(a))
        db = np.reshape(dy * np.ravel(a), np.shape(b))
        return unbroadcast(conj_if_complex(da) if np.iscomplexobj(a) else da, a), \
            unbroadcast(db, b)

    return y, vdot_back


@register_rule(np.inner)
def inner_rule(a, b, /):
    y = np.inner(a, b)

    def inner_back(dy):
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return dot_cotangents(dy, a, b)
        input_subs, output = inner_subscripts(np.ndim(a), np.ndim(b))
        return einsum_cotangents(dy, input_subs, output, [a, b])

    return y, inner_back


def inner_subscripts(a_ndim, b_ndim):
    """Return the einsum subscripts of `np.inner`, which contracts the last axes."""
    letters = string.ascii_letters
    a_free = letters[1:a_ndim]
    b_free = letters[a_ndim:a_ndim + b_ndim - 1]
    return [a_free + "a", b_free + "a"], a_free + b_free


def outer_rule(a, b, /, *args, **kwargs):
    y = np.outer(a, b, *args, **kwargs)

    def outer_back(dy):
        da = np.reshape(np.matmul(dy, conj_if_complex(np.ravel(b))), np.shape(a))
        db = np.reshape(np.matmul(matrix_transpose(dy), conj_if_complex(np.ravel(a))),
                        np.shape(b))
        return unbroadcast(da, a), unbroadcast(db, b)

    return y, outer_back


register_rule(np.outer, outer_rule)
register_rule(np.linalg.outer, outer_rule)


def vecdot_rule(x1, x2, /, **kwargs):
    y = np.vecdot(x1, x2, **kwargs)

    def vecdot_back(dy):
        ndim = max(np.ndim(x1), np.ndim(x2))
        axis = kwargs.get("axis", -1) % ndim
        g = np.expand_dims(dy, axis)
        # vecdot conjugates its first argument.
        return (unbroadcast(conj_if_complex(g * x2) if np.iscomplexobj(x1) else g * x2, x1),
                unbroadcast(g * x1, x2))

    return y, vecdot_back


register_rule(np.vecdot, vecdot_rule)
register_rule(np.linalg.vecdot, vecdot_rule)


@register_rule(np.linalg.multi_dot)
def multi_dot_rule(arrays, *, out=None):
    y = np.linalg.multi_dot(arrays, out=out)

    def multi_dot_back(dy):
        # A 1-D first array is a row vector and a 1-D last array a column vector. Plain
        # indices and loops keep this pullback differentiable by the compiler.
        count = len(arrays)
        matrices = []
        for i in range(count):
            matrix = np.asarray(arrays[i])
            if np.ndim(matrix) == 1:
                matrix = np.reshape(matrix, (1, -1) if i == 0 else (-1, 1))
            matrices.append(matrix)
        rows = np.shape(matrices[0])[0]
        cols = np.shape(matrices[count - 1])[1]
        g = np.reshape(dy, (rows, cols))
        cotangents = []
        for i in range(count):
            left = np.eye(rows)
            for j in range(i):
                left = np.matmul(left, matrices[j])
            right = np.eye(cols)
            for j in range(count - 1, i, -1):
                right = np.matmul(matrices[j], right)
            gi = np.matmul(np.matmul(matrix_transpose(left), g), matrix_transpose(right))
            cotangents.append(unbroadcast(np.reshape(gi, np.shape(arrays[i])), arrays[i]))
        return (tuple(cotangents) if isinstance(arrays, tuple) else cotangents,)

    return y, multi_dot_back


# einsum -----------------------------------------------------------------------------------


def einsum_subscripts(args):
    """Return `(input subscripts, output subscripts, operand positions, spare letters)`.

    Accepts both the string form `einsum("ij,jk->ik", a, b)` and the sublist form
    `einsum(a, [0, 1], b, [1, 2], [0, 2])`, and returns explicit subscripts with every
    ellipsis replaced by letters, so the pullback can build contractions of its own. Returns
    strings and positions only, so it is registered as non-differentiable.
    """
    if isinstance(args[0], str):
        subscripts = args[0].replace(" ", "")
        positions = list(range(1, len(args)))
        if "->" in subscripts:
            inputs, output = subscripts.split("->")
        else:
            inputs, output = subscripts, None
        input_subs = inputs.split(",")
    else:
        positions = list(range(0, len(args) - 1, 2))
        output = sublist_letters(args[-1]) if len(args) % 2 == 1 else None
        input_subs = [sublist_letters(args[p + 1]) for p in positions]
    ndims = [np.ndim(args[p]) for p in positions]
    used = set("".join(input_subs) + (output or ""))
    free = [c for c in string.ascii_letters if c not in used]
    ellipsis_ndim = 0
    for sub, ndim in zip(input_subs, ndims):
        if "..." in sub:
            ellipsis_ndim = max(ellipsis_ndim, ndim - (len(sub) - 3))
    ellipsis_letters = "".join(free[:ellipsis_ndim])
    expanded = []
    for sub, ndim in zip(input_subs, ndims):
        if "..." in sub:
            count = ndim - (len(sub) - 3)
            sub = sub.replace("...", ellipsis_letters[ellipsis_ndim - count:])
        expanded.append(sub)
    if output is None:
        # Implicit mode: ellipsis axes first, then the labels used once, in ASCII order.
        labels = "".join(expanded)
        once = sorted(c for c in set(labels)
                      if labels.count(c) == 1 and c not in ellipsis_letters)
        output = ellipsis_letters + "".join(once)
    else:
        output = output.replace("...", ellipsis_letters)
    return expanded, output, positions, free[ellipsis_ndim:]


def sublist_letters(sublist):
    letters = []
    for item in sublist:
        letters.append("..." if item is Ellipsis else string.ascii_letters[int(item)])
    return "".join(letters)


def einsum_cotangents(dy, input_subs, output, operands, spare_letters=None):
    """Return the cotangent of every operand of an einsum with explicit subscripts."""
    if spare_letters is None:
        spare_letters = unused_letters(input_subs, output)
    return tuple(einsum_operand_cotangent(dy, i, input_subs, output, operands, spare_letters)
                 for i in range(len(operands)))


def unused_letters(input_subs, output):
    used = set("".join(input_subs) + output)
    return [c for c in string.ascii_letters if c not in used]


def einsum_gradient_plan(i, input_subs, output, spare_letters):
    """Return the contractions that give the cotangent of operand `i` of an einsum.

    The result is `(spec, missing, label_axes, diagonal_spec, diagonal_axes)`: `spec`
    contracts dy with the other operands onto the labels of operand i that appear elsewhere.
    The labels that meet only operand i were summed over, so each of their entries gets all
    of dy: `missing` lists where to insert those axes. `label_axes` gives, for each distinct
    label, the axis of operand i that carries it. When a label repeats (a trace or a
    diagonal), `diagonal_spec` spreads the result onto the diagonal with one identity matrix
    per repeat, sized like the operand axes in `diagonal_axes`. Returns strings and positions
    only, so it is registered as non-differentiable.
    """
    sub = input_subs[i]
    unique = "".join(dict.fromkeys(sub))
    elsewhere = set(output).union(*[set(s) for j, s in enumerate(input_subs) if j != i])
    kept_labels = "".join(c for c in unique if c in elsewhere)
    other_subs = [input_subs[j] for j in range(len(input_subs)) if j != i]
    spec = ",".join([output] + other_subs) + "->" + kept_labels
    missing = [position for position, label in enumerate(unique) if label not in kept_labels]
    label_axes = [sub.index(label) for label in unique]
    if len(unique) == len(sub):
        return spec, missing, label_axes, None, []
    spare = iter(spare_letters)
    seen = set()
    result_labels = []
    eye_specs = []
    diagonal_axes = []
    for axis, label in enumerate(sub):
        if label in seen:
            fresh = next(spare)
            result_labels.append(fresh)
            eye_specs.append(label + fresh)
            diagonal_axes.append(axis)
        else:
            seen.add(label)
            result_labels.append(label)
    diagonal_spec = ",".join([unique] + eye_specs) + "->" + "".join(result_labels)
    return spec, missing, label_axes, diagonal_spec, diagonal_axes


def einsum_operand_cotangent(dy, i, input_subs, output, operands, spare_letters):
    x = operands[i]
    if not is_differentiable_value(x):
        return None
    spec, missing, label_axes, diagonal_spec, diagonal_axes = einsum_gradient_plan(
        i, input_subs, output, spare_letters)
    others = [conj_if_complex(operands[j]) for j in range(len(operands)) if j != i]
    g = np.einsum(spec, dy, *others, optimize=len(others) > 0)
    for position in missing:
        g = np.expand_dims(g, position)
    shape = np.shape(x)
    target = tuple(shape[axis] for axis in label_axes)
    summed = tuple(axis for axis, (have, want) in enumerate(zip(np.shape(g), target))
                   if want == 1 and have != 1)
    if summed:
        # x had length 1 on a label that broadcasting stretched.
        g = np.sum(g, axis=summed, keepdims=True)
    g = np.broadcast_to(g, target)
    if diagonal_spec is not None:
        eyes = [np.eye(shape[axis]) for axis in diagonal_axes]
        g = np.einsum(diagonal_spec, g, *eyes)
    return unbroadcast(np.reshape(g, shape), x)


@register_rule(np.einsum)
def einsum_rule(*operands, **kwargs):
    y = np.einsum(*operands, **kwargs)
    input_subs, output, positions, spare = einsum_subscripts(operands)
    arrays = [operands[p] for p in positions]

    def einsum_back(dy):
        cotangents = [None] * len(operands)
        grads = einsum_cotangents(dy, input_subs, output, arrays, spare)
        for position, g in zip(positions, grads):
            cotangents[position] = g
        return tuple(cotangents)

    return y, einsum_back


def tensordot_subscripts(a_ndim, b_ndim, axes):
    if np.ndim(axes) == 0:
        count = int(axes)
        a_axes = list(range(a_ndim - count, a_ndim))
        b_axes = list(range(count))
    else:
        a_axes, b_axes = axes
        a_axes = [int(i) % a_ndim for i in np.atleast_1d(a_axes)]
        b_axes = [int(i) % b_ndim for i in np.atleast_1d(b_axes)]
    letters = iter(string.ascii_letters)
    a_subs = [next(letters) for _ in range(a_ndim)]
    b_subs = [next(letters) for _ in range(b_ndim)]
    for i, j in zip(a_axes, b_axes):
        b_subs[j] = a_subs[i]
    output = [c for k, c in enumerate(a_subs) if k not in a_axes] + \
        [c for k, c in enumerate(b_subs) if k not in b_axes]
    return ["".join(a_subs), "".join(b_subs)], "".join(output)


def tensordot_rule(a, b, /, axes=2):
    y = np.tensordot(a, b, axes)

    def tensordot_back(dy):
        input_subs, output = tensordot_subscripts(np.ndim(a), np.ndim(b), axes)
        return einsum_cotangents(dy, input_subs, output, [a, b])

    return y, tensordot_back


register_rule(np.tensordot, tensordot_rule)


@register_rule(np.linalg.tensordot)
def linalg_tensordot_rule(x1, x2, /, *, axes=2):
    y = np.linalg.tensordot(x1, x2, axes=axes)

    def linalg_tensordot_back(dy):
        input_subs, output = tensordot_subscripts(np.ndim(x1), np.ndim(x2), axes)
        return einsum_cotangents(dy, input_subs, output, [x1, x2])

    return y, linalg_tensordot_back


@register_rule(np.kron)
def kron_rule(a, b):
    y = np.kron(a, b)

    def kron_back(dy):
        # kron(a, b)[i*p + k, j*q + l] = a[i, j] * b[k, l]: split each axis into an (a, b) pair.
        ndim = max(np.ndim(a), np.ndim(b))
        a_shape = (1,) * (ndim - np.ndim(a)) + np.shape(a)
        b_shape = (1,) * (ndim - np.ndim(b)) + np.shape(b)
        paired = []
        for m, n in zip(a_shape, b_shape):
            paired.extend([m, n])
        g = np.reshape(dy, paired)
        a_spec, b_spec = kron_subscripts(ndim)
        da = np.einsum(a_spec, g, np.reshape(conj_if_complex(b), b_shape))
        db = np.einsum(b_spec, g, np.reshape(conj_if_complex(a), a_shape))
        return unbroadcast(np.reshape(da, np.shape(a)), a), \
            unbroadcast(np.reshape(db, np.shape(b)), b)

    return y, kron_back


def kron_subscripts(ndim):
    """Return the einsum subscripts that contract a paired kron cotangent with b and with a."""
    a_labels = string.ascii_letters[:ndim]
    b_labels = string.ascii_letters[ndim:2 * ndim]
    g_labels = "".join(p + q for p, q in zip(a_labels, b_labels))
    return f"{g_labels},{b_labels}->{a_labels}", f"{g_labels},{a_labels}->{b_labels}"


def cross_cotangents(dy, a, b, axisa, axisb, axisc):
    # <dy, a x b> = <a, b x dy> = <b, dy x a>.
    a_last = np.moveaxis(a, axisa, -1)
    b_last = np.moveaxis(b, axisb, -1)
    if np.shape(a_last)[-1] == 2 and np.shape(b_last)[-1] == 2:
        # 2-vectors give the scalar a0 b1 - a1 b0.
        g = np.expand_dims(dy, -1)
        da = g * np.stack([b_last[..., 1], -b_last[..., 0]], axis=-1)
        db = g * np.stack([-a_last[..., 1], a_last[..., 0]], axis=-1)
        return (unbroadcast(np.moveaxis(da, -1, axisa), a),
                unbroadcast(np.moveaxis(db, -1, axisb), b))
    if np.shape(a_last)[-1] != 3 or np.shape(b_last)[-1] != 3:
        raise NotImplementedError("the gradient of np.cross is implemented for pairs of "
                                  "2-vectors and pairs of 3-vectors only")
    g = np.moveaxis(dy, axisc, -1)
    da = np.moveaxis(np.cross(b_last, g), -1, axisa)
    db = np.moveaxis(np.cross(g, a_last), -1, axisb)
    return unbroadcast(da, a), unbroadcast(db, b)


@register_rule(np.cross)
def cross_rule(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    y = np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis

    def cross_back(dy):
        return cross_cotangents(dy, a, b, axisa, axisb, axisc)

    return y, cross_back


@register_rule(np.linalg.cross)
def linalg_cross_rule(x1, x2, /, *, axis=-1):
    y = np.linalg.cross(x1, x2, axis=axis)

    def linalg_cross_back(dy):
        return cross_cotangents(dy, x1, x2, axis, axis, axis)

    return y, linalg_cross_back


def convolution_cotangents(dy, a, v, mode):
    """Return the cotangents of `np.convolve(a, v, mode)` for 1-D real `a` and `v`."""
    n, m = np.size(a), np.size(v)
    full_length = n + m - 1
    if mode == "full":
        start = 0
    elif mode == "same":
        start = (min(n, m) - 1) // 2
    else:
        start = min(n, m) - 1
    # Place dy where its entries sit in the full convolution, y_k = sum_i a_i v_(k - i).
    dy_full = np.pad(dy, [(start, full_length - start - np.size(dy))])
    return (unbroadcast(np.correlate(dy_full, v, "valid"), a),
            unbroadcast(np.correlate(dy_full, a, "valid"), v))


@register_rule(np.convolve)
def convolve_rule(a, v, mode="full"):
    y = np.convolve(a, v, mode)

    def convolve_back(dy):
        return convolution_cotangents(dy, a, v, mode)

    return y, convolve_back


@register_rule(np.correlate)
def correlate_rule(a, v, mode="valid"):
    y = np.correlate(a, v, mode)

    def correlate_back(dy):
        # For real inputs correlate(a, v) = convolve(a, flip(v)).
        da, d_flipped = convolution_cotangents(dy, a, np.flip(v), mode)
        return da, (None if d_flipped is None else np.flip(d_flipped))

    return y, correlate_back


# Fourier transforms -----------------------------------------------------------------------
# A transform is linear, so its pullback is its adjoint. The adjoint of an FFT is the inverse
# FFT scaled by the dual normalization: for the default norm ("backward") the forward
# transform is unscaled, and its adjoint n * ifft(dy) is ifft(dy, norm="forward").

DUAL_NORM = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def fit_axes(g, shape, axes):
    """Crop or zero-pad `g` along `axes` to the lengths in `shape`.

    This is the adjoint of the cropping or zero-padding that the transforms' `n` and `s`
    arguments apply to their input.
    """
    for axis in axes:
        have, want = np.shape(g)[axis], shape[axis]
        if have > want:
            g = np.take(g, np.arange(want), axis=axis)
        elif have < want:
            widths = [(0, 0)] * np.ndim(g)
            widths[axis] = (0, want - have)
            g = np.pad(g, widths)
    return g


def make_fft_rule(function, adjoint):
    def fft_rule(a, n=None, axis=-1, norm=None, out=None):
        y = function(a, n, axis, norm, out)

        def fft_back(dy):
            g = adjoint(dy, axis=axis, norm=DUAL_NORM[norm])
            return (unbroadcast(fit_axes(g, np.shape(a), [axis % np.ndim(a)]), a),)

        return y, fft_back

    fft_rule.__name__ = f"{function.__name__}_rule"
    return fft_rule


def transform_axes(a, s, axes, default):
    if axes is not None:
        return [int(axis) % np.ndim(a) for axis in axes]
    if s is not None:
        return list(range(np.ndim(a) - len(s), np.ndim(a)))
    return [axis % np.ndim(a) for axis in default]


def make_fftn_rule(function, adjoint, default_axes):
    def fftn_rule(a, s=None, axes=None, norm=None, out=None):
        y = function(a, s, axes if axes is not None else default_axes, norm, out)
        transformed = transform_axes(a, s, axes, default_axes if default_axes is not None
                                     else range(np.ndim(a)))

        def fftn_back(dy):
            g = adjoint(dy, axes=transformed, norm=DUAL_NORM[norm])
            return (unbroadcast(fit_axes(g, np.shape(a), transformed), a),)

        return y, fftn_back

    fftn_rule.__name__ = f"{function.__name__}_rule"
    return fftn_rule


register_rule(np.fft.fft, make_fft_rule(np.fft.fft, np.fft.ifft))
register_rule(np.fft.ifft, make_fft_rule(np.fft.ifft, np.fft.fft))
register_rule(np.fft.fft2, make_fftn_rule(np.fft.fft2, np.fft.ifftn, (-2, -1)))
register_rule(np.fft.ifft2, make_fftn_rule(np.fft.ifft2, np.fft.fftn, (-2, -1)))
register_rule(np.fft.fftn, make_fftn_rule(np.fft.fftn, np.fft.ifftn, None))
register_rule(np.fft.ifftn, make_fftn_rule(np.fft.ifftn, np.fft.fftn, None))


@register_rule(np.fft.rfft)
def rfft_rule(a, n=None, axis=-1, norm=None, out=None):
    y = np.fft.rfft(a, n, axis, norm, out)
    axis = axis % np.ndim(a)
    length = np.shape(a)[axis] if n is None else n

    def rfft_back(dy):
        # rfft keeps the first n // 2 + 1 bins of fft, so the others get a zero cotangent.
        full = fit_axes(dy, np.shape(dy)[:axis] + (length,) + np.shape(dy)[axis + 1:], [axis])
        g = np.real(np.fft.ifft(full, axis=axis, norm=DUAL_NORM[norm]))
        return (unbroadcast(fit_axes(g, np.shape(a), [axis]), a),)

    return y, rfft_back


@register_rule(np.fft.irfft)
def irfft_rule(a, n=None, axis=-1, norm=None, out=None):
    y = np.fft.irfft(a, n, axis, norm, out)
    axis = axis % np.ndim(a)
    length = np.shape(y)[axis]

    def irfft_back(dy):
        # irfft(X)_t sums X_0, twice the real part of X_k e^(2 pi i k t / n) for the inner
        # bins, and X_(n/2) for even n. So the inner bins get twice rfft(dy). irfft ignores
        # the imaginary parts of the edge bins, which therefore get 0.
        spectrum = np.fft.rfft(dy, axis=axis, norm=DUAL_NORM[norm])
        bins = np.shape(spectrum)[axis]
        weights = np.full(bins, 2.0)
        weights[0] = 1.0
        if length % 2 == 0:
            weights[-1] = 1.0
        shape = [1] * np.ndim(spectrum)
        shape[axis] = bins
        g = spectrum * np.reshape(weights, shape)
        edge = np.zeros(bins, dtype=bool)
        edge[0] = True
        edge[-1] = length % 2 == 0
        g = np.where(np.reshape(edge, shape), np.real(g), g)
        return (unbroadcast(fit_axes(g, np.shape(a), [axis]), a),)

    return y, irfft_back


@register_rule(np.fft.fftshift)
def fftshift_rule(x, axes=None):
    y = np.fft.fftshift(x, axes)

    def fftshift_back(dy):
        return (unbroadcast(np.fft.ifftshift(dy, axes), x),)

    return y, fftshift_back


@register_rule(np.fft.ifftshift)
def ifftshift_rule(x, axes=None):
    y = np.fft.ifftshift(x, axes)

    def ifftshift_back(dy):
        return (unbroadcast(np.fft.fftshift(dy, axes), x),)

    return y, ifftshift_back


# Inverses, determinants and solves ----------------------------------------------------------


@register_rule(np.linalg.inv)
def inv_rule(a):
    y = np.linalg.inv(a)

    def inv_back(dy):
        return (unbroadcast(-np.matmul(np.matmul(matrix_transpose(y), dy), matrix_transpose(y)),
                            a),)

    return y, inv_back


@register_rule(np.linalg.det)
def det_rule(a):
    y = np.linalg.det(a)

    def det_back(dy):
        # d det(a) / da is the transposed adjugate, det(a) inv(a)^T where a is invertible.
        if np.all(y != 0):
            return (unbroadcast(scale_matrices(dy * y, matrix_transpose(np.linalg.inv(a))), a),)
        return (unbroadcast(scale_matrices(dy, adjugate_transpose(a)), a),)

    return y, det_back


def adjugate_transpose(a):
    """Return the transposed adjugate of each matrix of `a`, singular ones included.

    With a = U S Vh, adj(a)^T = det(U) det(Vh) U adj(S) Vh, and adj(S) is diagonal with the
    product of the other singular values at each place.
    """
    u, s, vh = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    others = exclusive_products(s)
    return scale_matrices(sign, np.matmul(u * np.expand_dims(others, -2), vh))


@register_rule(np.linalg.slogdet)
def slogdet_rule(a):
    y = np.linalg.slogdet(a)

    def slogdet_back(dy):
        # The sign is piecewise constant, so only log|det| carries a gradient.
        d_logdet = dy[1]
        if d_logdet is None:
            return (None,)
        return (unbroadcast(scale_matrices(d_logdet, matrix_transpose(np.linalg.inv(a))), a),)

    return y, slogdet_back


@register_rule(np.linalg.solve)
def solve_rule(a, b):
    y = np.linalg.solve(a, b)

    def solve_back(dy):
        if np.ndim(b) == 1:
            db = np.squeeze(np.linalg.solve(matrix_transpose(a), np.expand_dims(dy, -1)), -1)
            da = -outer_last(db, y)
        else:
            db = np.linalg.solve(matrix_transpose(a), dy)
            da = -np.matmul(db, matrix_transpose(y))
        return unbroadcast(da, a), unbroadcast(db, b)

    return y, solve_back


def matrix_power_cotangent(dy, a, n):
    """Return the cotangent of `matrix_power(a, n)` for `n >= 1`."""
    powers = [np.broadcast_to(np.eye(np.shape(a)[-1]), np.shape(a))]
    for _ in range(n - 1):
        powers.append(np.matmul(powers[-1], a))
    g = np.zeros(np.shape(a), dtype=np.result_type(a, dy))
    for k in range(n):
        g = g + np.matmul(np.matmul(matrix_transpose(powers[k]), dy),
                          matrix_transpose(powers[n - 1 - k]))
    return g


@register_rule(np.linalg.matrix_power)
def matrix_power_rule(a, n):
    y = np.linalg.matrix_power(a, n)

    def matrix_power_back(dy):
        if n == 0:
            return (unbroadcast(np.zeros(np.shape(a)), a),)
        if n > 0:
            return (unbroadcast(matrix_power_cotangent(dy, a, n), a),)
        inverse = np.linalg.inv(a)
        d_inverse = matrix_power_cotangent(dy, inverse, -n)
        da = -np.matmul(np.matmul(matrix_transpose(inverse), d_inverse),
                        matrix_transpose(inverse))
        return (unbroadcast(da, a),)

    return y, matrix_power_back


# Factorizations -------------------------------------------------------------------------


def lower_with_half_diagonal(x):
    """Return the lower triangle of `x` with its diagonal halved (Murray's Phi)."""
    return np.tril(x) - np.tril(np.triu(x)) / 2


@register_rule(np.linalg.cholesky)
def cholesky_rule(a, /, *, upper=False):
    y = np.linalg.cholesky(a, upper=upper)

    def cholesky_back(dy):
        lower = matrix_transpose(y) if upper else y
        d_lower = matrix_transpose(dy) if upper else dy
        # A_bar = L^-T Phi(L^T L_bar) L^-1, symmetrized.
        inverse = np.linalg.inv(lower)
        middle = lower_with_half_diagonal(np.matmul(matrix_transpose(lower), d_lower))
        g = np.matmul(np.matmul(matrix_transpose(inverse), middle), inverse)
        return (unbroadcast(symmetric_part(g), a),)

    return y, cholesky_back


def copy_lower_to_upper(x):
    strict = np.tril(x, -1)
    return strict + matrix_transpose(strict) + np.tril(np.triu(x))


def square_qr_cotangent(q, r, dq, dr):
    """Return the gradient of A = QR for R square.

    With M = R dR^T - dQ^T Q, the gradient is (dQ + Q copyltu(M)) R^-T.
    """
    m = np.matmul(r, matrix_transpose(dr)) - np.matmul(matrix_transpose(dq), q)
    b = dq + np.matmul(q, copy_lower_to_upper(m))
    return matrix_transpose(np.linalg.solve(r, matrix_transpose(b)))


@register_rule(np.linalg.qr)
def qr_rule(a, mode="reduced"):
    y = np.linalg.qr(a, mode)
    rows, cols = np.shape(a)[-2:]
    if mode not in ("reduced", "r", "complete") or (mode == "complete" and rows > cols):
        raise NotImplementedError(f"the gradient of np.linalg.qr with mode={mode!r} is "
                                  "implemented for 'reduced', 'r', and 'complete' when the "
                                  "matrix has no more rows than columns")
    if mode == "r":
        q, r = np.linalg.qr(a)
    else:
        q, r = y

    def qr_back(dy):
        if mode == "r":
            dq, dr = None, dy
        else:
            dq, dr = dy
        dq = missing_as_zeros(dq, q)
        dr = missing_as_zeros(dr, r)
        if rows < cols:
            # A = [X | Y] with X = Q R1 square and Y = Q R2: Y's gradient is Q dR2, and its
            # share of Q's gradient, Y dR2^T, joins the square case for X.
            r1, r2 = r[..., :, :rows], r[..., :, rows:]
            dr1, dr2 = dr[..., :, :rows], dr[..., :, rows:]
            y_part = a[..., :, rows:]
            dx = square_qr_cotangent(q, r1, dq + np.matmul(y_part, matrix_transpose(dr2)), dr1)
            dy_part = np.matmul(q, dr2)
            return (unbroadcast(np.concatenate([dx, dy_part], axis=-1), a),)
        return (unbroadcast(square_qr_cotangent(q, r, dq, dr), a),)

    return y, qr_back


def eigen_gap_reciprocals(w):
    """Return F with F[i, j] = 1 / (w[j] - w[i]) off the diagonal and 0 on it."""
    gaps = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    diagonal = np.eye(np.shape(w)[-1], dtype=bool)
    return np.where(diagonal, 0, 1 / np.where(diagonal, 1, gaps))


def eigh_cotangent(dw, dv, w, v):
    inner = np.zeros(np.shape(v), dtype=np.result_type(v, np.float64))
    if dw is not None:
        inner = inner + np.eye(np.shape(w)[-1]) * np.expand_dims(dw, -2)
    if dv is not None:
        inner = inner + eigen_gap_reciprocals(w) * np.matmul(matrix_transpose(v), dv)
    g = np.matmul(np.matmul(v, inner), matrix_transpose(v))
    return symmetric_part(g)


@register_rule(np.linalg.eigh)
def eigh_rule(a, UPLO="L"):
    y = np.linalg.eigh(a, UPLO)

    def eigh_back(dy):
        w, v = y
        return (unbroadcast(eigh_cotangent(dy[0], dy[1], w, v), a),)

    return y, eigh_back


@register_rule(np.linalg.eigvalsh)
def eigvalsh_rule(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO)

    def eigvalsh_back(dy):
        return (unbroadcast(eigh_cotangent(dy, None, w, v), a),)

    return w, eigvalsh_back


def svd_cotangent(du, ds, dvh, u, s, vh):
    """Return the cotangent of `a = u diag(s) vh` (thin SVD, distinct nonzero s)."""
    v = matrix_transpose(vh)
    k = np.shape(s)[-1]
    inner = np.zeros(np.shape(s)[:-1] + (k, k), dtype=np.result_type(s, np.float64))
    if ds is not None:
        inner = inner + np.eye(k) * np.expand_dims(ds, -2)
    squares = s * s
    f = eigen_gap_reciprocals(squares)
    s_row = np.expand_dims(s, -2)
    s_col = np.expand_dims(s, -1)
    g = np.zeros(np.shape(u)[:-1] + (np.shape(v)[-2],), dtype=inner.dtype)
    if du is not None:
        ut_du = np.matmul(matrix_transpose(u), du)
        inner = inner + f * (ut_du - matrix_transpose(ut_du)) * s_row
        outside = du - np.matmul(u, ut_du)
        g = g + np.matmul(outside / s_row, vh)
    if dvh is not None:
        dv = matrix_transpose(dvh)
        vt_dv = np.matmul(matrix_transpose(v), dv)
        inner = inner + s_col * (f * (vt_dv - matrix_transpose(vt_dv)))
        outside = dv - np.matmul(v, vt_dv)
        g = g + np.matmul(u, matrix_transpose(outside / s_row))
    return g + np.matmul(np.matmul(u, inner), vh)


@register_rule(np.linalg.svd)
def svd_rule(a, full_matrices=True, compute_uv=True, hermitian=False):
    y = np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    k = np.shape(s)[-1]

    def svd_back(dy):
        if not compute_uv:
            return (unbroadcast(svd_cotangent(None, dy, None, u, s, vh), a),)
        du, ds, dvh = dy
        if full_matrices:
            # The columns past min(m, n) are any basis of a complement: no gradient is defined
            # for them, so only a zero cotangent there is accepted.
            if du is not None and np.any(du[..., k:] != 0) or \
                    dvh is not None and np.any(dvh[..., k:, :] != 0):
                raise NotImplementedError(
                    "the gradient of np.linalg.svd through the extra singular vectors of "
                    "full_matrices=True is undefined, so pass full_matrices=False")
            du = None if du is None else du[..., :k]
            dvh = None if dvh is None else dvh[..., :k, :]
        return (unbroadcast(svd_cotangent(du, ds, dvh, u, s, vh), a),)

    return y, svd_back


@register_rule(np.linalg.svdvals)
def svdvals_rule(x, /):
    u, s, vh = np.linalg.svd(x, full_matrices=False)

    def svdvals_back(dy):
        return (unbroadcast(svd_cotangent(None, dy, None, u, s, vh), x),)

    return s, svdvals_back


def pinv_cotangent(dy, a, y):
    """Return the cotangent of `y = pinv(a)` for an `a` of constant rank (Golub and Pereyra)."""
    yt = matrix_transpose(y)
    dyt = matrix_transpose(dy)
    rows, cols = np.shape(a)[-2:]
    left = np.eye(rows) - np.matmul(a, y)
    right = np.eye(cols) - np.matmul(y, a)
    return (-np.matmul(np.matmul(yt, dy), yt)
            + np.matmul(np.matmul(left, dyt), np.matmul(y, yt))
            + np.matmul(np.matmul(yt, y), np.matmul(dyt, right)))


@register_rule(np.linalg.pinv)
def pinv_rule(a, *args, **kwargs):
    y = np.linalg.pinv(a, *args, **kwargs)

    def pinv_back(dy):
        return (unbroadcast(pinv_cotangent(dy, a, y), a),)

    return y, pinv_back


@register_rule(np.linalg.lstsq)
def lstsq_rule(a, b, rcond=None):
    y = np.linalg.lstsq(a, b, rcond=rcond)
    x, residuals = y[0], y[1]

    def lstsq_back(dy):
        # x = pinv(a) b for a of full column rank. The residuals r = b - a x are stationary
        # in x, so their gradient treats x as fixed. The rank gets none.
        # NOTE: rank-deficient a gives the pinv gradient, which assumes constant rank.
        dx, d_residuals, d_singular = dy[0], dy[1], dy[3]
        vector = np.ndim(b) == 1
        b2 = np.reshape(b, (-1, 1)) if vector else b
        x2 = np.reshape(x, (-1, 1)) if vector else x
        pseudo_inverse = np.linalg.pinv(a)
        da = np.zeros(np.shape(a))
        db = np.zeros(np.shape(b2))
        if dx is not None:
            dx2 = np.reshape(dx, (-1, 1)) if vector else dx
            da = da + pinv_cotangent(np.matmul(dx2, matrix_transpose(b2)), a, pseudo_inverse)
            db = db + np.matmul(matrix_transpose(pseudo_inverse), dx2)
        if d_residuals is not None and np.size(residuals) > 0:
            r = b2 - np.matmul(a, x2)
            weighted = 2 * r * np.reshape(d_residuals, (1, -1))
            db = db + weighted
            da = da - np.matmul(weighted, matrix_transpose(x2))
        if d_singular is not None:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            da = da + svd_cotangent(None, d_singular, None, u, s, vh)
        return (unbroadcast(da, a), unbroadcast(np.reshape(db, np.shape(b)), b))

    return y, lstsq_back


# Norms ------------------------------------------------------------------------------------


def shared_selection(g, selected, axes):
    """Spread `g` evenly over the `selected` entries of each reduced slice."""
    count = np.sum(selected, axis=axes, keepdims=True)
    return np.where(selected, g / np.maximum(count, 1), 0)


def vector_norm_cotangent(dy, x, y, ord, axes, keepdims):
    shape = np.shape(x)
    g = expand_reduced(dy, shape, axes, keepdims)
    norm = expand_reduced(y, shape, axes, keepdims)
    magnitude = np.abs(x)
    direction = np.sign(x) if not np.iscomplexobj(x) else \
        np.where(magnitude == 0, 0, x / np.where(magnitude == 0, 1, magnitude))
    if ord is None or ord == 2:
        # The zero vector gets gradient 0 instead of 0/0.
        at_zero = norm == 0
        return np.where(at_zero, 0, g * x / np.where(at_zero, 1, norm))
    if ord == 1:
        return g * direction
    if ord == np.inf:
        return shared_selection(g, magnitude == norm, axes) * direction
    if ord == -np.inf:
        return shared_selection(g, magnitude == norm, axes) * direction
    if ord == 0:
        # The count of nonzeros is piecewise constant.
        return np.zeros(shape, dtype=np.result_type(x, np.float64))
    p = float(ord)
    skip = (norm == 0) | (magnitude == 0)
    safe_magnitude = np.where(skip, 1, magnitude)
    safe_norm = np.where(skip, 1, norm)
    return np.where(skip, 0, g * direction * (safe_magnitude / safe_norm) ** (p - 1))


def matrix_norm_cotangent(dy, x, y, ord, axes, keepdims):
    shape = np.shape(x)
    moved_x = np.moveaxis(x, axes, (-2, -1))
    g = np.moveaxis(expand_reduced(dy, shape, axes, keepdims), axes, (-2, -1))
    if ord in (None, "fro"):
        norm = np.moveaxis(expand_reduced(y, shape, axes, keepdims), axes, (-2, -1))
        at_zero = norm == 0
        result = np.where(at_zero, 0, g * moved_x / np.where(at_zero, 1, norm))
    elif ord in ("nuc", 2, -2):
        u, s, vh = np.linalg.svd(moved_x, full_matrices=False)
        if ord == "nuc":
            result = g * np.matmul(u, vh)
        else:
            index = 0 if ord == 2 else -1
            result = g * outer_last(u[..., :, index], vh[..., index, :])
    elif ord in (1, -1, np.inf, -np.inf):
        # ord 1 takes the max (-1 the min) column sum of |x|, inf and -inf the row sums.
        axis = -2 if ord in (1, -1) else -1
        sums = np.sum(np.abs(moved_x), axis=axis, keepdims=True)
        best = np.max(sums, axis=(-2, -1), keepdims=True) if ord in (1, np.inf) else \
            np.min(sums, axis=(-2, -1), keepdims=True)
        selected = sums == best
        weight = selected / np.sum(selected, axis=(-2, -1), keepdims=True)
        result = g * weight * np.sign(moved_x)
    else:
        raise NotImplementedError(f"the gradient of the matrix norm of order {ord!r} is not "
                                  "implemented")
    return np.moveaxis(result, (-2, -1), axes)


@register_rule(np.linalg.norm)
def norm_rule(x, ord=None, axis=None, keepdims=False):
    y = np.linalg.norm(x, ord, axis, keepdims)
    ndim = np.ndim(x)
    if axis is None and (ord is None or ndim == 1):
        kind, axes = "vector", tuple(range(ndim))
    elif axis is None:
        kind, axes = "matrix", (0, 1)
    elif isinstance(axis, tuple) and len(axis) == 2:
        # Keep the order given, because the first axis is the row axis.
        kind, axes = "matrix", tuple(int(a) % ndim for a in axis)
    else:
        kind, axes = "vector", normalize_axes(axis, ndim)

    def norm_back(dy):
        if kind == "vector":
            return (unbroadcast(vector_norm_cotangent(dy, x, y, ord, axes, keepdims), x),)
        return (unbroadcast(matrix_norm_cotangent(dy, x, y, ord, axes, keepdims), x),)

    return y, norm_back


@register_rule(np.linalg.vector_norm)
def vector_norm_rule(x, /, *, axis=None, keepdims=False, ord=2):
    y = np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    axes = normalize_axes(axis, np.ndim(x))

    def vector_norm_back(dy):
        return (unbroadcast(vector_norm_cotangent(dy, x, y, ord, axes, keepdims), x),)

    return y, vector_norm_back


@register_rule(np.linalg.matrix_norm)
def matrix_norm_rule(x, /, *, keepdims=False, ord="fro"):
    y = np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    ndim = np.ndim(x)
    axes = (ndim - 2, ndim - 1)

    def matrix_norm_back(dy):
        return (unbroadcast(matrix_norm_cotangent(dy, x, y, ord, axes, keepdims), x),)

    return y, matrix_norm_back
