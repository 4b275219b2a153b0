"""Extending zygote_py: custom rules and values that carry no gradient."""

from .rules import registry


def adjoint(fn):
    """Register the decorated function as the gradient rule of `fn`.

    The rule takes `fn`'s arguments and returns `(y, back)`, where `back(dy)` returns one
    gradient per positional argument (`None` for arguments without one). Functions compiled
    before the rule existed are transformed again on their next call.

        @adjoint(softplus)
        def softplus_rule(x):
            y = softplus(x)
            def softplus_back(dy):
                return (dy / (1 + np.exp(-x)),)
            return y, softplus_back
    """
    def register(rule):
        registry.override_rule(fn, rule)
        return rule

    return register


def non_differentiable(fn):
    """Mark `fn` so calls to it run as they are and pass no gradient; returns `fn`.

    This replaces any gradient rule `fn` has, including zygote_py's own.
    """
    registry.override_non_differentiable(fn)
    return fn


def dropgrad(x):
    """Return `x`; no gradient flows back through the result."""
    return x


def ignore(thunk):
    """Call `thunk()` and return its result; nothing inside it is differentiated."""
    return thunk()


registry.register_non_differentiable(dropgrad, ignore)
