"""The table of every registered rule with the calls that check it.

Each entry names a registered primal, method or attribute as `python -m zygote_py.rules`
prints it, and lists calls on scalars, vectors, matrices and broadcast pairs. Inputs stay
away from kinks and ties, which tests/rules/test_rule_conventions.py covers with exact values.
"""

import builtins
import math
from dataclasses import dataclass, field

import numpy as np

from zygote_py.rules import registry

rng = np.random.default_rng(1234)


def R(*shape):
    """Standard normal values."""
    return rng.standard_normal(shape)


def P(*shape):
    """Positive values in [0.5, 2]."""
    return rng.uniform(0.5, 2.0, shape)


def U(*shape):
    """Values in [-0.9, 0.9], inside the domain of arcsin and arctanh."""
    return rng.uniform(-0.9, 0.9, shape)


def G(*shape):
    """Values in [1.2, 3], inside the domain of arccosh."""
    return rng.uniform(1.2, 3.0, shape)


def C(*shape):
    """Complex values with standard normal real and imaginary parts."""
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def square_matrix(n=3, batch=()):
    return rng.standard_normal(batch + (n, n)) + 3 * np.eye(n)


def spd_matrix(n=3, batch=()):
    b = rng.standard_normal(batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def distinct_spectrum_matrix(m, n):
    """A matrix with well-separated singular values 3, 2, 1, ..."""
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal((m, k)))
    v, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return (u * np.arange(k + 1, 1, -1)) @ v.T


@dataclass
class Call:
    args: tuple
    kwargs: dict = field(default_factory=dict)

    def __repr__(self):
        shapes = [np.shape(a) if isinstance(a, np.ndarray) else type(a).__name__
                  for a in self.args]
        return f"args={shapes} kwargs={sorted(self.kwargs)}"


def call(*args, **kwargs):
    return Call(args, kwargs)


@dataclass
class Entry:
    key: str
    rule: object
    primal: object
    calls: list
    loss: str = "linear"
    symmetric: tuple = ()
    float32: bool = True
    # Conversions to a lower precision than float64 defeat finite differences, so their
    # entries check that the cotangent passes through unchanged instead.
    identity: bool = False

    def __repr__(self):
        return self.key


TABLE = []


def describe(primal):
    return registry._describe(primal)


def fn(primal, *calls, **options):
    entry = Entry(describe(primal), registry.lookup_rule(primal), primal, list(calls), **options)
    TABLE.append(entry)
    return entry


def method(name, *calls, cls=np.ndarray, **options):
    def primal(receiver, *args, **kwargs):
        return getattr(receiver, name)(*args, **kwargs)

    rule = registry.lookup_method_rule(cls, name)
    TABLE.append(Entry(f"{cls.__name__}.{name}", rule, primal, list(calls), **options))


def attribute(name, *calls, cls=np.ndarray):
    def primal(obj):
        return getattr(obj, name)

    rule = registry.lookup_attribute_rule(cls, name)
    TABLE.append(Entry(f"{cls.__name__}.{name}", rule, primal, list(calls)))


def unary(domain, scalar):
    return [call(scalar), call(domain(3)), call(domain(2, 3))]


def binary(first, second, scalars=(0.4, 1.3)):
    return [call(*scalars),
            call(first(3), second(2, 3)),
            call(first(3, 1), second(1, 4)),
            call(first(2, 3), scalars[1])]


# Elementwise ------------------------------------------------------------------------------

for primal in (np.negative, np.positive, np.square, np.cbrt, np.absolute, np.fabs, np.sign,
               np.exp, np.exp2, np.expm1, np.sin, np.cos, np.arctan, np.sinh, np.cosh,
               np.tanh, np.arcsinh, np.sinc, np.deg2rad, np.rad2deg, np.radians, np.degrees,
               np.real, np.imag, np.conjugate, np.angle):
    fn(primal, *unary(R, -0.7))
fn(np.tan, *unary(U, 0.4))
for primal in (np.reciprocal, np.sqrt, np.log, np.log2, np.log10, np.log1p):
    fn(primal, *unary(P, 1.3))
for primal in (np.arcsin, np.arccos, np.arctanh):
    fn(primal, *unary(U, 0.4))
fn(np.arccosh, *unary(G, 1.7))
fn(np.nan_to_num, *unary(R, 0.3),
   call(np.array([1.0, np.nan, np.inf, -0.5]), posinf=5.0, neginf=-5.0))

for primal in (np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin,
               np.hypot, np.arctan2, np.logaddexp, np.logaddexp2, np.copysign):
    fn(primal, *binary(R, R))
