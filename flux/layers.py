"""Layers: Dense, Chain and the other building blocks, features first and batch last.

A layer is a callable object whose arrays are its parameters. An input of shape
`(features, batch)` gives an output of shape `(out_features, batch)`; a 1-D input is a single
observation. The `__call__` methods are plain Python and NumPy so that zygote_py can transform
their source: no in-place writes, and side effects (input checks, warnings, random masks) live
in helpers marked with `no_gradient` or given their own gradient rule.
"""

import logging
import math
import threading
import warnings

import numpy as np

from ._ad import custom_rule, no_gradient
from .activations import identity
from .initialisers import glorot_uniform, ones32, randn32, zeros32
from .show import Text, function_name, repr_layer, repr_short

__all__ = [
    "Layer", "Dense", "Chain", "activations", "SkipConnection", "Parallel", "Maxout", "Scale",
    "Bilinear", "Embedding", "Dropout", "flatten", "vcat",
]

logger = logging.getLogger(__name__)


class _Mode(threading.local):
    training = False


_mode = _Mode()


def set_training(flag):
    """Set whether layers in automatic mode (`active=None`) behave as in training."""
    previous = _mode.training
    _mode.training = bool(flag)
    return previous


class Layer:
    """Base class of flux layers: Flux-style printing and `params`-friendly traversal.

    Subclassing is optional, because every callable object with array attributes works as a
    layer. Subclasses print through `_repr_short` (one line) or `_show_children` (containers).
    """

    def __repr__(self):
        return repr_layer(self)


# ---------------------------------------------------------------------------------------
# Helpers called from __call__ methods; none of them is transformed by the compiler.

_warned_conversion = set()


@no_gradient
def _check_features(layer, x, expected):
    """Raise `ValueError` naming the layer unless `x` has `expected` rows along axis 0."""
    shape = np.shape(x)
    if len(shape) == 0 or shape[0] != expected:
        raise ValueError(f"{repr_short(layer)} expects an input with {expected} features "
                         f"along axis 0, but got an array of shape {shape}")
    return None


def _match_dtype(layer, weight, x):
    x = np.asarray(x)
    if x.dtype == weight.dtype or not np.issubdtype(weight.dtype, np.floating):
        return x
    if (np.issubdtype(x.dtype, np.floating) and x.dtype.itemsize > weight.dtype.itemsize
            and type(layer).__name__ not in _warned_conversion):
        _warned_conversion.add(type(layer).__name__)
        warnings.warn(f"{repr_short(layer)} has {weight.dtype} parameters but got a {x.dtype} "
                      f"input; converting the input to {weight.dtype}. Convert the data once "
                      f"beforehand (x.astype(np.{weight.dtype})) to avoid the copy on every call.",
                      stacklevel=4)
    return x.astype(weight.dtype)


@custom_rule(_match_dtype)
def _match_dtype_rule(layer, weight, x):
    original = np.asarray(x).dtype
    y = _match_dtype(layer, weight, x)

    def back(dy):
        return (None, None, np.asarray(dy).astype(original) if original.kind in "fc" else None)

    return y, back


@no_gradient
def _column_shape(n, ndim):
    """Return `(n, 1, ..., 1)` with `ndim` entries, to broadcast a vector along axis 0."""
    return (n,) + (1,) * max(ndim - 1, 0)


@no_gradient
def _flat_shape(shape):
    return (shape[0], math.prod(shape[1:]))


@no_gradient
def _unflat_shape(rows, shape):
    return (rows,) + tuple(shape[1:])


def _leading(a, ndim):
    """Reshape `a` to broadcast against an array of `ndim` dims by its leading axes."""
    return np.reshape(a, _pad_shape(np.shape(a), ndim))


@no_gradient
def _pad_shape(shape, ndim):
    return tuple(shape) + (1,) * max(ndim - len(shape), 0)


def _make_bias(bias, n, init):
    if bias is True:
        return init(n)
    if bias is False or bias is None:
        return None
    b = np.asarray(bias)
    if b.shape != (n,):
        raise ValueError(f"bias must have shape ({n},), got {b.shape}")
    return b


# ---------------------------------------------------------------------------------------


