"""Forward rules of the reverse-mode runtime and of Python builtins.

The runtime helpers that generated pullback code calls are linear in the gradients they
carry, so their tangent is the same helper applied to the tangents; forward mode over a
pullback (how `hessian` works) relies on these rules.
"""

from . import containers, dispatch, namespace
from .accumulate import accumulate, densify
from .broadcast import unbroadcast
from .structures import Structural
from .forward_dispatch import (_all_none, _call_tangent_rule, call, getattr_, getitem,
                               register_forward_rule)


def _linear(fn, positions):
    """A forward rule for a function linear in the arguments at `positions`."""
    def linear_rule(args, dargs, kwargs):
        y = fn(*args, **kwargs)
        if all(dargs[i] is None for i in positions if i < len(dargs)):
            return y, None
        tangent_args = list(args)
        for i in positions:
            if i < len(tangent_args):
                tangent_args[i] = dargs[i] if i < len(dargs) else None
        return y, fn(*tangent_args, **kwargs)

    linear_rule.zp_linear = True
    return linear_rule


register_forward_rule(accumulate, _linear(accumulate, (0, 1)))


@register_forward_rule(namespace.accumulate_owned)
def _accumulate_owned_forward(args, dargs, kwargs):
    # The sum is linear in both gradients, and the tangents are added into new memory.
    a, b, owned = args
    da = dargs[0] if dargs else None
    db = dargs[1] if len(dargs) > 1 else None
    value = namespace.accumulate_owned(a, b, owned)
    if da is None and db is None:
        return value, None
    return value, (accumulate(da, db), None)
register_forward_rule(densify, _linear(densify, (0,)))
register_forward_rule(namespace.scaled, _linear(namespace.scaled, (0,)))
register_forward_rule(unbroadcast, _linear(unbroadcast, (0,)))
register_forward_rule(dispatch._pad, _linear(dispatch._pad, (0,)))
register_forward_rule(dispatch._to_call_site, _linear(dispatch._to_call_site, (1,)))
register_forward_rule(dispatch.match_gradient, _linear(dispatch.match_gradient, (0,)))
register_forward_rule(dispatch._dense, _linear(dispatch._dense, (0,)))
register_forward_rule(containers.sequence_cotangent, _linear(containers.sequence_cotangent, (0,)))
register_forward_rule(containers.dict_cotangent, _linear(containers.dict_cotangent, (0,)))
register_forward_rule(containers.field_cotangent, _linear(containers.field_cotangent, (0,)))
register_forward_rule(containers.closure_cotangent, _linear(containers.closure_cotangent, (1,)))
register_forward_rule(containers._dense, _linear(containers._dense, (0,)))


register_forward_rule(call, _call_tangent_rule)


def _sequence_rule(kind):
    def sequence_rule(args, dargs, kwargs):
        y = kind(*args)
        if not args or dargs[0] is None:
            return y, None
        return y, kind(densify(dargs[0]))

    sequence_rule.zp_linear = True
    return sequence_rule


register_forward_rule(tuple, _sequence_rule(tuple))
register_forward_rule(list, _sequence_rule(list))


@register_forward_rule(zip)
def _zip_rule(args, dargs, kwargs):
    y = list(zip(*args, **kwargs))
    if _all_none(dargs):
        return y, None
    columns = [densify(t) if t is not None else [None] * len(a) for a, t in zip(args, dargs)]
    return y, list(zip(*columns))


@register_forward_rule(enumerate)
def _enumerate_rule(args, dargs, kwargs):
    y = list(enumerate(*args, **kwargs))
    if dargs[0] is None:
        return y, None
    return y, [(None, t) for t in densify(dargs[0])]


@register_forward_rule(reversed)
def _reversed_rule(args, dargs, kwargs):
    y = list(reversed(args[0]))
    return y, None if dargs[0] is None else list(reversed(list(densify(dargs[0]))))


for _rule in (_zip_rule, _enumerate_rule, _reversed_rule):
    _rule.zp_linear = True


@register_forward_rule(namespace.implicit_accumulate)
def _implicit_accumulate_rule(args, dargs, kwargs):
    # Forward mode runs over a pullback only to differentiate a gradient (a gradient inside
    # `gradient`): the tangent of a parameter's gradient is then the outer gradient's share,
    # while the gradient itself belongs to the inner call and must not be collected.
    value = args[0]
    tangent = dargs[1] if len(dargs) > 1 else None
    if tangent is not None:
        namespace.implicit_accumulate(value, tangent)
    return None, None


@register_forward_rule(dispatch.getattr_)
def _getattr_runtime_rule(args, dargs, kwargs):
    obj, name = args
    value, dvalue = getattr_(obj, dargs[0], name)
    _, back = dispatch.getattr_(obj, name)
    return (value, back), (dvalue, None)


def _getitem_rule_forward(args, dargs, kwargs):
    from ..rules.builtins import getitem_rule

    x, index = args
    y, back = getitem_rule(x, index)
    value, dvalue = getitem(x, dargs[0], index)
    return (y, back), (dvalue, None)


def _subscript_forward(args, dargs, kwargs):
    from ..rules.builtins import FROM_OPERANDS, PLAIN_CONTAINERS

    x, index = args
    if type(x) not in PLAIN_CONTAINERS:
        return _getitem_rule_forward(args, dargs, kwargs)
    value, dvalue = getitem(x, dargs[0], index)
    return (value, FROM_OPERANDS), (dvalue, None)


def _subscript_pullback_forward(args, dargs, kwargs):
    from ..rules.builtins import FROM_OPERANDS, subscript_pullback

    back, dy, x, index = args
    dback = dargs[0] if dargs else None
    ddy = dargs[1] if len(dargs) > 1 else None
    if back is not FROM_OPERANDS:
        # The pullback of a class's own __getitem__: run it in forward mode.
        grads, dgrads = call(back, dback, (dy,), (ddy,), {}, {})
        return grads[0], (None if dgrads is None else dgrads[0])
    # The gradient is linear in dy, and x and index only give its structure.
    value = subscript_pullback(back, dy, x, index)
    return value, (None if ddy is None else subscript_pullback(back, ddy, x, index))


def _register_operator_rule_forwards():
    from ..rules import builtins as operator_rules

    register_forward_rule(operator_rules.getitem_rule, _getitem_rule_forward)
    register_forward_rule(operator_rules.subscript, _subscript_forward)
    register_forward_rule(operator_rules.subscript_pullback, _subscript_pullback_forward)


_register_operator_rule_forwards()




@register_forward_rule(Structural)
def _structural_rule(args, dargs, kwargs):
    # A Structural is linear in its fields, so its tangent contains the fields' tangents.
    value = Structural(*args, **kwargs)
    fields_tangent = dargs[0] if dargs else None
    if not fields_tangent:
        return value, None
    return value, Structural(fields_tangent, *args[1:2])