fn(np.divide, *binary(R, P))
fn(np.power, *binary(P, R), call(R(3), 3), call(P(2, 3), 0.5))
fn(np.float_power, *binary(P, R), call(R(3), 2))
for primal in (np.remainder, np.fmod):
    fn(primal,
       call(1.3, 3.5),
       call(rng.uniform(0.1, 2.9, 3), rng.uniform(3.1, 4.0, (2, 3))),
       call(rng.uniform(-2.9, -0.1, (3, 1)), rng.uniform(3.1, 4.0, (1, 4))),
       call(rng.uniform(3.6, 5.0, (2, 3)), 3.5))
_clipped = R(2, 3) * 2
fn(np.clip,
   call(_clipped, -0.5, 0.5),
   call(R(3), np.array([-0.3, -1.0, 0.2]), np.array([0.1, 1.0, 0.9])),
   call(R(2, 3), R(3) - 0.5, 0.7),
   call(_clipped, a_min=-0.5, a_max=0.5),
   call(_clipped, min=-0.2),
   call(_clipped, None, 0.1))
fn(np.where,
   call(R(2, 3) > 0, R(2, 3), R(3)),
   call(R(3) > 0, R(3), 0.5),
   call(R(3, 1) > 0, R(1, 4), R(3, 4)))


# Reductions -------------------------------------------------------------------------------

_cube = R(2, 3, 4)
_mask = R(2, 3) > 0
_axis_calls = [call(R(3)), call(0.7), call(_cube), call(_cube, 1), call(_cube, axis=(0, 2)),
               call(_cube, axis=-1, keepdims=True), call(_cube, axis=None, keepdims=True),
               call(R(2, 3), axis=(-1, 0))]
fn(np.sum, *_axis_calls, call(R(2, 3), where=_mask), call(R(2, 3), 0, None, None, True))
fn(np.mean, *_axis_calls, call(R(2, 3), where=_mask))
_one_zero = np.array([[1.5, 0.0, -2.0], [0.5, 1.2, 0.8]])
_two_zeros = np.array([[0.0, 0.0, -2.0], [0.5, 0.0, 0.8]])
fn(np.prod, *_axis_calls, call(_one_zero), call(_one_zero, 1), call(_two_zeros),
   call(_two_zeros, axis=0), call(_cube, initial=2.0), call(P(2, 3), where=_mask))
fn(np.nanprod, call(np.array([1.5, np.nan, -2.0, 0.7])), call(_cube, 1))
for primal in (np.max, np.min, np.amax, np.amin):
    fn(primal, *_axis_calls)
_with_nan = np.array([[0.3, np.nan, -1.2], [2.0, 0.5, np.nan]])
for primal in (np.nanmax, np.nanmin):
    fn(primal, *_axis_calls, call(_with_nan), call(_with_nan, 1))
fn(np.nansum, *_axis_calls, call(_with_nan), call(_with_nan, axis=0, keepdims=True))
fn(np.nanmean, *_axis_calls, call(_with_nan), call(_with_nan, axis=0, keepdims=True))
fn(np.ptp, call(R(3)), call(_cube), call(_cube, 1), call(_cube, axis=(0, 2), keepdims=True))
for primal in (np.var, np.std):
    fn(primal, *_axis_calls, call(_cube, axis=(0, 2), ddof=1), call(_cube, 0, None, None, 1),
       call(R(5), correction=1))
fn(np.median, call(R(5)), call(R(4)), call(_cube, 1), call(_cube, axis=(0, 2)),
   call(_cube, axis=-1, keepdims=True))
for _primal, _scale in ((np.quantile, 1.0), (np.percentile, 100.0)):
    # Levels stay inside (0, 1), since differences across 0 or 1 leave NumPy's domain.
    fn(_primal, call(R(5), 0.3 * _scale), call(R(4), [0.1 * _scale, 0.5 * _scale, 0.9 * _scale]),
       call(_cube, 0.7 * _scale, 1), call(_cube, [0.25 * _scale, 0.6 * _scale], axis=(0, 2)),
       call(_cube, 0.4 * _scale, axis=-1, keepdims=True), call(R(3), 0.05 * _scale))
fn(np.trapezoid, call(R(5)), call(_cube, dx=0.5), call(R(4), np.array([0.0, 0.3, 1.1, 1.5])),
   call(R(2, 4), np.array([0.0, 0.3, 1.1, 1.5]), axis=1), call(R(3, 2), R(3, 2) + 4, axis=0),
   call(R(2, 3), None, 0.25, 0))
_scan_zeros = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 1.2, 0.0, 0.8], [0.3, 0.6, 0.9, 1.2]])
fn(np.cumsum, call(R(4)), call(_cube), call(_cube, 1), call(_cube, axis=-1))
fn(np.cumprod, call(P(4)), call(_cube), call(_cube, 1), call(_scan_zeros, axis=1),
   call(_scan_zeros, 0), call(_scan_zeros))
fn(np.cumulative_sum, call(R(4)), call(_cube, axis=1),
   call(R(2, 3), axis=1, include_initial=True))
