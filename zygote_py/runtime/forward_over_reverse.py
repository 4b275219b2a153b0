"""Forward mode over the reverse-mode runtime: Hessians and gradients inside gradients.

Generated pullback code calls `__zp.call(f, x)`, which returns `(y, back)`. Forward mode over
that call runs the pullback form of `f` in forward mode, so `y` and the closure `back` both
get tangents; calling `back` later in forward mode then yields the tangent of the gradient,
a Hessian-vector product. The functions here are plain Python on purpose: forward mode can
transform them once more, which is how third and higher derivatives work.
"""

import types

from ..errors import MissingRuleError
from ..rules import registry
from . import dispatch
from .containers import closure_cotangent
from .forward_containers import closure_tangent
from .forward_dispatch import call, register_forward_rule


@registry.register_non_differentiable
def resolve_pullback(f):
    """Return `(kind, target, info)`: how `dispatch.call` would run `f`."""
    rule = registry.lookup_rule(f)
    if rule is not None:
        return "rule", rule, None
    if registry.is_non_differentiable(f):
        return "plain", None, None
    if isinstance(f, types.FunctionType):
        info, pullback = dispatch.transformed(f)
        return "python", pullback, info
    wrapped = getattr(f, "__zygote_function__", None)
    if wrapped is not None:
        return resolve_pullback(wrapped)
    if isinstance(f, types.MethodType) and not isinstance(f.__self__, type):
        return "receiver", f.__func__, f.__self__
    call_method_ = getattr(type(f), "__call__", None)
    if isinstance(call_method_, types.FunctionType) and not isinstance(f, type):
        return "receiver", call_method_, f
    return "unsupported", None, None


@registry.register_non_differentiable
def describe(f):
    return dispatch._describe(f)


def same_closure(pullback, f):
    """Return `pullback`, whose captured variables are `f`'s, so its tangent is `f`'s."""
    return pullback


register_forward_rule(same_closure, lambda args, dargs, kwargs: (args[0], dargs[1]))


def split_pair(tangent):
    """Return the tangents of a `(value, back)` pair, where `None` means neither has one."""
    if tangent is None:
        return None, None
    return tangent[0], tangent[1]


class FunctionBack:
    """The pullback of a compiled Python function, given the call's arguments."""

    def __init__(self, back, args, kwargs, info):
        self.back = back
        self.args = args
        self.kwargs = kwargs
        self.info = info

    def __call__(self, dy):
        grads = self.back(dy)
        if self.kwargs or self.info.has_varargs or len(self.args) != self.info.positional_count:
            return dispatch._to_call_site(self.info, grads, self.args, self.kwargs)
        matched = (dispatch.match_gradient(g, a) for g, a in zip(grads[1:], self.args))
        return (grads[0],) + tuple(matched)


class AttributeBack:
    """The pullback of a function stored on an object, sending its gradient to the field."""

    def __init__(self, back, name):
        self.back = back
        self.name = name

    def __call__(self, dy):
        grads = self.back(dy)
        dobj = None if grads[0] is None else closure_cotangent((self.name,), (grads[0],))
        return (dobj,) + tuple(grads[1:])


class DropFirst:
    """A pullback without its first entry (a method's function slot)."""

    def __init__(self, back):
        self.back = back

    def __call__(self, dy):
        return self.back(dy)[1:]


def pullback_form_jvp(f, df, fargs, dfargs, kwargs, dkwargs=None):
    """`dispatch.call(f, *fargs)` in forward mode: `((y, back), (dy, dback))`.

    `dkwargs` contains the tangents of the keyword arguments, where there are any.
    """
    dkwargs = dkwargs or {}
    kind, target, info = resolve_pullback(f)
    if kind == "plain":
        return (f(*fargs, **kwargs), None), None
    if kind == "receiver":
        # A bound method or a callable object: the plain function with the receiver first,
        # whose gradient is the callee's own.
        receiver = info
        return _drop_first(*pullback_form_jvp(target, None, (receiver,) + tuple(fargs),
                                              (df,) + tuple(dfargs), kwargs, dkwargs))
    if kind == "rule":
        return _rule_form_jvp(target, fargs, dfargs, kwargs, dkwargs)
    if kind == "python" and getattr(f, "__zygote_function__", None) is not None:
        return pullback_form_jvp(f.__zygote_function__, df, fargs, dfargs, kwargs, dkwargs)
    if kind == "python":
        # The pullback form reads the same captured variables as f, so f's closure tangent
        # is the pullback's too, at this level and (through same_closure) at the next.
        pullback = same_closure(target, f)
        pair, dpair = call(pullback, df, fargs, dfargs, kwargs, dkwargs)
        y, back = pair
        dy, dback = split_pair(dpair)
        wrapper = FunctionBack(back, fargs, kwargs, info)
        return (y, wrapper), (dy, closure_tangent(("back",), (dback,)))
    raise MissingRuleError(
        f"second derivatives through a call of {describe(f)} are not supported; call a "
        "plain Python function, or register a rule with @zygote_py.adjoint")


def _rule_form_jvp(rule, args, dargs, kwargs, dkwargs):
    """Run `rule` in forward mode, its pullback wrapped as `dispatch.call` wraps it."""
    pair, dpair = call(rule, None, args, dargs, kwargs, dkwargs)
    y, back = pair
    dy, dback = split_pair(dpair)
    wrapper = dispatch._rule_back(back, len(args), bool(kwargs))
    dwrapper = closure_tangent(("back", "count", "keywords"), (dback, None, None))
    return (y, wrapper), (dy, dwrapper)


