"""The link between flux and the zygote_py compiler.

flux calls zygote_py through these helpers so that the parts of flux that need no gradient
(data loading, initialisers, printing) import and work even when zygote_py lacks a function.
"""

import zygote_py

_pending_rules = []


def zygote_function(name):
    """Return `zygote_py.<name>`, raising `ImportError` that names it when it is missing."""
    function = getattr(zygote_py, name, None)
    if function is None:
        raise ImportError(f"zygote_py.{name} is not available in the installed zygote_py; "
                          "flux needs it to compute gradients")
    return function


def custom_rule(primal):
    """Register the decorated function as the gradient rule of `primal`.

    The rule takes `primal`'s arguments and returns `(y, back)`, where `back(dy)` returns one
    cotangent per positional argument. When zygote_py has no `adjoint` yet, the registration
    waits until `register_pending_rules()` finds it.
    """
    def decorate(rule):
        adjoint = getattr(zygote_py, "adjoint", None)
        if adjoint is None:
            _pending_rules.append((primal, rule))
        else:
            adjoint(primal)(rule)
        return rule

    return decorate


def register_pending_rules():
    """Register the rules that were declared before zygote_py offered `adjoint`."""
    adjoint = zygote_function("adjoint")
    while _pending_rules:
        primal, rule = _pending_rules.pop()
        adjoint(primal)(rule)


def no_gradient(function):
    """Mark `function` as carrying no gradient: the compiler calls it and passes none back.

    Used for helpers with side effects (input checks, warnings, random masks) that must not be
    transformed. Returns `function` itself.
    """
    def rule(*args, **kwargs):
        result = function(*args, **kwargs)

        def back(dy):
            return (None,) * len(args)

        return result, back

    custom_rule(function)(rule)
    return function


def params_type():
    """Return `zygote_py.Params`."""
    return zygote_function("Params")
