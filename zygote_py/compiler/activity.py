"""Activity analysis: which variables may carry a gradient.

Takes the normalized body, the parameter names and a resolver for names that are not local,
and hands back the set of active names. A name is active when some assignment to it reads
an active name through an operation that can carry a gradient. The analysis is
flow-insensitive (one result per name) and iterates to a fixed point, so values carried
around a loop are handled. Inactive statements run untouched and get no adjoint.

Sources: every parameter, every free variable, and every global whose current value could
hold an array (not a module, class, builtin, number, string or plain function without a
closure). Results that never carry a gradient: comparisons, `not`, `~`, f-strings, lambdas
without active captured names, and reads of `.shape`, `.dtype`, `.ndim`, `.size`.
"""

import numbers
import types

import gast
import numpy as np

from .naming import MARKER
from .syntax_tree import walk

INACTIVE_ATTRIBUTES = frozenset({"shape", "dtype", "ndim", "size", "itemsize", "nbytes",
                                 "__class__", "__name__", "strides", "flags", "training"})

_INACTIVE_TYPES = (types.ModuleType, type, types.BuiltinFunctionType, np.ufunc, str, bytes,
                   bool, numbers.Integral, type(None), type(Ellipsis), np.dtype)


def is_inactive_value(value):
    """Return whether a global or captured value can never carry or reach a gradient."""
    if isinstance(value, _INACTIVE_TYPES):
        return True
    if isinstance(value, types.FunctionType) and value.__closure__ is None:
        return True
    return False


def loaded_names(node):
    return {n.id for n in walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def nested_free_names(node):
    """Return the names a nested `def` or lambda reads from its enclosing scope."""
    params = {a.id for a in walk(node.args) if isinstance(a, gast.Name)}
    stored = {n.id for n in walk(node) if isinstance(n, gast.Name)
              and isinstance(n.ctx, gast.Store)}
    stored |= {n.name for n in walk(node) if isinstance(n, gast.FunctionDef) and n is not node}
    body = node.body if isinstance(node.body, list) else [node.body]
    loads = set()
    for stmt in body:
        loads |= loaded_names(stmt)
    defaults = set()
    for default in list(node.args.defaults) + [d for d in node.args.kw_defaults if d is not None]:
        defaults |= loaded_names(default)
    return (loads - params - stored) | defaults


class Activity:
    def __init__(self, params, local_names, resolve, inactive=()):
        self.active = set(params)
        self.local_names = local_names
        self.resolve = resolve
        self.sources = set(params)
        self.inactive = set(inactive)

    def is_active_name(self, name):
        if name in self.active:
            return True
        if name in self.local_names or name == MARKER or name in self.inactive:
            return False
        found, value = self.resolve(name)
        if found and is_inactive_value(value):
            return False
        self.active.add(name)
        self.sources.add(name)
        return True

    def is_active(self, node):
        """Return whether the value of an atom or operation may carry a gradient."""
        if node is None or isinstance(node, gast.Constant):
            return False
        if isinstance(node, gast.Name):
            return self.is_active_name(node.id)
        if isinstance(node, gast.Starred):
            return self.is_active(node.value)
        if isinstance(node, (gast.Compare, gast.JoinedStr, gast.Set)):
            return False
        if isinstance(node, gast.UnaryOp):
            if isinstance(node.op, (gast.Not, gast.Invert)):
                return False
            return self.is_active(node.operand)
        if isinstance(node, gast.BinOp):
            return self.is_active(node.left) or self.is_active(node.right)
        if isinstance(node, gast.Attribute):
            if node.attr in INACTIVE_ATTRIBUTES:
                return False
            return self.is_active(node.value)
        if isinstance(node, gast.Subscript):
            return self.is_active(node.value)
        if isinstance(node, (gast.Tuple, gast.List)):
            return any(self.is_active(e) for e in node.elts)
        if isinstance(node, gast.Dict):
            return any(self.is_active(v) for v in node.values)
        if isinstance(node, gast.Call):
            return self.call_is_active(node)
        if isinstance(node, (gast.Lambda, gast.FunctionDef)):
            return any(self.is_active_name(n) for n in nested_free_names(node))
        return False

    def call_is_active(self, call):
        func = call.func
        if isinstance(func, gast.Name) and func.id not in self.local_names:
            found, value = self.resolve(func.id)
            if found and _never_differentiable(value):
                return False
        operands = list(call.args) + [k.value for k in call.keywords]
        if any(self.is_active(a) for a in operands):
            return True
        if isinstance(func, gast.Attribute):
            return self.is_active(func.value)
        return self.is_active(func)

    def run(self, body):
        while True:
            before = len(self.active)
            self._visit(body)
            if len(self.active) == before:
                return self.active

    def _visit(self, stmts):
        for stmt in stmts:
            if isinstance(stmt, gast.Assign):
                target = stmt.targets[0].id
                if target not in self.active and self.is_active(stmt.value):
                    self.active.add(target)
            elif isinstance(stmt, gast.FunctionDef):
                if stmt.name not in self.active and self.is_active(stmt):
                    self.active.add(stmt.name)
            elif isinstance(stmt, gast.If):
                self._visit(stmt.body)
                self._visit(stmt.orelse)
            elif isinstance(stmt, (gast.For, gast.While)):
                if isinstance(stmt, gast.For) and self.is_active(stmt.iter):
                    self.active.add(stmt.target.id)
                self._visit(stmt.body)


def needed_names(body):
    """Return the names whose gradient can reach the function's result.

    Only the returned value is differentiated, so a value that only feeds a loop or branch
    test (`while abs(x * x - a) > tol`) needs no pullback. A name is needed if some needed
    assignment reads it; a needed closure needs what it captures.
    """
    assignments = []
    seeds = set()
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, gast.Assign):
            assignments.append((stmt.targets[0].id, _read_names(stmt.value)))
            if getattr(stmt, "zp_discarded", False):
                seeds.add(stmt.targets[0].id)
        elif isinstance(stmt, gast.FunctionDef):
            assignments.append((stmt.name, nested_free_names(stmt)))
        elif isinstance(stmt, gast.Return) and isinstance(stmt.value, gast.Name):
            seeds.add(stmt.value.id)
        elif isinstance(stmt, gast.For):
            assignments.append((stmt.target.id, _read_names(stmt.iter)))
        for field in ("body", "orelse"):
            if not isinstance(stmt, gast.FunctionDef):
                stack.extend(getattr(stmt, field, []) or [])
    needed = set(seeds)
    while True:
        before = len(needed)
        for target, reads in assignments:
            if target in needed:
                needed |= reads
        if len(needed) == before:
            return needed


def _read_names(node):
    if isinstance(node, (gast.Lambda, gast.FunctionDef)):
        return nested_free_names(node)
    names = set()
    for child in walk(node):
        if isinstance(child, gast.Name) and isinstance(child.ctx, gast.Load):
            names.add(child.id)
        elif isinstance(child, gast.Lambda):
            names |= nested_free_names(child)
    return names


def _never_differentiable(value):
    from ..rules import registry

    return registry.is_non_differentiable(value)