fn(np.cumulative_prod, call(R(4)), call(_cube, axis=1), call(_scan_zeros, axis=1),
   call(R(2, 3), axis=0, include_initial=True))
fn(np.average, call(R(4)), call(_cube, 1), call(_cube, 1, P(3)),
   call(_cube, axis=2, weights=P(4)), call(R(2, 3), None, P(2, 3)),
   call(R(2, 3), 1, P(3), True), call(R(2, 3), axis=(0, 1), weights=P(2, 3), keepdims=True))
fn(np.diff, call(R(5)), call(R(3, 4), 2, 0), call(R(4), prepend=1.0),
   call(R(2, 4), axis=1, append=R(2, 1)), call(R(2, 4), 1, 1, R(2, 2)),
   call(R(4), 2, -1, 0.5, R(1)))


# Shape and assembly -------------------------------------------------------------------------

fn(np.reshape, call(R(2, 3), (3, 2)), call(R(2, 3), -1), call(R(2, 3), (3, 2), "F"),
   call(R(6), shape=(2, 3)))
fn(np.ravel, call(R(2, 3)), call(R(2, 3), "F"))
fn(np.transpose, call(R(2, 3)), call(_cube, (1, 2, 0)), call(_cube, (-1, 0, 1)))
fn(np.matrix_transpose, call(R(2, 3)), call(_cube))
fn(np.linalg.matrix_transpose, call(R(2, 3)), call(_cube))
fn(np.swapaxes, call(_cube, 0, 2), call(R(2, 3), -1, 0))
fn(np.moveaxis, call(_cube, 0, -1), call(_cube, (0, 1), (2, 0)))
fn(np.rollaxis, call(_cube, 2), call(_cube, 2, 1))
fn(np.expand_dims, call(R(3), 0), call(R(2, 3), (0, 3)))
fn(np.squeeze, call(R(1, 3, 1)), call(R(1, 3, 1), 0))
fn(np.broadcast_to, call(R(3), (2, 3)), call(R(3, 1), (2, 3, 4)), call(0.5, (2,)))
fn(np.full, call((2, 3), 0.5), call((2, 3), R(3)))
fn(np.full_like, call(R(2, 3), 0.7), call(R(2, 3), R(3)), float32=False)
fn(np.broadcast_arrays, call(R(3), R(2, 1)), call(R(2, 3), 0.5))
fn(np.atleast_1d, call(0.5), call(R(3)), call(0.5, R(2, 3)))
fn(np.atleast_2d, call(0.5), call(R(3)), call(R(3), R(2, 3)))
fn(np.atleast_3d, call(0.5), call(R(3)), call(R(2, 3), R(3)))
fn(np.concatenate, call([R(2, 3), R(1, 3)]), call((R(2, 3), R(2, 2)), 1),
   call([R(2, 3), R(4)], axis=None), call([R(3), [0.5, 1.5]]))
fn(np.stack, call([R(2, 3), R(2, 3)]), call((R(3), R(3), R(3)), 1), call([R(2), R(2)], axis=-1))
fn(np.unstack, call(R(3, 2)), call(R(2, 3), axis=1))
fn(np.hstack, call([R(3), R(2)]), call((R(2, 3), R(2, 1))))
fn(np.vstack, call([R(3), R(3)]), call((R(2, 3), R(1, 3))))
fn(np.dstack, call([R(3), R(3)]), call((R(2, 3), R(2, 3))))
fn(np.column_stack, call([R(3), R(3, 2)]), call((R(2), R(2))))
fn(np.append, call(R(3), R(2)), call(R(2, 3), R(1, 3), 0), call(R(2, 2), R(3)))
_split_calls = [call(R(6), 3), call(R(4, 3), [1, 3]), call(R(2, 6), 2, 1),
                call(R(3, 4), 2, axis=1)]
fn(np.split, *_split_calls)
fn(np.array_split, *_split_calls, call(R(7), 3))
fn(np.hsplit, call(R(2, 4), 2), call(R(6), [2, 3]))
fn(np.vsplit, call(R(4, 2), 2))
fn(np.dsplit, call(R(1, 2, 4), [1]))
fn(np.tile, call(R(3), 2), call(R(2, 3), (2, 1)), call(R(3), (2, 1, 2)), call(R(2, 1, 3), 2))
fn(np.repeat, call(R(3), 2), call(R(2, 3), 2, 1), call(R(2, 3), [1, 0, 2], axis=1),
   call(R(2, 2), 3))
