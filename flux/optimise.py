"""Optimisation rules with Flux's default hyperparameters, and the two ways to apply them.

A rule is a pure object. `init(param)` returns a fresh state, and `apply(state, param, grad)`
returns `(new_state, step)` without changing its inputs. The caller then subtracts `step`
from the parameter. Hyperparameters are Python floats, so float32 parameters stay float32.

Implicit style: `update(opt, ps, gs)` with `ps = params(model)` and `gs` the `Grads` of
`zygote_py.gradient(f, ps)`; the state of each array lives in `opt`, keyed by the array's
identity. Explicit style: `state = setup(opt, model)`, then `update(state, model, grads)` with
the model's `Structural` gradient; the state is a tree shaped like the model.
"""

import copy
import dataclasses
import math

import numpy as np

from .functor import functor, trainable

__all__ = [
    "Rule", "Descent", "Momentum", "Nesterov", "RMSProp", "Adam", "AdamW", "RAdam", "AdaMax",
    "NAdam", "AMSGrad", "OAdam", "AdaGrad", "AdaDelta", "AdaBelief", "ClipValue", "ClipNorm",
    "WeightDecay", "ExpDecay", "InvDecay", "OptimiserChain", "Leaf", "setup", "update",
    "adjust", "freeze", "thaw",
]


class Rule:
    """Base class of optimisation rules."""

    def init(self, param):
        """Return the initial state for `param`."""
        return None

    def apply(self, state, param, grad):
        """Return `(new_state, step)`; the new parameter is `param - step`."""
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                           for f in dataclasses.fields(self))
        return f"{type(self).__name__}({fields})"


def _rule(cls):
    return dataclasses.dataclass(repr=False)(cls)


@_rule
class Descent(Rule):
    """Descent(eta=0.1): step = eta * grad."""
    eta: float = 0.1

    def apply(self, state, param, grad):
        return state, self.eta * grad


@_rule
class Momentum(Rule):
    """Momentum(eta=0.01, rho=0.9)

    `v = rho * v + eta * grad`; step = v.
    """
    eta: float = 0.01
    rho: float = 0.9

    def init(self, param):
        return np.zeros_like(param)

    def apply(self, state, param, grad):
        velocity = self.rho * state + self.eta * grad
        return velocity, velocity


@_rule
class Nesterov(Rule):
    """Nesterov(eta=0.001, rho=0.9)

    `v' = rho * v - eta * grad`; step = `-(rho^2 * v - (1 + rho) * eta * grad)`.
    """
    eta: float = 0.001
    rho: float = 0.9

    def init(self, param):
        return np.zeros_like(param)

    def apply(self, state, param, grad):
        step = (1 + self.rho) * self.eta * grad - self.rho * self.rho * state
        velocity = self.rho * state - self.eta * grad
        return velocity, step


@_rule
class RMSProp(Rule):
    """RMSProp(eta=0.001, rho=0.9, eps=1e-8; centred=False)

    `acc = rho * acc + (1 - rho) * grad^2`; step = `eta * grad / (sqrt(acc) + eps)`. With
    `centred=True` the running mean of the gradient is subtracted: `acc - mean^2`.
    """
    eta: float = 0.001
    rho: float = 0.9
    eps: float = 1e-8
    centred: bool = False

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param)

    def apply(self, state, param, grad):
        acc, mean = state
        acc = self.rho * acc + (1 - self.rho) * grad * grad
        if self.centred:
            mean = self.rho * mean + (1 - self.rho) * grad
            scale = acc - mean * mean
        else:
            scale = acc
        return (acc, mean), self.eta * grad / (np.sqrt(scale) + self.eps)


@_rule
class Adam(Rule):
    """Adam(eta=0.001, beta=(0.9, 0.999), eps=1e-8)

    `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`;
    step = `eta * m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps)` (Kingma and Ba, 2015).
    """
    eta: float = 0.001
    beta: tuple = (0.9, 0.999)
    eps: float = 1e-8

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param), 1.0, 1.0

    def apply(self, state, param, grad):
        m, v, b1t, b2t = state
        b1, b2 = self.beta
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        b1t, b2t = b1t * b1, b2t * b2
        step = self.eta * (m / (1 - b1t)) / (np.sqrt(v / (1 - b2t)) + self.eps)
        return (m, v, b1t, b2t), step