class Dense(Layer):
    """Dense(in, out, sigma=identity; init=glorot_uniform, bias=True)
    Dense(W, b=True, sigma=identity)

    A fully connected layer, `y = sigma(W @ x + b)`, with `W` of shape `(out, in)` and `b` of
    shape `(out,)`. The input is `(in,)`, `(in, batch)` or `(in, d2, ..., batch)`, and the
    output replaces `in` by `out`. Parameters are float32 unless an array `W` of another dtype
    is given; an input of a wider float dtype is converted, with one warning.

    Keywords: `init(out, in)` makes the weight (also accepted as `initW`); `initb(out)` makes
    the bias (zeros by default); `bias=False` omits the bias, which is then no parameter.

    Example: `Dense(64, 32, relu)(np.zeros((64, 5), np.float32)).shape` is `(32, 5)`.
    """

    def __init__(self, in_or_weight, out_or_bias=True, sigma=identity, *, init=None, initW=None,
                 initb=None, bias=True):
        if isinstance(in_or_weight, np.ndarray):
            weight = in_or_weight
            if weight.ndim != 2:
                raise ValueError(f"Dense needs a 2-D weight (out, in), got shape {weight.shape}")
            bias_spec = out_or_bias if bias is True else bias
        else:
            n_in, n_out = int(in_or_weight), int(out_or_bias)
            make_weight = init or initW or glorot_uniform
            weight = np.asarray(make_weight(n_out, n_in), dtype=np.float32)
            if weight.shape != (n_out, n_in):
                raise ValueError(f"init returned shape {weight.shape}, expected {(n_out, n_in)}")
            bias_spec = bias
        if not callable(sigma):
            raise TypeError(f"Dense activation must be callable, got {sigma!r}")
        out = weight.shape[0]
        make_bias = initb or (lambda n: np.zeros(n, dtype=weight.dtype))
        self.weight = weight
        self.bias = _make_bias(bias_spec, out, make_bias)
        self.sigma = sigma

    def __call__(self, x):
        _check_features(self, x, self.weight.shape[1])
        x = _match_dtype(self, self.weight, x)
        if np.ndim(x) > 2:
            flat = np.reshape(x, _flat_shape(np.shape(x)))
            y = np.reshape(self.weight @ flat, _unflat_shape(self.weight.shape[0], np.shape(x)))
        else:
            y = self.weight @ x
        if self.bias is not None:
            y = y + np.reshape(self.bias, _column_shape(self.bias.shape[0], np.ndim(y)))
        return self.sigma(y)

    def _repr_short(self):
        out, n_in = self.weight.shape
        text = f"Dense({n_in} => {out}"
        if self.sigma is not identity:
            text += f", {function_name(self.sigma)}"
        if self.bias is None:
            text += ", bias=False"
        return text + ")"


class Chain(Layer):
    """Chain(*layers) or Chain(name=layer, ...)

    Calls the layers in order, each on the previous one's output: `Chain(f, g)(x) == g(f(x))`.
    Any callable is a layer. Indexing by position or name returns a layer, slicing returns a
    Chain, and a named layer is also an attribute (`chain.encoder`). `activations(chain, x)`
    returns every intermediate output.

    Example: `Chain(Dense(64, 64, relu), Dense(64, 10))`.
    """

    def __init__(self, *layers, **named):
        if layers and named:
            raise TypeError("Chain takes either positional or named layers, not both")
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if named:
            self.names = tuple(named)
            layers = tuple(named.values())
        else:
            self.names = None
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Chain layer {i} is not callable: {layer!r}")
        self.layers = tuple(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, index):
        if isinstance(index, str):
            return self.layers[self._position(index)]
        if isinstance(index, slice):
            if self.names is None:
                return Chain(*self.layers[index])
            return Chain(**dict(zip(self.names[index], self.layers[index])))
        return self.layers[index]

    def _position(self, name):
        if self.names is None or name not in self.names:
            raise KeyError(f"Chain has no layer named {name!r}")
        return self.names.index(name)

    def __getattr__(self, name):
        names = self.__dict__.get("names")
        if names is not None and name in names:
            return self.__dict__["layers"][names.index(name)]
        raise AttributeError(f"'Chain' object has no attribute {name!r}")

    def _show_children(self):
        names = self.names or (None,) * len(self.layers)
        return "Chain", list(zip(names, self.layers))