fn(np.flip, call(R(3)), call(_cube, 1), call(_cube, (0, 2)))
fn(np.fliplr, call(R(2, 3)))
fn(np.flipud, call(R(2, 3)))
fn(np.roll, call(R(5), 2), call(R(2, 3), -1, 1), call(R(2, 3), (1, 2), (0, 1)), call(R(2, 3), 4))
fn(np.rot90, call(R(2, 3)), call(R(2, 3), 2), call(_cube, -1, (1, 2)))
fn(np.pad, call(R(3), 2), call(R(2, 3), ((1, 0), (2, 1))), call(R(2, 3), 1, "edge"),
   call(R(4), (2, 3), mode="reflect"), call(R(2, 3), 2, "symmetric"), call(R(3), 4, "wrap"),
   call(R(3), 1, constant_values=2.0))
fn(np.triu, call(R(3, 3)), call(R(3, 4), 1), call(R(2, 3, 3), -1))
fn(np.tril, call(R(3, 3)), call(R(3, 4), 1), call(R(2, 3, 3), -1))
fn(np.diag, call(R(3)), call(R(3), 1), call(R(3, 3)), call(R(3, 4), -1), call(R(2, 4), 2))
fn(np.diagflat, call(R(3)), call(R(2, 2), -1))
fn(np.diagonal, call(R(3, 3)), call(R(3, 4), 1), call(_cube, 0, 2, 0), call(R(4, 3), -2))
fn(np.linalg.diagonal, call(_cube), call(R(3, 4), offset=1))
fn(np.trace, call(R(3, 3)), call(R(3, 4), 1), call(_cube, 0, 0, 2))
fn(np.linalg.trace, call(_cube), call(R(3, 4), offset=-1))
fn(np.meshgrid, call(R(3), R(2)), call(R(3), R(2), indexing="ij"), call(R(2), R(3), R(4)),
   call(R(3), R(2), sparse=True))
fn(np.array, call([R(3), R(3)]), call((0.5, 1.5, -0.3)), call([[0.5, 1.5], (0.3, -0.2)]),
   call(R(2, 3)), call([0.5, R(1)[0]]))
fn(np.asarray, call([R(3), R(3)]), call((0.5, 1.5)), call(R(2, 3)))
fn(np.asanyarray, call([0.5, 1.5]), call(R(2, 3)))
fn(np.ascontiguousarray, call(R(3, 2).T))
fn(np.asfortranarray, call(R(2, 3)))
fn(np.copy, call(R(2, 3)), call(0.5))
fn(np.astype, call(R(2, 3), np.float64))
for _scalar_type in (np.float64, np.longdouble):
    fn(_scalar_type, call(0.7), call(np.float64(-0.3)), call(np.array(1.2)))
for _scalar_type in (np.float16, np.float32, np.complex64, np.complex128):
    fn(_scalar_type, call(np.float32(0.7)), call(0.7), call(np.array(1.5)), float32=False,
       identity=True)


# Indexing ---------------------------------------------------------------------------------

fn(np.take, call(R(5), [0, 2, 2, 4]), call(R(3, 4), [[1, 1], [0, 3]], 1), call(R(3, 4), 7),
   call(R(5), [6, -1], mode="wrap"), call(R(5), [9, -3], mode="clip"), call(_cube, [2, 0, 2], -1))
fn(np.take_along_axis, call(R(3, 4), np.array([[0, 0], [3, 1], [2, 2]]), 1),
   call(R(3, 4), np.array([[2, 0, 1, 1]]), 0), call(R(5), np.array([4, 4, 1]), None))
fn(np.compress, call([True, False, True], R(3, 2), 0), call([False, True], R(3, 2), axis=1),
   call([True, False, True], R(2, 3)))
fn(np.extract, call(np.array([[True, False, True], [False, True, True]]), R(2, 3)))
fn(np.delete, call(R(5), [1, 3]), call(R(3, 4), 0, 1), call(R(3, 4), [0, -1], axis=0))
fn(np.sort, call(R(5)), call(R(3, 4)), call(R(3, 4), 0), call(R(3, 4), None))
_knots = np.array([-1.0, -0.2, 0.5, 1.4, 2.0])
fn(np.interp, call(0.3, _knots, R(5)), call(R(2, 3), _knots, R(5)),
   call(np.array([-1.5, 0.1, 2.5]), _knots, R(5)), call(np.array([-1.5, 0.1, 2.5]), _knots, R(5),
                                                          -3.0, 4.0),
   call(np.array([0.7, 1.7]), _knots, R(5), right=2.0))
fn(np.select, call([R(3) > 0.5, R(3) > 0], [R(3), R(3)]),
   call([R(2, 3) > 0], [R(3)], R(2, 3)), call((R(4) > 0,), (R(4),), 0.5))
fn(np.choose, call(np.array([0, 1, 1, 0]), [R(4), R(4)]), call(np.array([[2], [0]]),
                                                               (R(3), R(2, 3), 0.5)),
   call(np.array([3, -1]), [R(2), R(2)], mode="wrap"))


