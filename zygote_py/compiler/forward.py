"""The forward-mode (JVP) transform.

Takes the same normalized function as reverse mode (after `fence`, `control_flow` and
`normalize`) and hands back a function with the original parameters plus a keyword-only
`__zp_tangents` dict (a tangent per parameter and per captured variable, by name). It runs
the original computation and carries a tangent `dx` beside every active variable `x`,
returning `(result, dresult)`. No tape is needed: control flow runs as written.

Because generated pullback code and rules are ordinary Python, this transform also applies to
them, which is how `hessian` differentiates a gradient (forward over reverse).
"""

import functools

import gast

from . import codegen, fence
from .activity import nested_free_names
from .naming import (FORWARD_RUNTIME, OPERATOR_NAMES, const, load, marker_name, runtime_attr,
                     store)
from .source import unwrap
from .syntax_tree import walk

TANGENTS = "__zp_tangents"



def _rt(attr):
    return runtime_attr(attr, FORWARD_RUNTIME)


def _assign(target, value):
    return gast.Assign(targets=[target if not isinstance(target, str) else store(target)],
                       value=value, type_comment=None)


def _pair(a, b):
    return gast.Tuple(elts=[store(a), store(b)], ctx=gast.Store())


def _call(func, *args):
    return gast.Call(func=func, args=list(args), keywords=[])


def _tuple(elts):
    return gast.Tuple(elts=list(elts), ctx=gast.Load())