@_rule
class RAdam(Rule):
    """RAdam(eta=0.001, beta=(0.9, 0.999), eps=1e-8)

    Adam with the variance of the adaptive rate rectified (Liu et al., 2019). While the
    length of the approximated moving average `rho_t <= 4`, the step is plain momentum
    `eta * m / (1 - b1^t)`. Afterwards it is Adam's step times
    `r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))`.
    """
    eta: float = 0.001
    beta: tuple = (0.9, 0.999)
    eps: float = 1e-8

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param), 1.0, 1.0, 0

    def apply(self, state, param, grad):
        m, v, b1t, b2t, t = state
        b1, b2 = self.beta
        t += 1
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        b1t, b2t = b1t * b1, b2t * b2
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2t / (1 - b2t)
        if rho > 4:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            step = self.eta * r * (m / (1 - b1t)) / (np.sqrt(v / (1 - b2t)) + self.eps)
        else:
            step = self.eta * m / (1 - b1t)
        return (m, v, b1t, b2t, t), step


@_rule
class AdaMax(Rule):
    """AdaMax(eta=0.001, beta=(0.9, 0.999), eps=1e-8)

    Adam with the infinity norm: `u = max(b2 u, |g|)`; step = `eta / (1 - b1^t) * m / (u + eps)`.
    """
    eta: float = 0.001
    beta: tuple = (0.9, 0.999)
    eps: float = 1e-8

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param), 1.0

    def apply(self, state, param, grad):
        m, u, b1t = state
        b1, b2 = self.beta
        m = b1 * m + (1 - b1) * grad
        u = np.maximum(b2 * u, np.abs(grad))
        b1t = b1t * b1
        return (m, u, b1t), self.eta / (1 - b1t) * m / (u + self.eps)


@_rule
class NAdam(Rule):
    """NAdam(eta=0.001, beta=(0.9, 0.999), eps=1e-8)

    Adam with Nesterov momentum (Dozat, 2016): step =
    `eta * (b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)) / (sqrt(b2 v / (1 - b2^t)) + eps)`.
    """
    eta: float = 0.001
    beta: tuple = (0.9, 0.999)
    eps: float = 1e-8

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param), self.beta[0], self.beta[1]

    def apply(self, state, param, grad):
        m, v, b1t, b2t = state
        b1, b2 = self.beta
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        numerator = b1 * m / (1 - b1 * b1t) + (1 - b1) * grad / (1 - b1t)
        step = self.eta * numerator / (np.sqrt(v * b2 / (1 - b2t)) + self.eps)
        return (m, v, b1t * b1, b2t * b2), step


@_rule
class AMSGrad(Rule):
    """AMSGrad(eta=0.001, beta=(0.9, 0.999), eps=1e-8)

    Adam keeping the running maximum of `v` and no bias correction (Reddi et al., 2018):
    `vmax = max(vmax, v)`; step = `eta * m / (sqrt(vmax) + eps)`. The moments start at `eps`.
    """
    eta: float = 0.001
    beta: tuple = (0.9, 0.999)
    eps: float = 1e-8

    def init(self, param):
        start = np.full_like(param, self.eps)
        return start, start.copy(), start.copy()

    def apply(self, state, param, grad):
        m, v, vmax = state
        b1, b2 = self.beta
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        vmax = np.maximum(vmax, v)
        return (m, v, vmax), self.eta * m / (np.sqrt(vmax) + self.eps)


@_rule
class OAdam(Rule):
    """OAdam(eta=0.001, beta=(0.5, 0.9), eps=1e-8)

    Optimistic Adam (Daskalakis et al., 2018): with `a_t` Adam's step at time t, the step is
    `2 a_t - a_{t-1}`.
    """
    eta: float = 0.001
    beta: tuple = (0.5, 0.9)
    eps: float = 1e-8

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param), np.zeros_like(param), 1.0, 1.0

    def apply(self, state, param, grad):
        m, v, previous, b1t, b2t = state
        b1, b2 = self.beta
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        b1t, b2t = b1t * b1, b2t * b2
        current = self.eta * m / (1 - b1t) / (np.sqrt(v / (1 - b2t)) + self.eps)
        return (m, v, current, b1t, b2t), 2 * current - previous