# Linear algebra ---------------------------------------------------------------------------

_matrix_pairs = [call(R(2, 3), R(3, 4)), call(R(3), R(3)), call(R(3), R(3, 4)),
                 call(R(2, 3), R(3)), call(R(2, 2, 3), R(3, 4)), call(R(2, 1, 2, 3), R(3, 3, 2))]
fn(np.matmul, *_matrix_pairs)
fn(np.linalg.matmul, *_matrix_pairs)
fn(np.dot, call(R(2, 3), R(3, 4)), call(R(3), R(3)), call(R(3), R(3, 4)), call(R(2, 3), R(3)),
   call(0.5, R(3)), call(R(2, 3), 1.5), call(R(2, 3), R(2, 3, 4)), call(R(2, 2, 3), R(2, 3, 2)))
fn(np.vdot, call(R(3), R(3)), call(R(2, 3), R(3, 2)))
fn(np.inner, call(R(3), R(3)), call(R(2, 3), R(4, 3)), call(R(2, 2, 3), R(3)), call(0.5, R(3)))
fn(np.outer, call(R(3), R(4)), call(R(2, 2), R(3)))
fn(np.linalg.outer, call(R(3), R(4)))
fn(np.vecdot, call(R(2, 3), R(3)), call(R(3, 1, 2), R(4, 2)), call(R(2, 3), R(2, 3), axis=0))
fn(np.linalg.vecdot, call(R(2, 3), R(3)), call(R(2, 3), R(2, 3), axis=0))
fn(np.linalg.multi_dot, call([R(2, 3), R(3, 4), R(4, 2)]), call([R(3), R(3, 4), R(4)]),
   call((R(2, 3), R(3, 3), R(3))))
fn(np.einsum,
   call("ij,jk->ik", R(2, 3), R(3, 4)),
   call("ij,jk", R(2, 3), R(3, 4)),
   call("ii->", R(3, 3)),
   call("ii->i", R(3, 3)),
   call("ii", R(3, 3)),
   call("iij->ij", R(2, 2, 3)),
   call("ij->", R(2, 3)),
   call("ij", R(2, 3)),
   call("ji", R(2, 3)),
   call("i,i", R(3), R(3)),
   call("i,j->ij", R(3), R(2)),
   call("bij,bjk->bik", R(2, 2, 3), R(2, 3, 2)),
   call("...ij,...jk->...ik", R(2, 2, 3), R(1, 3, 2)),
   call("...i,...i->...", R(2, 3), R(3)),
   call("ij,j->i", R(2, 3), R(1)),
   call("i,j,k->", R(2), R(3), R(2)),
   call("ij,jk,kl->il", R(2, 3), R(3, 3), R(3, 2)),
   call(R(2, 3), [0, 1], R(3, 4), [1, 2], [0, 2]),
   call(R(2, 3), [Ellipsis, 1], R(3), [1]),
   call("ij,ij->", R(2, 3), R(2, 3)))
fn(np.tensordot, call(R(2, 3), R(3, 4), 1), call(_cube, R(3, 4, 2)), call(R(2, 3), R(2, 3)),
   call(_cube, R(4, 2), ([2, 0], [0, 1])), call(R(3), R(2), 0))
fn(np.linalg.tensordot, call(R(2, 3), R(3, 4), axes=1), call(_cube, R(3, 4, 2)))
fn(np.kron, call(R(2, 3), R(2, 2)), call(R(3), R(2)), call(R(2), R(2, 3)), call(0.5, R(2)))
fn(np.cross, call(R(3), R(3)), call(R(2, 3), R(3)), call(R(2), R(2)), call(R(4, 2), R(2)), call(R(3, 2), R(3, 2), axisa=0, axisb=0),
   call(R(3, 2), R(2, 3), axis=None, axisa=0, axisc=0), call(R(2, 3), R(3, 2), axis=None,
                                                               axisb=0, axisc=-1))
fn(np.linalg.cross, call(R(2, 3), R(3)), call(R(3, 2), R(3, 2), axis=0))
fn(np.convolve, call(R(5), R(3)), call(R(3), R(5), "same"), call(R(4), R(2), "same"),
   call(R(5), R(3), mode="valid"), call(R(2), R(4), "valid"))
fn(np.correlate, call(R(5), R(3)), call(R(3), R(5), "same"), call(R(4), R(2), "full"),
   call(R(5), R(3), mode="same"))
for _transform in (np.fft.fft, np.fft.ifft):
    fn(_transform, call(R(5)), call(R(2, 4), None, 0), call(R(6), 4), call(R(3), 5), call(C(4)),
       call(R(4), norm="ortho"), call(C(4), norm="forward"))