def _drop_first(pair, dpair):
    """Wrap the pullback of a call with a receiver so it drops the receiver's entry."""
    y, back = pair
    dy, dback = split_pair(dpair)
    return (y, DropFirst(back)), (dy, closure_tangent(("back",), (dback,)))


def method_form_jvp(obj, dobj, name, margs, dmargs, kwargs, dkwargs=None):
    """`dispatch.call_method(obj, name, *margs)` in forward mode."""
    dkwargs = dkwargs or {}
    kind, target = resolve_method(obj, name)
    args, dargs = (obj,) + tuple(margs), (dobj,) + tuple(dmargs)
    if kind == "rule":
        return _drop_first(*_rule_form_jvp(target, args, dargs, kwargs, dkwargs))
    if kind == "python":
        return _drop_first(*pullback_form_jvp(target, None, args, dargs, kwargs, dkwargs))
    if kind == "attribute":
        # A function stored on the object (`self.activation(x)`): its own gradient, if
        # any, belongs to that field of the object.
        pair, dpair = pullback_form_jvp(target, None, margs, dmargs, kwargs, dkwargs)
        y, back = pair
        dy, dback = split_pair(dpair)
        return (y, AttributeBack(back, name)), (dy, closure_tangent(("back",), (dback,)))
    raise MissingRuleError(f"second derivatives through the method {describe(obj)}.{name} "
                           "are not supported")


@registry.register_non_differentiable
def resolve_method(obj, name):
    """Return `(kind, target)`: a method rule, or the plain function behind `obj.name`."""
    rule = registry.lookup_method_rule(type(obj), name)
    if rule is not None and not registry.is_non_differentiable_method(rule):
        return "rule", rule
    attribute = getattr(obj, name)
    if getattr(attribute, "__self__", None) is obj and hasattr(attribute, "__func__"):
        return "python", attribute.__func__
    if name in getattr(obj, "__dict__", {}) and callable(attribute):
        return "attribute", attribute
    return "unsupported", None


def _arrange_call(args, dargs, kwargs):
    args = tuple(args) if args is not None else (None,)
    dargs = tuple(dargs) if dargs is not None else (None,) * len(args)
    return (args[0], dargs[0], args[1:], dargs[1:], kwargs)


def _call_rule(args, dargs, kwargs, dkwargs=None):
    return pullback_form_jvp(*_arrange_call(args, dargs, kwargs), dkwargs)


_call_rule.zp_keyword_tangents = True


register_forward_rule(dispatch.call, _call_rule, python_form=(pullback_form_jvp, _arrange_call))


def _arrange_masked_call(args, dargs, kwargs):
    # The mask only saves work in reverse mode; forward mode over it runs the full call.
    args = tuple(args) if args is not None else (None, None)
    dargs = tuple(dargs) if dargs is not None else (None,) * len(args)
    return _arrange_call(args[1:], dargs[1:], kwargs)


def _masked_call_rule(args, dargs, kwargs, dkwargs=None):
    return pullback_form_jvp(*_arrange_masked_call(args, dargs, kwargs), dkwargs)


_masked_call_rule.zp_keyword_tangents = True


register_forward_rule(dispatch.call_masked, _masked_call_rule,
                      python_form=(pullback_form_jvp, _arrange_masked_call))


def _arrange_method(args, dargs, kwargs):
    args = tuple(args) if args is not None else (None, None)
    dargs = tuple(dargs) if dargs is not None else (None,) * len(args)
    return (args[0], dargs[0], args[1], args[2:], dargs[2:], kwargs)


def _method_rule(args, dargs, kwargs, dkwargs=None):
    return method_form_jvp(*_arrange_method(args, dargs, kwargs), dkwargs)


_method_rule.zp_keyword_tangents = True


register_forward_rule(dispatch.call_method, _method_rule,
                      python_form=(method_form_jvp, _arrange_method))


def gradient_and_tangent(f, df, args, tangents):
    """Return the gradient of `f` at `args` (captured variables first) and its tangent."""
    from ..api import _seed

    pair, dpair = pullback_form_jvp(f, df, args, tangents, {})
    y, back = pair
    dy, dback = split_pair(dpair)
    seed = _seed(y, f)
    grads, dgrads = call(back, dback, (seed,), (None,), {}, {})
    if dgrads is None:
        dgrads = (None,) * len(grads)
    return grads, dgrads


def gradient_jvp(f, df, args, tangents):
    """`gradient(f, *args)` in forward mode: the gradient and its tangent."""
    from ..api import _finish

    grads, dgrads = gradient_and_tangent(f, df, args, tangents)
    value = tuple(_finish(g, a) for g, a in zip(grads[1:], args))
    tangent = tuple(_finish(d, a) for d, a in zip(dgrads[1:], args))
    return value, tangent


def register_gradient_forward_rule(gradient):
    def gradient_rule(args, dargs, kwargs):
        return gradient_jvp(*_arrange_call(args, dargs, kwargs)[:4])

    def arrange(args, dargs, kwargs):
        return _arrange_call(args, dargs, kwargs)[:4]

    register_forward_rule(gradient, gradient_rule, python_form=(gradient_jvp, arrange))