class Forward:
    def __init__(self, parsed, namer, activity, params, free_names):
        # Forward mode over generated forward code meets a parameter of this name already.
        self.tangents_name = TANGENTS
        level = 1
        while self.tangents_name in params:
            level += 1
            self.tangents_name = f"{TANGENTS}{level}"
        self.parsed = parsed
        self.namer = namer
        self.activity = activity
        self.params = params
        self.free_names = free_names

    def tangent(self, atom):
        """Return the tangent of an atom: its `d` variable if active, else `None`."""
        if isinstance(atom, gast.Starred):
            return self.tangent(atom.value)
        if isinstance(atom, gast.Name) and self.activity.is_active_name(atom.id):
            if atom.id in self.params or atom.id in self.assigned or atom.id in self.free_names:
                return load(self.namer.gradient(atom.id))
        return const(None)

    def function(self, node):
        self.assigned = {n.id for n in walk(node) if isinstance(n, gast.Name)
                         and isinstance(n.ctx, gast.Store)}
        self.assigned |= {n.name for n in walk(node) if isinstance(n, gast.FunctionDef)}
        prologue = []
        for name in list(self.params) + sorted(self.free_names):
            if self.activity.is_active_name(name):
                prologue.append(_assign(self.namer.gradient(name), _call(
                    gast.Attribute(value=load(self.tangents_name), attr="get", ctx=gast.Load()),
                    const(name))))
        body = self.block(node.body)
        # A variable assigned in one branch only still has a tangent (None) everywhere, so
        # a closure or a later read never meets an unbound tangent.
        for name in sorted(self.assigned - set(self.params) - set(self.free_names)):
            if self.activity.is_active_name(name):
                prologue.append(_assign(self.namer.gradient(name), const(None)))
        args = node.args
        new_args = gast.arguments(
            args=args.args, posonlyargs=args.posonlyargs, vararg=args.vararg,
            kwonlyargs=args.kwonlyargs + [gast.Name(id=self.tangents_name, ctx=gast.Param(),
                                                   annotation=None, type_comment=None)],
            kw_defaults=args.kw_defaults + [None], kwarg=args.kwarg, defaults=args.defaults)
        stem = node.name if node.name != "<lambda>" else "lambda"
        for stmt in prologue:
            gast.copy_location(stmt, node)
        return gast.copy_location(gast.FunctionDef(
            name=stem + "_jvp", args=new_args, body=prologue + body, decorator_list=[],
            returns=None, type_comment=None, type_params=[]), node)

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for new in self.statement(stmt):
                out.append(gast.copy_location(new, stmt) if getattr(new, "lineno", None) is None
                           else new)
        return out

    def statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            return self.assignment(stmt)
        if isinstance(stmt, gast.If):
            return [gast.If(test=stmt.test, body=self.block(stmt.body) or [gast.Pass()],
                            orelse=self.block(stmt.orelse))]
        if isinstance(stmt, gast.While):
            return [gast.While(test=stmt.test, body=self.block(stmt.body), orelse=[])]
        if isinstance(stmt, gast.For):
            return self.for_loop(stmt)
        if isinstance(stmt, gast.Return):
            return [gast.Return(value=_tuple([stmt.value, self.tangent(stmt.value)]))]
        if isinstance(stmt, gast.FunctionDef):
            if not self.activity.is_active_name(stmt.name):
                return [stmt]
            return [stmt, _assign(self.namer.gradient(stmt.name), self.closure(stmt))]
        if isinstance(stmt, gast.Delete):
            for target in stmt.targets:
                if self.activity.is_active_name(target.id):
                    fence.reject(self.parsed, stmt, f"del of the variable {target.id!r}, "
                                 "which carries a gradient", "leave the variable in place")
        return [stmt]

    def closure(self, node):
        captured = sorted(n for n in nested_free_names(node) if self.activity.is_active_name(n))
        return _call(_rt("closure_tangent"), _tuple(const(n) for n in captured),
                     _tuple(self.tangent(load(n)) for n in captured))

    def for_loop(self, stmt):
        if not self.activity.is_active(stmt.iter):
            return [gast.For(target=stmt.target, iter=stmt.iter, body=self.block(stmt.body),
                             orelse=[], type_comment=None)]
        sequence = self.namer.new("seq")
        position = self.namer.new("k")
        dsequence = self.namer.gradient(sequence)
        target = stmt.target.id
        setup = _assign(_pair(sequence, dsequence),
                        _call(_rt("iterate"), stmt.iter, self.tangent(stmt.iter)))
        read = [_assign(target, gast.Subscript(value=load(sequence), slice=load(position),
                                               ctx=gast.Load())),
                _assign(self.namer.gradient(target), _call(_rt("tangent_item"), load(dsequence),
                                                           load(position)))]
        loop = gast.For(target=store(position),
                        iter=_call(load("range"), _call(load("len"), load(sequence))),
                        body=read + self.block(stmt.body), orelse=[], type_comment=None)
        return [setup, loop]

    def assignment(self, stmt):
        from .reverse import Reverse

        checks = []
        for check in Reverse.runtime_checks(self, stmt):
            check.func = _rt(check.func.attr)
            checks.append(gast.Expr(value=check))
        return checks + self.assignment_unchecked(stmt)

    def inplace_check(self, stmt):
        from .reverse import Reverse

        return Reverse.inplace_check(self, stmt)

    def assignment_unchecked(self, stmt):
        target = stmt.targets[0].id
        value = stmt.value
        dtarget = self.namer.gradient(target) if self.activity.is_active_name(target) else None
        marker = marker_name(value)
        if dtarget is None or not self.activity.is_active(value):
            if marker is not None:
                value = _call(_rt(marker), *self.marker_arguments(value))
                out = [_assign(_pair(target, self.namer.new("unused")), value)]
            else:
                out = [stmt]
            if dtarget is not None:
                out.append(_assign(dtarget, const(None)))
            return out
        if marker is not None:
            return [_assign(_pair(target, dtarget),
                            _call(_rt(marker), *self.marker_arguments(value)))]
        if isinstance(value, gast.Name):
            return [stmt, _assign(dtarget, self.tangent(value))]
        if isinstance(value, (gast.Tuple, gast.List)) and not any(
                isinstance(e, gast.Starred) for e in value.elts):
            kind = gast.Tuple if isinstance(value, gast.Tuple) else gast.List
            return [stmt, _assign(dtarget, kind(elts=[self.tangent(e) for e in value.elts],
                                                ctx=gast.Load()))]
        if isinstance(value, (gast.Tuple, gast.List)):
            kind = "tuple" if isinstance(value, gast.Tuple) else "list"
            flags = _tuple(const(isinstance(e, gast.Starred)) for e in value.elts)
            parts = [e.value if isinstance(e, gast.Starred) else e for e in value.elts]
            return [_assign(_pair(target, dtarget), _call(
                _rt("build_sequence"), const(kind), flags, _tuple(parts),
                _tuple(self.tangent(p) for p in parts)))]
        if isinstance(value, gast.Dict):
            keys = _tuple(const(None) if k is None else k for k in value.keys)
            return [_assign(_pair(target, dtarget), _call(
                _rt("build_dict"), keys, _tuple(value.values),
                _tuple(self.tangent(v) for v in value.values)))]
        if isinstance(value, gast.Lambda):
            return [stmt, _assign(dtarget, self.closure(value))]
        return [_assign(_pair(target, dtarget), self.operation(value))]

    def marker_arguments(self, call):
        """Marker calls take each operand followed by its tangent, keywords as a dict."""
        args = []
        for arg in call.args:
            args += [arg, self.tangent(arg)]
        keywords = gast.Dict(keys=[const(k.arg) for k in call.keywords],
                             values=[k.value for k in call.keywords])
        return args + [keywords]

    def operation(self, value):
        if isinstance(value, gast.BinOp):
            return _call(_rt("binary"), const(OPERATOR_NAMES[type(value.op)]), value.left,
                         value.right, self.tangent(value.left), self.tangent(value.right))
        if isinstance(value, gast.UnaryOp):
            return _call(_rt("unary"), const(OPERATOR_NAMES[type(value.op)]), value.operand,
                         self.tangent(value.operand))
        if isinstance(value, gast.Attribute):
            return _call(_rt("getattr"), value.value, self.tangent(value.value),
                         const(value.attr))
        if isinstance(value, gast.Subscript):
            from .reverse import _index_value

            return _call(_rt("getitem"), value.value, self.tangent(value.value),
                         _index_value(value.slice))
        if isinstance(value, gast.Call):
            return self.call(value)
        fence.reject(self.parsed, value, f"the expression {type(value).__name__}",
                     "assign it to a variable in a simpler form")

    def call(self, call):
        args = gast.Tuple(elts=list(call.args), ctx=gast.Load())
        dargs = gast.Tuple(elts=[gast.Starred(value=_call(_rt("starred_tangents"), a.value,
                                                          self.tangent(a.value)),
                                              ctx=gast.Load())
                                 if isinstance(a, gast.Starred) else self.tangent(a)
                                 for a in call.args], ctx=gast.Load())
        keywords = gast.Dict(keys=[None if k.arg is None else const(k.arg) for k in call.keywords],
                             values=[k.value for k in call.keywords])
        dkeywords = gast.Dict(keys=[None if k.arg is None else const(k.arg)
                                    for k in call.keywords],
                              values=[self.tangent(k.value) if k.arg is not None else _call(
                                  _rt("starred_keyword_tangents"), k.value, self.tangent(k.value))
                                  for k in call.keywords])
        func = call.func
        if isinstance(func, gast.Attribute) and self.activity.is_active(func.value):
            return _call(_rt("call_method"), func.value, self.tangent(func.value),
                         const(func.attr), args, dargs, keywords, dkeywords)
        return _call(_rt("call"), func, self.tangent(func), args, dargs, keywords, dkeywords)