for _transform in (np.fft.fft2, np.fft.ifft2):
    fn(_transform, call(R(3, 4)), call(C(2, 3, 4)), call(R(3, 4), (2, 5)),
       call(R(3, 4), norm="ortho"), call(R(2, 3, 4), axes=(0, 2)))
for _transform in (np.fft.fftn, np.fft.ifftn):
    fn(_transform, call(R(2, 3, 4)), call(C(3, 4), axes=(0,)), call(R(3, 4), (4,), (1,)),
       call(R(2, 3), norm="forward"), call(C(2, 3), (3, 2), (1, 0)))
fn(np.fft.rfft, call(R(6)), call(R(5)), call(R(2, 6), None, 0), call(R(6), 4), call(R(4), 7),
   call(R(6), norm="ortho"), call(R(5), norm="forward"))
fn(np.fft.irfft, call(C(4)), call(C(4), 7), call(C(2, 4), None, 0), call(C(5), 4), call(C(3), 8),
   call(C(4), norm="forward"), call(C(4), norm="ortho"))
fn(np.fft.fftshift, call(R(5)), call(R(3, 4), 0), call(R(3, 4)))
fn(np.fft.ifftshift, call(R(5)), call(R(3, 4), 1), call(R(3, 4)))
fn(np.linalg.inv, call(square_matrix()), call(square_matrix(2, (2,))))
fn(np.linalg.det, call(square_matrix()), call(square_matrix(2, (3,))))
fn(np.linalg.slogdet, call(square_matrix()), call(-square_matrix(2, (2,))))
fn(np.linalg.solve, call(square_matrix(), R(3)), call(square_matrix(), R(3, 2)),
   call(square_matrix(3, (2,)), R(2, 3, 1)), call(square_matrix(3, (2,)), R(3, 2)))
fn(np.linalg.matrix_power, call(square_matrix(), 3), call(square_matrix(), 1),
   call(square_matrix(), 0), call(square_matrix(), -2), call(square_matrix(2, (2,)), 2))
fn(np.linalg.cholesky, call(spd_matrix()), call(spd_matrix(2, (2,))),
   call(spd_matrix(), upper=True), symmetric=(0,))
fn(np.linalg.qr, call(R(4, 3)), call(square_matrix()), call(R(4, 2), "r"), call(R(2, 4)),
   call(R(3, 5), "r"), call(R(2, 3), "complete"),
   call(square_matrix(), "complete"), call(R(2, 4, 3)))
fn(np.linalg.eigh, call(spd_matrix()), call(spd_matrix(2, (2,))), call(spd_matrix(), "U"),
   loss="square", symmetric=(0,))
fn(np.linalg.eigvalsh, call(spd_matrix()), call(spd_matrix(3, (2,))), symmetric=(0,))
fn(np.linalg.svd, call(distinct_spectrum_matrix(3, 3)),
   call(distinct_spectrum_matrix(4, 3), full_matrices=False),
   call(distinct_spectrum_matrix(2, 4), False),
   call(distinct_spectrum_matrix(4, 3), compute_uv=False), loss="square")
fn(np.linalg.svdvals, call(distinct_spectrum_matrix(4, 3)), call(distinct_spectrum_matrix(2, 3)))
fn(np.linalg.pinv, call(R(4, 3)), call(R(2, 3)), call(square_matrix()))
fn(np.linalg.lstsq, call(R(5, 3), R(5)), call(R(5, 3), R(5, 2)), call(square_matrix(), R(3)))
_norm_vector = np.array([0.3, -1.7, 0.9, 1.2])
fn(np.linalg.norm, call(R(4)), call(_norm_vector, 1), call(_norm_vector, np.inf),
   call(_norm_vector, -np.inf), call(_norm_vector, 3), call(_norm_vector, ord=0.5),
   call(_norm_vector, 0), call(R(2, 3)), call(R(2, 3), "fro"),
   call(distinct_spectrum_matrix(3, 3), "nuc"), call(distinct_spectrum_matrix(3, 2), 2),
   call(distinct_spectrum_matrix(2, 3), -2), call(R(2, 3), 1), call(R(2, 3), np.inf),
   call(R(3, 2), -1), call(R(3, 2), -np.inf), call(_cube, None, 1), call(_cube, 2, -1, True),
   call(_cube, 1, (2, 0)), call(_cube, "fro", (0, 1), True), call(_cube, None, (1, 2)),
   call(R(2, 3), axis=1, ord=np.inf))
fn(np.linalg.vector_norm, call(R(4)), call(_cube, axis=(0, 2)), call(_cube, axis=1, ord=1),
   call(_cube, axis=-1, keepdims=True, ord=3))
fn(np.linalg.matrix_norm, call(_cube), call(R(3, 2), ord=1), call(_cube, ord=np.inf),
   call(_cube, keepdims=True, ord="fro"))


# Python built-ins and math --------------------------------------------------------------------

