"""The link between flux and the zygote_py compiler."""

import zygote_py


def custom_rule(primal):
    """Register the decorated function as the gradient rule of `primal` (zygote_py.adjoint).

    The rule takes `primal`'s arguments and returns `(y, back)`, where `back(dy)` returns one
    cotangent per positional argument.
    """
    return zygote_py.adjoint(primal)


def no_gradient(function):
    """Mark `function` as carrying no gradient: the compiler calls it as is and passes none back.

    Used for helpers with side effects (input checks, warnings, random masks) that must not be
    transformed. Returns `function` itself.
    """
    return zygote_py.non_differentiable(function)


def zygote_function(name):
    """Return `zygote_py.<name>`."""
    return getattr(zygote_py, name)


def params_type():
    """Return `zygote_py.Params`."""
    return zygote_py.Params