@_rule
class AdaGrad(Rule):
    """AdaGrad(eta=0.1, eps=1e-8)

    `acc = acc + g^2`, starting at `eps`; step = `eta * g / (sqrt(acc) + eps)`.
    """
    eta: float = 0.1
    eps: float = 1e-8

    def init(self, param):
        return np.full_like(param, self.eps)

    def apply(self, state, param, grad):
        acc = state + grad * grad
        return acc, self.eta * grad / (np.sqrt(acc) + self.eps)


@_rule
class AdaDelta(Rule):
    """AdaDelta(rho=0.9, eps=1e-8)

    `acc = rho acc + (1 - rho) g^2`; step = `g sqrt(dacc + eps) / sqrt(acc + eps)`;
    `dacc = rho dacc + (1 - rho) step^2` (Zeiler, 2012). It has no learning rate.
    """
    rho: float = 0.9
    eps: float = 1e-8

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param)

    def apply(self, state, param, grad):
        acc, dacc = state
        acc = self.rho * acc + (1 - self.rho) * grad * grad
        step = grad * np.sqrt(dacc + self.eps) / np.sqrt(acc + self.eps)
        dacc = self.rho * dacc + (1 - self.rho) * step * step
        return (acc, dacc), step


@_rule
class AdaBelief(Rule):
    """AdaBelief(eta=0.001, beta=(0.9, 0.999), eps=1e-16)

    Adam with `s = b2 s + (1 - b2) (g - m)^2 + eps` in place of `v` (Zhuang et al., 2020):
    step = `eta * m / (1 - b1^t) / (sqrt(s / (1 - b2^t)) + eps)`.
    """
    eta: float = 0.001
    beta: tuple = (0.9, 0.999)
    eps: float = 1e-16

    def init(self, param):
        return np.zeros_like(param), np.zeros_like(param), 1.0, 1.0

    def apply(self, state, param, grad):
        m, s, b1t, b2t = state
        b1, b2 = self.beta
        m = b1 * m + (1 - b1) * grad
        deviation = grad - m
        s = b2 * s + (1 - b2) * deviation * deviation + self.eps
        b1t, b2t = b1t * b1, b2t * b2
        step = self.eta * (m / (1 - b1t)) / (np.sqrt(s / (1 - b2t)) + self.eps)
        return (m, s, b1t, b2t), step


@_rule
class ClipValue(Rule):
    """ClipValue(thresh=10): clamps every gradient entry to `[-thresh, thresh]`."""
    thresh: float = 10.0

    def apply(self, state, param, grad):
        return state, np.clip(grad, -self.thresh, self.thresh)


@_rule
class ClipNorm(Rule):
    """ClipNorm(thresh=10, p=2)

    Scales the gradient down to p-norm `thresh` when its p-norm is larger.
    """
    thresh: float = 10.0
    p: float = 2

    def apply(self, state, param, grad):
        norm = float(np.linalg.norm(np.ravel(grad), ord=self.p))
        if norm > self.thresh:
            return state, grad * (self.thresh / norm)
        return state, grad


@_rule
class WeightDecay(Rule):
    """WeightDecay(wd=0): step = grad + wd * param, an L2 penalty of `wd / 2 * |param|^2`."""
    wd: float = 0.0

    def apply(self, state, param, grad):
        return state, grad + self.wd * param


@_rule
class ExpDecay(Rule):
    """ExpDecay(eta=0.001, decay=0.1, decay_step=1000, clip=1e-4, start=1)

    step = `eta_t * grad`, where `eta_t` starts at `eta` and is multiplied by `decay` (but
    kept at or above `clip`) every `decay_step` updates after update `start`. Put it after a
    rule such as `Adam(1.0)` in an `OptimiserChain` to schedule that rule's learning rate.
    """
    eta: float = 0.001
    decay: float = 0.1
    decay_step: int = 1000
    clip: float = 1e-4
    start: int = 1

    def init(self, param):
        return 0, self.eta

    def apply(self, state, param, grad):
        n, eta = state
        n += 1
        if n > self.start and n % self.decay_step == 0:
            eta = max(eta * self.decay, self.clip)
        return (n, eta), eta * grad