fn(builtins.abs, call(0.7), call(-1.2), call(R(3)))
fn(builtins.max, call(0.3, 1.2, -0.5), call([0.3, 1.2, -0.5]), call((0.3, -1.2)), call(R(4)),
   call([R(3)[0], 0.5]), call([0.3, -1.2, 0.5], key=abs), call(0.3, 1.2, key=lambda v: -v))
fn(builtins.min, call(0.3, 1.2, -0.5), call([0.3, 1.2, -0.5]), call((0.3, -1.2)), call(R(4)))
fn(builtins.sum, call([R(3), R(2, 3)]), call([0.3, 1.2]), call((0.3, R(3))), call(R(3, 2)),
   call([R(3)], R(3)), call([0.5, 0.25], 1.5))
fn(builtins.pow, call(1.3, 2.1), call(P(3), 2.5), call(-1.3, 3))
fn(builtins.float, call(0.7), call(np.float64(0.7)), call(np.array(0.7)))
_math_points = {
    math.sqrt: (1.3, 0.2), math.exp: (0.4, -1.1), math.expm1: (0.4, -1.1), math.log: (1.3, 0.2),
    math.log1p: (0.4, -0.5), math.log2: (1.3, 0.2), math.log10: (1.3, 0.2),
    math.sin: (0.4, -2.0), math.cos: (0.4, -2.0), math.tan: (0.4, -1.0), math.asin: (0.4, -0.8),
    math.acos: (0.4, -0.8), math.atan: (0.4, -3.0), math.sinh: (0.4, -1.5),
    math.cosh: (0.4, -1.5), math.tanh: (0.4, -1.5), math.asinh: (0.4, -1.5),
    math.erf: (0.4, -1.5), math.erfc: (0.4, -1.5), math.fabs: (0.4, -1.5),
    math.degrees: (0.4,), math.radians: (0.4,), math.lgamma: (2.5, 0.7, 9.3, -0.5),
}
for primal, points in _math_points.items():
    fn(primal, *[call(p) for p in points])
fn(math.log, call(1.7, 3.0), call(0.4, 10.0))
fn(math.atan2, call(0.3, -0.7), call(-1.2, 0.4))
fn(math.fmod, call(5.3, 1.2), call(-5.3, 1.2), call(5.3, -1.7), call(0.4, 2.5))
fn(math.hypot, call(0.3, 0.4), call(0.3, -0.4, 1.2))
fn(math.pow, call(1.3, 2.2), call(-1.3, 3), call(0.5, 0.0))
fn(math.copysign, call(0.7, -1.0), call(-0.7, -2.0), call(0.7, 3.0))
fn(math.fsum, call([0.3, 1.2]), call((0.3, -1.2, 0.5)))
fn(math.prod, call([0.3, 1.2, -2.0]), call((0.3, 0.0, 1.5)))


# Methods and attributes -------------------------------------------------------------------

method("sum", *_axis_calls[2:], call(R(2, 3), 0, None, None, True))
method("mean", *_axis_calls[2:])
method("prod", *_axis_calls[2:], call(_one_zero, 1), call(_two_zeros))
method("max", *_axis_calls[2:])
method("min", *_axis_calls[2:])
method("var", *_axis_calls[2:], call(_cube, axis=1, ddof=1))
method("std", *_axis_calls[2:], call(_cube, 0, ddof=1))
method("cumsum", call(_cube), call(_cube, 1))
method("cumprod", call(_cube), call(_scan_zeros, 0))
method("reshape", call(R(2, 3), 3, 2), call(R(2, 3), (3, 2)), call(R(2, 3), -1),
       call(R(2, 3), (3, 2), order="F"))
method("ravel", call(R(2, 3)), call(R(2, 3), "F"))
method("flatten", call(R(2, 3)), call(R(2, 3), "F"))
method("squeeze", call(R(1, 3, 1)), call(R(1, 3, 1), 2))
method("transpose", call(R(2, 3)), call(_cube, 1, 2, 0), call(_cube, (2, 0, 1)))
method("swapaxes", call(_cube, 0, 2))
method("repeat", call(R(3), 2), call(R(2, 3), [2, 1], 0))
method("diagonal", call(R(3, 3)), call(R(3, 4), 1))
method("trace", call(R(3, 3)), call(_cube, 1, 1, 2))
method("copy", call(R(2, 3)))
method("astype", call(R(2, 3), np.float64))
method("item", call(R(1, 1)), call(R(2, 3), 4), call(R(2, 3), 1, 2), call(R(2, 3), (0, 1)))
method("tolist", call(R(2, 3)), call(R(3)))
method("clip", call(_clipped, -0.5, 0.5), call(_clipped, min=-0.2), call(_clipped, max=0.3))
method("conj", call(R(2, 3)))
method("conjugate", call(R(2, 3)))
method("dot", call(R(2, 3), R(3, 4)), call(R(3), R(3)))
method("take", call(R(5), [0, 2, 2]), call(R(3, 4), [3, 3], 1))
method("compress", call(R(3, 2), [True, False, True], 0))
method("choose", call(np.array([0, 1, 1]), [R(3), R(3)]))
method("reduce", call(np.add, R(2, 3)), call(np.add, _cube, 1), call(np.add, _cube, axis=None),
       call(np.add, R(2, 3), 0, None, None, True), call(np.multiply, _one_zero, 1),
       call(np.multiply, _two_zeros), call(np.maximum, _cube, (0, 2)), call(np.minimum, R(3)),
       call(np.fmax, R(2, 3), keepdims=True), call(np.fmin, R(3)),
       call(np.logaddexp, R(2, 3), 1), call(np.logaddexp2, R(4)),
       call(np.add, R(2, 3), where=_mask), cls=np.ufunc)