class ForwardTransformed:
    def __init__(self, code, binding_cells, node, param_names, free_names, tangents_name):
        self.tangents_name = tangents_name
        self.code = code
        self.binding_cells = binding_cells
        self.node = node
        self.param_names = param_names
        self.free_names = free_names

    @functools.cached_property
    def source(self):
        return codegen.render(self.node)

    def bind(self, fn):
        return codegen.bind(self.code, self.binding_cells, fn)


def transform_forward(fn, runtime):
    """Return the `ForwardTransformed` JVP form of the Python function `fn`."""
    from .transform import front_end

    fn = unwrap(fn)
    front = front_end(fn)
    parsed, params = front.parsed, front.params
    free_names = set(fn.__code__.co_freevars) - {"__class__"}

    forward = Forward(parsed, front.namer, front.activity, params, free_names)
    generated = forward.function(front.normalized)
    node = parsed.node
    code, cells = codegen.build(generated, fn, {FORWARD_RUNTIME: runtime}, parsed.filename,
                                getattr(node, "lineno", None) or fn.__code__.co_firstlineno)
    return ForwardTransformed(code, cells, generated, params, free_names, forward.tangents_name)


def forward_source(fn):
    """Return the readable JVP code of `fn`."""
    from .cache import forward_transformed

    info, _ = forward_transformed(unwrap(fn))
    return info.source
