"""Adjoints written straight into the generated code for the commonest arithmetic.

`x + c`, `x * c`, `x / c`, `x ** c`, `-x` for a number `c`, and `a + b`, `a - b`, `a * b`,
`a / b`, `a @ b` of two variables need no pullback closure: the forward pass runs the operator
as written (keeping operands the backward pass reads) and the backward pass is one runtime
call. `Reverse` mixes these methods in.
"""

import gast
import numpy as np

from .naming import OPERATOR_NAMES, const, load, runtime_attr, store
from ..rules import registry



def _assign(target, value):
    return gast.Assign(targets=[store(target)], value=value, type_comment=None)


def _call(func, *args):
    return gast.Call(func=func, args=list(args), keywords=[])


def _subscript(value, index):
    return gast.Subscript(value=value, slice=const(index), ctx=gast.Load())


def _number(node):
    """Return the value of a real number constant, or `None`."""
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    return None



def _binary(left, op, right):
    return gast.BinOp(left=left, op=op, right=right)


def _scalar_constant_adjoint(kind, g, constant):
    """Build the gradient of `x + c`, `x - c`, `c - x`, `-x`, `x * c` or `x / c` for a float `x`."""
    if kind in ("add", "sub"):
        return g
    if kind in ("neg", "rsub"):
        return _binary(g, gast.Mult(), const(-1))
    if kind == "mul":
        return _binary(g, gast.Mult(), const(constant))
    return _binary(g, gast.Mult(), const(1 / constant))


def _scalar_binary_adjoints(name, g, a, b):
    """Build the gradients of `a <name> b` for two floats as expressions `(da, db)`.

    They are the formulas of `binary_pullback`, so both paths give the same bits.
    """
    if name == "add":
        return g, g
    if name == "sub":
        return g, gast.UnaryOp(op=gast.USub(), operand=g)
    if name == "mul":
        return _binary(g, gast.Mult(), b), _binary(g, gast.Mult(), a)
    # -g * (a / b) / b rather than -g * a / (b * b), whose b * b overflows or underflows
    # for magnitudes where the gradient itself is finite.
    divided = _binary(_binary(gast.UnaryOp(op=gast.USub(), operand=g), gast.Mult(),
                              _binary(a, gast.Div(), b)), gast.Div(), b)
    return _binary(g, gast.Div(), b), divided


# The ufuncs whose adjoint is inlined, and whether it reads the output (else the input).
_INLINED_UFUNCS = {id(np.tanh): ("tanh", True), id(np.exp): ("exp", True),
                   id(np.sqrt): ("sqrt", True), id(np.sin): ("sin", False),
                   id(np.cos): ("cos", False), id(np.log): ("log", False)}