@_rule
class InvDecay(Rule):
    """InvDecay(gamma=0.001): step = `grad / (1 + gamma * n)` at the n-th update, n from 0."""
    gamma: float = 0.001

    def init(self, param):
        return 0

    def apply(self, state, param, grad):
        return state + 1, grad * (1 / (1 + self.gamma * state))


class OptimiserChain(Rule):
    """OptimiserChain(*rules)

    Applies the rules in order, each to the previous rule's step:
    `OptimiserChain(ClipNorm(1.0), Adam())` clips the gradient, then takes Adam's step.
    """

    def __init__(self, *rules):
        for rule in rules:
            if not isinstance(rule, Rule):
                raise TypeError(f"OptimiserChain takes rules, got {rule!r}")
        self.rules = tuple(rules)

    def init(self, param):
        return tuple(rule.init(param) for rule in self.rules)

    def apply(self, state, param, grad):
        new_states = []
        step = grad
        for rule, rule_state in zip(self.rules, state):
            rule_state, step = rule.apply(rule_state, param, step)
            new_states.append(rule_state)
        return tuple(new_states), step

    def __eq__(self, other):
        return isinstance(other, OptimiserChain) and self.rules == other.rules

    def __repr__(self):
        return "OptimiserChain(" + ", ".join(repr(r) for r in self.rules) + ")"


def AdamW(eta=0.001, beta=(0.9, 0.999), decay=0.0):
    """AdamW(eta=0.001, beta=(0.9, 0.999), decay=0)

    Adam with weight decay (Loshchilov and Hutter, 2019), as Flux builds it:
    `OptimiserChain(Adam(1.0, beta), WeightDecay(decay), Descent(eta))`, so the step is
    `eta * (adam_direction + decay * param)`.
    """
    return OptimiserChain(Adam(1.0, beta), WeightDecay(decay), Descent(eta))


# ---------------------------------------------------------------------------------------
# Applying rules.


def _subtract_in_place(param, step, where):
    step = np.asarray(step)
    if step.shape != param.shape:
        raise ValueError(f"gradient of shape {step.shape} does not match the parameter "
                         f"{where} of shape {param.shape}")
    np.subtract(param, step, out=param, casting="unsafe")


def _densify(grad):
    dense = getattr(grad, "dense", None)
    if callable(dense) and not isinstance(grad, np.ndarray):
        return dense()
    return grad


class Leaf:
    """The optimiser state of one array in an explicit-style state tree."""

    __slots__ = ("rule", "state", "frozen")

    def __init__(self, rule, state, frozen=False):
        self.rule = rule
        self.state = state
        self.frozen = frozen

    def __repr__(self):
        flag = ", frozen" if self.frozen else ""
        return f"Leaf({self.rule!r}{flag})"