def activations(chain, x):
    """activations(chain, x) -> tuple

    Returns the output of every layer of `chain` on `x`, the last being `chain(x)`.
    """
    outputs = []
    for layer in chain.layers:
        x = layer(x)
        outputs.append(x)
    return tuple(outputs)


class SkipConnection(Layer):
    """SkipConnection(layer, connection)

    Returns `connection(layer(x), x)`: with `np.add` a residual block, with `vcat` a
    concatenation along the feature axis.
    """

    def __init__(self, layer, connection):
        if not callable(layer) or not callable(connection):
            raise TypeError("SkipConnection needs a callable layer and connection")
        self.layers = layer
        self.connection = connection

    def __call__(self, x):
        return self.connection(self.layers(x), x)

    def _show_children(self):
        return "SkipConnection", [(None, self.layers),
                                  (None, Text(function_name(self.connection)))]


def vcat(*arrays):
    """Concatenate along axis 0, the feature axis (Julia's `vcat`)."""
    return np.concatenate(arrays, axis=0)


class Parallel(Layer):
    """Parallel(connection, *layers) or Parallel(connection, name=layer, ...)

    With one input, returns `connection(l1(x), l2(x), ...)`. With as many inputs as layers,
    layer `i` gets input `i`. A `connection` of `None` returns the tuple of outputs.

    Example: `Parallel(vcat, Dense(4, 2), Dense(4, 3))(x)` has 5 rows.
    """

    def __init__(self, connection, *layers, **named):
        if layers and named:
            raise TypeError("Parallel takes either positional or named layers, not both")
        if connection is not None and not callable(connection):
            raise TypeError(f"Parallel connection must be callable or None, got {connection!r}")
        self.connection = connection
        self.names = tuple(named) if named else None
        self.layers = tuple(named.values()) if named else tuple(layers)
        if not self.layers:
            raise ValueError("Parallel needs at least one layer")

    def __call__(self, x, *rest):
        if len(rest) == 0:
            outputs = tuple(layer(x) for layer in self.layers)
        elif len(rest) + 1 == len(self.layers):
            outputs = tuple(layer(v) for layer, v in zip(self.layers, (x,) + rest))
        else:
            raise ValueError(f"Parallel with {len(self.layers)} layers got {len(rest) + 1} "
                             "inputs; pass one input or one per layer")
        if self.connection is None:
            return outputs
        return self.connection(*outputs)

    def _show_children(self):
        names = self.names or (None,) * len(self.layers)
        name = "None" if self.connection is None else function_name(self.connection)
        return "Parallel", [(None, Text(name))] + list(zip(names, self.layers))


class Maxout(Layer):
    """Maxout(*layers) or Maxout(make_layer, n)

    Returns the elementwise maximum of the layers' outputs (Goodfellow et al., 2013). The
    second form calls `make_layer()` `n` times.

    Example: `Maxout(lambda: Dense(4, 3), 2)`.
    """

    def __init__(self, *args):
        if len(args) == 2 and isinstance(args[1], int) and not callable(args[1]):
            make_layer, n = args
            if n < 1:
                raise ValueError(f"Maxout needs n >= 1, got {n}")
            args = tuple(make_layer() for _ in range(n))
        if not args:
            raise ValueError("Maxout needs at least one layer")
        self.layers = tuple(args)

    def __call__(self, x):
        y = self.layers[0](x)
        for layer in self.layers[1:]:
            y = np.maximum(y, layer(x))
        return y

    def _show_children(self):
        return "Maxout", [(None, layer) for layer in self.layers]