method("accumulate", call(np.add, R(2, 3)), call(np.add, R(2, 3), 1),
       call(np.multiply, _scan_zeros, 1), call(np.multiply, P(4)), cls=np.ufunc)
method("outer", call(np.add, R(3), R(2)), call(np.multiply, R(2, 2), R(3)),
       call(np.subtract, R(3), 0.5), call(np.power, P(3), R(2)), call(np.maximum, R(3), R(2)),
       call(np.arctan2, R(2), R(2, 1)), cls=np.ufunc)
attribute("T", call(R(2, 3)), call(_cube))
attribute("mT", call(R(2, 3)), call(_cube))
attribute("real", call(R(2, 3)))
attribute("imag", call(R(2, 3)))

_scalar = np.float64(0.7)
for _name, _calls in (("sum", [call(_scalar)]), ("mean", [call(_scalar)]),
                      ("prod", [call(_scalar)]), ("max", [call(_scalar)]),
                      ("min", [call(_scalar)]), ("reshape", [call(_scalar, (1, 1))]),
                      ("ravel", [call(_scalar)]), ("flatten", [call(_scalar)]),
                      ("squeeze", [call(_scalar)]), ("copy", [call(_scalar)]),
                      ("astype", [call(_scalar, np.float64)]), ("item", [call(_scalar)]),
                      ("tolist", [call(_scalar)]), ("conj", [call(_scalar)]),
                      ("conjugate", [call(_scalar)])):
    method(_name, *_calls, cls=np.generic)
for _name in ("real", "imag"):
    attribute(_name, call(_scalar), cls=np.generic)


# NumPy converts nested lists and tuples to arrays; their cotangents keep the nesting.
_list_calls = [
    (np.sum, call([0.3, 1.2, -0.5])), (np.sum, call([R(3), R(3)], 0)),
    (np.mean, call((0.3, R(3)[0]))), (np.max, call([0.3, 1.2, -0.5])),
    (np.add, call([0.5, 1.5, -0.3], R(2, 3))), (np.multiply, call((0.4, 1.1), R(2))),
    (np.exp, call([0.3, 1.2])), (np.dot, call([0.5, 1.0], R(2, 3))),
    (np.linalg.norm, call([0.3, 0.4])), (np.stack, call([[0.3, 0.4], R(2)])),
    (np.concatenate, call([[0.3, 0.4], (R(2)[0],)])),
    (np.where, call([True, False], [0.3, 0.4], 0.5)),
    (np.prod, call([[0.3, 0.4], [1.5, -2.0]], 1)), (np.matmul, call([[0.3, 0.4]], R(2, 2))),
]
for _primal, _call in _list_calls:
    fn(_primal, _call)


# The operator and container rules in zygote_py/rules/builtins.py have tests of their own.
TABLE_MODULES = {
    "zygote_py.rules.numpy_elementwise", "zygote_py.rules.numpy_reductions",
    "zygote_py.rules.numpy_shape", "zygote_py.rules.numpy_indexing",
    "zygote_py.rules.numpy_linalg", "zygote_py.rules.python_functions",
}


def registered_keys():
    """Return the names, as `python -m zygote_py.rules` lists them, of the rules defined in
    TABLE_MODULES."""
    keys = set()
    for primal, rule in registry._rules.items():
        if rule.__module__ in TABLE_MODULES and not isinstance(primal, tuple):
            keys.add(describe(primal))
    for (cls, name), rule in registry._method_rules.items():
        if rule.__module__ in TABLE_MODULES:
            keys.add(f"{cls.__name__}.{name}")
    for (cls, name), rule in registry._attribute_rules.items():
        if rule.__module__ in TABLE_MODULES:
            keys.add(f"{cls.__name__}.{name}")
    return keys


def table_calls():
    """Return `(entry, call)` pairs for every call in the table."""
    return [(entry, c) for entry in TABLE for c in entry.calls]