def setup(rule, model):
    """setup(rule, model) -> state tree

    Builds the optimiser state for every trainable floating-point array of `model`: a tree
    of dicts and tuples shaped like the model with a `Leaf` per array. An array reached twice
    (tied weights) gets one shared `Leaf`.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"setup needs an optimisation rule such as Adam(), got {rule!r}")
    cache = {}

    def build(node):
        if isinstance(node, np.ndarray):
            if not np.issubdtype(node.dtype, np.inexact):
                return None
            if id(node) not in cache:
                cache[id(node)] = (node, Leaf(rule, rule.init(node)))
            return cache[id(node)][1]
        children = trainable(node)
        if len(children) == 0:
            return None
        if isinstance(children, dict):
            return {k: build(v) for k, v in children.items()}
        return tuple(build(v) for v in children)

    return build(model)


def _grad_child(grad, key):
    if grad is None:
        return None
    if isinstance(grad, (tuple, list)):
        return grad[key] if isinstance(key, int) and key < len(grad) else None
    if isinstance(grad, dict):
        return grad.get(key)
    getter = getattr(grad, "__getitem__", None)
    if getter is not None and not isinstance(grad, np.ndarray):
        return grad[key]
    return getattr(grad, key, None)


def _collect(tree, node, grad, found, path):
    """Gather `(leaf, array, summed grad)` for every Leaf with a gradient."""
    if tree is None or grad is None:
        return
    if isinstance(tree, Leaf):
        grad = _densify(grad)
        entry = found.get(id(tree))
        if entry is None:
            found[id(tree)] = [tree, node, grad, path]
        else:
            entry[2] = entry[2] + grad
        return
    children, _ = functor(node)
    if isinstance(tree, dict):
        for key, subtree in tree.items():
            _collect(subtree, children[key], _grad_child(grad, key), found, f"{path}.{key}")
    else:
        for key, subtree in enumerate(tree):
            _collect(subtree, children[key], _grad_child(grad, key), found, f"{path}[{key}]")


def update(*args):
    """update(opt, ps, gs) or update(state, model, grads) -> (state, model)

    Implicit style: `opt` is a rule, `ps` a `zygote_py.Params` (or any iterable of arrays)
    and `gs` the matching `Grads`. Each array with a gradient changes in place, and arrays
    whose gradient is `None` are skipped. The state is kept in `opt` per array identity.

    Explicit style: `state` comes from `setup(opt, model)` and `grads` is the gradient of
    the model, a `Structural` or nested dicts and tuples of the same shape. The model's
    arrays change in place. Returns `(state, model)` in both styles.
    """
    if len(args) != 3:
        raise TypeError(f"update takes 3 arguments, got {len(args)}")
    first, second, third = args
    if isinstance(first, Rule):
        _update_implicit(first, second, third)
        return first, second
    found = {}
    _collect(first, second, third, found, "model")
    for leaf, param, grad, path in found.values():
        if leaf.frozen:
            continue
        leaf.state, step = leaf.rule.apply(leaf.state, param, grad)
        _subtract_in_place(param, step, path)
    return first, second


def _update_implicit(rule, ps, gs):
    states = rule.__dict__.setdefault("_implicit_state", {})
    for param in ps:
        grad = gs[param]
        if grad is None:
            continue
        grad = _densify(grad)
        key = id(param)
        if key not in states or states[key][0] is not param:
            states[key] = (param, rule.init(param))
        new_state, step = rule.apply(states[key][1], param, grad)
        states[key] = (param, new_state)
        _subtract_in_place(param, step, f"with shape {param.shape}")


def _with_eta(rule, eta):
    if isinstance(rule, OptimiserChain):
        return OptimiserChain(*(_with_eta(r, eta) for r in rule.rules))
    if dataclasses.is_dataclass(rule) and any(f.name == "eta" for f in dataclasses.fields(rule)):
        new = copy.copy(rule)
        new.eta = eta
        return new
    return rule


def adjust(tree, eta):
    """adjust(state, eta) -> state

    Sets the learning rate `eta` of every rule in a state tree from `setup`, in place, and
    returns the tree. Inside an `OptimiserChain` every rule with an `eta` changes. Given a
    rule instead of a state tree, returns a copy of the rule with the new `eta` that shares
    the implicit-style state of the old one.
    """
    if isinstance(tree, Rule):
        new = _with_eta(tree, eta)
        if "_implicit_state" in tree.__dict__:
            new.__dict__["_implicit_state"] = tree.__dict__["_implicit_state"]
        return new
    for leaf in _leaves(tree):
        leaf.rule = _with_eta(leaf.rule, eta)
    return tree


def _leaves(tree):
    found, seen = [], set()

    def walk(node):
        if isinstance(node, Leaf):
            if id(node) not in seen:
                seen.add(id(node))
                found.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, (tuple, list)):
            for v in node:
                walk(v)

    walk(tree)
    return found


def freeze(tree):
    """Stop `update` from changing the arrays under this part of a state tree."""
    for leaf in _leaves(tree):
        leaf.frozen = True
    return tree


def thaw(tree):
    """Undo `freeze` on this part of a state tree."""
    for leaf in _leaves(tree):
        leaf.frozen = False
    return tree