class Scale(Layer):
    """Scale(*size, sigma=identity; bias=True, init=ones32) or Scale(scale, bias=True, sigma)

    Elementwise `sigma(scale * x + bias)`, with `scale` and `bias` of shape `size` aligned with
    the leading axes of `x`: `Scale(3)` scales each of 3 features of a `(3, batch)` input.
    """

    def __init__(self, *size, sigma=identity, bias=True, init=ones32):
        if len(size) >= 1 and isinstance(size[0], np.ndarray):
            scale = size[0]
            if len(size) > 1:
                bias = size[1]
            if len(size) > 2:
                sigma = size[2]
        else:
            scale = np.asarray(init(*size), dtype=np.float32)
        self.scale = scale
        if bias is True:
            self.bias = np.zeros(scale.shape, dtype=scale.dtype)
        elif bias is False or bias is None:
            self.bias = None
        else:
            self.bias = np.asarray(bias)
            if self.bias.shape != scale.shape:
                raise ValueError(f"Scale bias must have shape {scale.shape}, "
                                 f"got {self.bias.shape}")
        self.sigma = sigma

    def __call__(self, x):
        x = _match_dtype(self, self.scale, x)
        y = _leading(self.scale, np.ndim(x)) * x
        if self.bias is not None:
            y = y + _leading(self.bias, np.ndim(x))
        return self.sigma(y)

    def _repr_short(self):
        text = "Scale(" + ", ".join(str(d) for d in self.scale.shape)
        if self.sigma is not identity:
            text += f", {function_name(self.sigma)}"
        if self.bias is None:
            text += ", bias=False"
        return text + ")"


class Bilinear(Layer):
    """Bilinear(in1, in2, out, sigma=identity; init=glorot_uniform, bias=True)
    Bilinear((in1, in2), out, sigma=identity) or Bilinear(W, b=True, sigma=identity)

    `z[k] = sigma(sum_ij W[k, i, j] x[i] y[j] + b[k])` for each observation, with `W` of shape
    `(out, in1, in2)`. Called as `layer(x, y)`, `layer((x, y))` or `layer(x)` (then `y = x`);
    `x` is `(in1,)` or `(in1, batch)` and `y` likewise with `in2`.
    """

    def __init__(self, in1_or_weight, in2_or_bias=True, out=None, sigma=identity, *,
                 init=glorot_uniform, bias=True):
        if isinstance(in1_or_weight, np.ndarray):
            weight = in1_or_weight
            if weight.ndim != 3:
                raise ValueError(f"Bilinear needs a 3-D weight, got shape {weight.shape}")
            bias_spec = in2_or_bias if bias is True else bias
            if out is not None:
                sigma = out
        else:
            if isinstance(in1_or_weight, tuple):
                # Bilinear((in1, in2), out, sigma), the spelling of Flux's (in1, in2) => out.
                if out is not None:
                    sigma = out
                (in1, in2), n_out = in1_or_weight, in2_or_bias
            else:
                in1, in2, n_out = in1_or_weight, in2_or_bias, out
            in1, in2, n_out = int(in1), int(in2), int(n_out)
            weight = np.asarray(init(n_out, in1, in2), dtype=np.float32)
            bias_spec = bias
        self.weight = weight
        self.bias = _make_bias(bias_spec, weight.shape[0],
                               lambda n: np.zeros(n, dtype=weight.dtype))
        self.sigma = sigma

    def __call__(self, x, y=None):
        if y is None:
            if isinstance(x, tuple):
                x, y = x
            else:
                y = x
        n_out = self.weight.shape[0]
        in1 = self.weight.shape[1]
        in2 = self.weight.shape[2]
        _check_features(self, x, in1)
        _check_features(self, y, in2)
        x = _match_dtype(self, self.weight, x)
        y = _match_dtype(self, self.weight, y)
        single = np.ndim(x) == 1
        if single:
            x = np.reshape(x, (in1, 1))
            y = np.reshape(y, (in2, 1))
        batch = np.shape(x)[1]
        wy = np.reshape(np.reshape(self.weight, (n_out * in1, in2)) @ y, (n_out, in1, batch))
        z = np.sum(wy * np.reshape(x, (1, in1, batch)), axis=1)
        if self.bias is not None:
            z = z + np.reshape(self.bias, (n_out, 1))
        z = self.sigma(z)
        if single:
            return np.reshape(z, (n_out,))
        return z

    def _repr_short(self):
        n_out, in1, in2 = self.weight.shape
        text = f"Bilinear(({in1}, {in2}) => {n_out}"
        if self.sigma is not identity:
            text += f", {function_name(self.sigma)}"
        if self.bias is None:
            text += ", bias=False"
        return text + ")"