class InlineOperations:
    def inline_constant_operation(self, stmt, target, value):
        """Inline `x + c`, `x * c`, `x / c`, `x ** c` and `-x` for a number c.

        Their gradients need no pullback closure: a sum passes the gradient on, a product
        with a constant scales it, and a power reads only `x`.
        """
        if isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub):
            operand, constant, kind = value.operand, None, "neg"
        elif isinstance(value, gast.BinOp) and type(value.op) in (gast.Add, gast.Sub,
                                                                    gast.Mult, gast.Div,
                                                                    gast.Pow):
            left_constant = _number(value.left)
            right_constant = _number(value.right)
            if right_constant is not None and isinstance(value.left, gast.Name):
                operand, constant = value.left, right_constant
                kind = OPERATOR_NAMES[type(value.op)]
            elif left_constant is not None and isinstance(value.right, gast.Name) and \
                    type(value.op) in (gast.Add, gast.Sub, gast.Mult):
                operand, constant = value.right, left_constant
                kind = {gast.Add: "add", gast.Sub: "rsub", gast.Mult: "mul"}[type(value.op)]
            else:
                return None
        else:
            return None
        if not self.is_active(operand):
            return None
        if kind == "pow":
            return self.inline_power(stmt, target, operand, constant)

        if operand.id in self.float_names:
            return [stmt], self.adjoint(stmt, target, [operand], lambda g: self.accumulate_into(
                operand, _scalar_constant_adjoint(kind, load(g), constant), numeric=True))

        def body(g):
            gradient = load(g)
            if kind in ("sub", "add"):
                # Adding a number broadcasts nothing, so the gradient passes through as it is.
                passed = gradient
            elif kind in ("neg", "rsub"):
                passed = _call(runtime_attr("scaled"), gradient, const(-1))
            elif kind == "mul":
                passed = _call(runtime_attr("scaled"), gradient, const(constant))
            else:
                passed = _call(runtime_attr("scaled"), gradient, const(1 / constant))
            return self.accumulate_into(operand, passed)

        return [stmt], self.adjoint(stmt, target, [operand], body)

    def inline_power(self, stmt, target, operand, exponent):
        """`t = x ** c`: keep `x` (on the tape inside loops) for `c * x ** (c - 1)`."""
        saved = operand.id
        forward = [stmt]
        replay = []
        # A value assigned once (a parameter, a loop invariant) is still there for the
        # backward pass; anything reassigned is kept per iteration.
        if self.assign_counts.get(operand.id, 0) > 1 or operand.id == target:
            saved = self.namer.new(operand.id.lstrip("_") + "_saved")
            forward = [gast.copy_location(_assign(saved, load(operand.id)), stmt), stmt]
            forward += self.record(saved)
            replay = self.replay(saved)

        def body(g):
            if operand.id in self.float_names and exponent >= 1 and exponent == int(exponent):
                # c * x ** (c - 1) has no pole for c >= 1, so a float needs no special case.
                exponent_value = int(exponent)
                local = gast.BinOp(left=const(exponent_value), op=gast.Mult(), right=load(saved))
                if exponent_value != 2:
                    local = gast.BinOp(left=const(exponent_value), op=gast.Mult(), right=gast.BinOp(
                        left=load(saved), op=gast.Pow(), right=const(exponent_value - 1)))
                return self.accumulate_into(operand, gast.BinOp(left=load(g), op=gast.Mult(),
                                                                right=local), numeric=True)
            return self.accumulate_into(operand, _call(runtime_attr("power_scaled"), load(g),
                                                      load(saved), const(exponent)))

        return forward, replay + self.adjoint(stmt, target, [operand], body)

    def inline_binary_operation(self, stmt, target, value):
        """Inline `a + b`, `a - b`, `a * b`, `a / b` and `a @ b` of two variables.

        The forward pass runs the operator as written and keeps the operands (on the tape
        inside loops); the backward pass computes both gradients in one runtime call.
        """
        if not (isinstance(value, gast.BinOp) and type(value.op) in (
                gast.Add, gast.Sub, gast.Mult, gast.Div, gast.MatMult)
                and isinstance(value.left, gast.Name) and isinstance(value.right, gast.Name)):
            return None
        name = OPERATOR_NAMES[type(value.op)]
        # Two Python numbers need no broadcasting, and a sum or difference of them reads
        # neither operand in the backward pass.
        scalar = name != "matmul" and value.left.id in self.number_names \
            and value.right.id in self.number_names
        reads_operands = not scalar or name in ("mul", "truediv")
        forward = [stmt]
        saved = []
        replay = []
        for operand in (value.left, value.right):
            kept = operand.id
            if saved and operand.id == value.left.id:
                # `x * x` keeps x once.
                kept = saved[0]
            elif reads_operands and (self.assign_counts.get(operand.id, 0) > 1
                                     or operand.id == target):
                kept = self.namer.new(operand.id.lstrip("_") + "_saved")
                forward.insert(len(forward) - 1, gast.copy_location(
                    _assign(kept, load(operand.id)), stmt))
                forward += self.record(kept)
                replay = self.replay(kept) + replay
            saved.append(kept)

        if scalar:
            def scalar_body(g):
                left, right = _scalar_binary_adjoints(name, load(g), load(saved[0]),
                                                      load(saved[1]))
                return self.accumulate_into(value.left, left, numeric=True) + \
                    self.accumulate_into(value.right, right, numeric=True)

            return forward, replay + self.adjoint(stmt, target, [value.left, value.right],
                                                  scalar_body)

        def body(g):
            grads = self.namer.new("grads")
            needed = [const(self.is_active(operand)) for operand in (value.left, value.right)]
            out = [_assign(grads, _call(runtime_attr("binary_pullback"), const(name), load(g),
                                        load(saved[0]), load(saved[1]), *needed))]
            out += self.accumulate_into(value.left, _subscript(load(grads), 0))
            out += self.accumulate_into(value.right, _subscript(load(grads), 1))
            return out

        return forward, replay + self.adjoint(stmt, target, [value.left, value.right], body)

    def inline_ufunc(self, stmt, target, value):
        """Inline `np.tanh(x)`, `np.exp(x)`, `np.sqrt(x)`, `np.sin(x)`, `np.cos(x)`, `np.log(x)`.

        The derivative needs the output (tanh, exp, sqrt) or the input (sin, cos, log), which
        the forward pass keeps. The binding is checked once on entry (see `static_rule`).
        """
        if not (isinstance(value, gast.Call) and len(value.args) == 1 and not value.keywords
                and isinstance(value.args[0], gast.Name) and self.is_active(value.args[0])):
            return None
        primal = self.static_value(value.func)
        kind = _INLINED_UFUNCS.get(id(primal)) if primal is not None else None
        # A rule the user registered for the ufunc replaces the inlined adjoint.
        if kind is None or not registry.has_builtin_rule(primal):
            return None
        name, reads_output = kind
        self.static_rule(value.func)
        operand = value.args[0]

        keep = target if reads_output else operand.id
        kept = keep
        forward = [stmt]
        replay = []
        if self.assign_counts.get(keep, 0) > 1 or (not reads_output and keep == target):
            kept = self.namer.new(keep.lstrip("_") + "_saved")
            copy = gast.copy_location(_assign(kept, load(keep)), stmt)
            forward = forward + [copy] if reads_output else [copy] + forward
            forward += self.record(kept)
            replay = self.replay(kept)

        def body(g):
            return self.accumulate_into(operand, _call(runtime_attr("unary_pullback"),
                                                      const(name), load(g), load(kept)))

        return forward, replay + self.adjoint(stmt, target, [operand], body)

    def inline_subscript(self, stmt, target, value):
        """Inline `t = x[i]` for a local `x` assigned once and an index `i` or constant.

        The tape keeps the index and a shared marker rather than a closure per read, so a
        loop of reads allocates no objects that the garbage collector has to scan.
        """
        if not (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
                and self.is_active(value.value)):
            return None
        index = value.slice
        if not (isinstance(index, gast.Name) or (isinstance(index, gast.Constant)
                                                   and type(index.value) is int)):
            return None
        # The backward pass reads `x` again, so it must be a local assigned once: a global
        # or captured variable could be rebound between the two passes.
        array = value.value
        if self.assign_counts.get(array.id, 0) != 1 or array.id == target:
            return None

        back_name = self.namer.new(target.lstrip("_") + "_back")
        forward = [gast.copy_location(gast.Assign(
            targets=[gast.Tuple(elts=[store(target), store(back_name)], ctx=gast.Store())],
            value=_call(runtime_attr("subscript"), load(array.id), index),
            type_comment=None), stmt)]
        forward += self.record(back_name)
        replay = self.replay(back_name)
        saved_index = index
        # An index assigned more than once, or a loop position the reverse pass made up
        # (which has no count), is saved per read.
        if isinstance(index, gast.Name) and (self.assign_counts.get(index.id, 0) != 1
                                             or index.id == target):
            saved_name = self.namer.new(index.id.lstrip("_") + "_saved")
            forward.insert(0, gast.copy_location(_assign(saved_name, load(index.id)), stmt))
            forward += self.record(saved_name)
            replay = self.replay(saved_name) + replay
            saved_index = load(saved_name)

        def body(g):
            gradient = _call(runtime_attr("subscript_pullback"), load(back_name), load(g),
                             load(array.id), saved_index)
            return self.accumulate_into(array, gradient)

        return forward, replay + self.adjoint(stmt, target, [array], body,
                                              also_required=back_name)