class Embedding(Layer):
    """Embedding(in, out; init=randn32)

    A lookup table of `in` vectors of length `out`, stored as `weight` of shape `(out, in)`.
    An integer index `i` (0-based) gives `weight[:, i]`; an integer array of shape `s` gives
    shape `(out, *s)`; a float one-hot matrix `(in, batch)` gives `weight @ x`.
    """

    def __init__(self, in_or_weight, out=None, *, init=randn32):
        if isinstance(in_or_weight, np.ndarray):
            self.weight = in_or_weight
        else:
            self.weight = np.asarray(init(int(out), int(in_or_weight)), dtype=np.float32)

    def __call__(self, x):
        if np.issubdtype(np.asarray(x).dtype, np.integer):
            _check_indices(self, x, self.weight.shape[1])
            return self.weight[:, x]
        _check_features(self, x, self.weight.shape[1])
        return self.weight @ _match_dtype(self, self.weight, x)

    def _repr_short(self):
        out, n_in = self.weight.shape
        return f"Embedding({n_in} => {out})"


@no_gradient
def _check_indices(layer, x, n):
    x = np.asarray(x)
    if x.size and (x.min() < 0 or x.max() >= n):
        raise IndexError(f"{repr_short(layer)} got index {x.min() if x.min() < 0 else x.max()}, "
                         f"outside 0..{n - 1}")
    return None


class Dropout(Layer):
    """Dropout(p; dims=None, rng=None, active=None)

    In training, zeroes each entry of the input with probability `p` and scales the rest by
    `1 / (1 - p)`; otherwise returns the input unchanged. `dims` (an int or tuple) draws one
    mask value per index along those axes, shared across the others. `active=None` means
    automatic: active inside `train`, inactive elsewhere; `trainmode` and `testmode` fix it.
    """

    _trainable = ()

    def __init__(self, p, *, dims=None, rng=None, active=None):
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout probability must be in [0, 1], got {p}")
        self.p = float(p)
        self.dims = dims
        self.rng = rng if rng is not None else np.random.default_rng()
        self.active = active

    def __call__(self, x):
        if not _dropout_active(self):
            return x
        return x * _dropout_mask(self, x)

    def _repr_short(self):
        text = f"Dropout({self.p:g}"
        if self.dims is not None:
            text += f", dims={self.dims}"
        return text + ")"


@no_gradient
def _dropout_active(layer):
    if layer.p == 0:
        return False
    if layer.active is None:
        return _mode.training
    return bool(layer.active)


@no_gradient
def _dropout_mask(layer, x):
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
    if layer.p == 1:
        return np.zeros(x.shape, dtype=dtype)
    if layer.dims is None:
        shape = x.shape
    else:
        dims = (layer.dims,) if isinstance(layer.dims, int) else tuple(layer.dims)
        dims = {d % x.ndim for d in dims}
        shape = tuple(n if axis in dims else 1 for axis, n in enumerate(x.shape))
    keep = layer.rng.random(shape) >= layer.p
    return (keep / (1 - layer.p)).astype(dtype)


def flatten(x):
    """flatten(x) reshapes `(d1, ..., dn, batch)` to `(d1 * ... * dn, batch)`."""
    return np.reshape(x, _flatten_shape(np.shape(x)))


@no_gradient
def _flatten_shape(shape):
    if len(shape) == 0:
        return (1, 1)
    return (math.prod(shape[:-1]), shape[-1])


def _register_constructor_rule(cls, fields):
    """Let `cls` be built inside a differentiated function from arrays that need gradients.

    `fields[i]` names the attribute that stores positional argument `i` as it is when that
    argument is an array, as `Dense(W, b)` stores `W` in `weight` and `b` in `bias`. The
    compiler cannot derive this itself because other fields (a bias made from `True`) are
    computed in `__init__`. Arrays passed by keyword get no gradient.
    """

    def rule(*args, **kwargs):
        layer = cls(*args, **kwargs)

        def back(dlayer):
            grads = [None] * len(args)
            if dlayer is None:
                return tuple(grads)
            for i, name in enumerate(fields[:len(args)]):
                if isinstance(args[i], np.ndarray) and name not in kwargs:
                    grads[i] = getattr(dlayer, name)
            return tuple(grads)

        return layer, back

    custom_rule(cls)(rule)


_register_constructor_rule(Dense, ("weight", "bias"))
_register_constructor_rule(Bilinear, ("weight", "bias"))
_register_constructor_rule(Scale, ("scale", "bias"))
