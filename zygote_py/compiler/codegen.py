"""Render, compile and bind generated functions.

Takes a generated gast `FunctionDef`, the user function it came from and the runtime objects
it refers to, and hands back a Python function that shares the user function's globals and
closure cells, so globals and captured variables are read live on every call. The code is
compiled from the AST with the user's file name and line numbers, so a traceback from the
forward pass points at the user's own line; the readable rendering (with `# grad of:`
comments) is what `source()` prints, and it is registered in `linecache` under its own name.
"""

import ast
import itertools
import linecache
import re
import types

import astunparse
import gast

from . import source
from .naming import FUNCTION_CELL

_counter = itertools.count()
_COMMENT = re.compile(r"^(\s*)(?:'|\")__zp_comment__(.*)(?:'|\")\s*$", re.MULTILINE)


def render(node):
    """Return readable Python source for a generated function."""
    tree = gast.gast_to_ast(gast.Module(body=[node], type_ignores=[]))
    text = astunparse.unparse(tree).strip("\n") + "\n"
    return _COMMENT.sub(lambda m: f"{m.group(1)}# {_unescape(m.group(2))}", text)


def _unescape(text):
    return text.replace("\\'", "'").replace('\\"', '"')


def build(node, user_fn, bindings, filename, first_line):
    """Compile `node`; return its code object and the cells of its extra free names.

    `bindings` maps extra free names (the runtime module, rules) to their values; `bind`
    then makes a function that also shares `user_fn`'s globals and closure cells.
    """
    user_code = user_fn.__code__
    free_names = list(dict.fromkeys(list(user_code.co_freevars) + list(bindings) +
                                    [FUNCTION_CELL]))
    factory_args = gast.arguments(
        args=[gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)
              for n in free_names],
        posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    # Reading every name once makes each of them a free variable of the inner function.
    touch = [gast.Expr(value=gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None))
             for n in free_names]
    inner_touch = gast.If(test=gast.Constant(value=False, kind=None), body=touch, orelse=[])
    node.body.insert(0, inner_touch)
    factory = gast.FunctionDef(name="__zp_factory", args=factory_args,
                               body=[node, gast.Return(value=gast.Name(
                                   id=node.name, ctx=gast.Load(), annotation=None,
                                   type_comment=None))],
                               decorator_list=[], returns=None, type_comment=None,
                               type_params=[])
    # The `# grad of:` markers are constant expression statements, which CPython's compiler
    # drops, so they need no stripping here.
    module = ast.Module(body=[_Converter(first_line).convert(factory)], type_ignores=[])
    code = compile(module, filename, "exec")
    node.body.pop(0)

    factory_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner_code = next(c for c in factory_code.co_consts
                      if isinstance(c, types.CodeType) and c.co_name == node.name)
    binding_cells = {name: types.CellType(value) for name, value in bindings.items()}
    _remember_generated(node, inner_code, filename)
    return inner_code, binding_cells


def _remember_generated(node, code, filename):
    """Keep the AST of generated functions so they can be transformed again."""
    # The generated `back` functions sit in the top level of the generated body.
    nodes = {n.name: n for n in node.body if isinstance(n, gast.FunctionDef)
             and getattr(n, "zp_generated", False)}
    nodes[node.name] = node
    generated_names = set(nodes)
    stack = [code]
    while stack:
        current = stack.pop()
        if current.co_name in generated_names and current.co_name in nodes:
            # Stored as is: nothing changes a generated AST after compilation, and
            # parse_function copies it before a transform.
            source.remember(current, nodes[current.co_name], filename)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))


def bind(inner_code, binding_cells, user_fn):
    """Make a function of `inner_code` that reads `user_fn`'s globals and closure cells."""
    cells = dict(zip(user_fn.__code__.co_freevars, user_fn.__closure__ or ()))
    cells.update(binding_cells)
    # A pullback form reaches the function it was bound to through this cell. A form that
    # is transformed again keeps the cell it already has.
    cells.setdefault(FUNCTION_CELL, types.CellType(user_fn))
    closure = tuple(cells[name] for name in inner_code.co_freevars)
    fn = types.FunctionType(inner_code, user_fn.__globals__, inner_code.co_name,
                            user_fn.__defaults__, closure)
    fn.__kwdefaults__ = user_fn.__kwdefaults__
    # The user's name, so that a call with the wrong arguments reads like a call of user_fn.
    fn.__qualname__ = user_fn.__qualname__
    return fn


def register_source(text, qualname):
    """Put rendered source in `linecache` so tools can show it; return its file name."""
    name = f"<zygote_py {qualname} #{next(_counter)}>"
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    return name


_CONTEXTS = {gast.Load: ast.Load(), gast.Store: ast.Store(), gast.Del: ast.Del()}
_POSITIONED = (gast.stmt, gast.expr, gast.excepthandler, gast.keyword, gast.alias, gast.Slice)
_STATELESS = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)


# Per gast class: the ast class, its fields, and whether it takes a source position.
_PLANS = {}
_LEAF_TYPES = frozenset({str, int, float, bool, bytes, complex})


def _plan(kind):
    target = getattr(ast, kind.__name__)
    if issubclass(kind, _STATELESS):
        # Contexts and operators carry no data, so one instance serves every use, as in
        # the trees ast.parse builds.
        return target(), None, False
    return target, target._fields, issubclass(kind, _POSITIONED)


class _Converter:
    """Convert gast to ast in one pass, filling in missing source positions.

    A generated node without a position takes the position of the node before it, so
    tracebacks still point at the user's line. This replaces `gast.gast_to_ast` followed by
    a separate location pass, which cost half of a transform.
    """

    def __init__(self, first_line):
        self.line = first_line
        self.column = 0

    def convert(self, node):
        if type(node) is list:
            return [self.convert(child) for child in node]
        kind = type(node)
        plan = _PLANS.get(kind)
        if plan is None:
            if not isinstance(node, gast.AST):
                return node
            plan = _PLANS[kind] = _plan(kind)
        target, fields, positioned = plan
        if fields is None:
            return target
        if positioned:
            line = getattr(node, "lineno", None)
            if line is None:
                line, column = self.line, self.column
            else:
                column = getattr(node, "col_offset", None) or 0
                self.line, self.column = line, column
        if kind is gast.Name:
            new = ast.Name(id=node.id, ctx=_CONTEXTS[type(node.ctx)])
        elif kind is gast.Constant:
            new = ast.Constant(value=node.value, kind=node.kind)
        elif kind is gast.arguments:
            new = ast.arguments(
                posonlyargs=[self.argument(a) for a in node.posonlyargs],
                args=[self.argument(a) for a in node.args],
                vararg=self.argument(node.vararg) if node.vararg is not None else None,
                kwonlyargs=[self.argument(a) for a in node.kwonlyargs],
                kw_defaults=self.convert(node.kw_defaults), kwarg=(
                    self.argument(node.kwarg) if node.kwarg is not None else None),
                defaults=self.convert(node.defaults))
        elif kind is gast.ExceptHandler:
            new = ast.ExceptHandler(type=self.convert(node.type),
                                    name=node.name.id if node.name is not None else None,
                                    body=self.convert(node.body))
        else:
            new = target()
            convert = self.convert
            for field in fields:
                value = getattr(node, field, None)
                if value is not None and type(value) not in _LEAF_TYPES:
                    value = convert(value)
                setattr(new, field, value)
        if positioned:
            new.lineno, new.col_offset = line, column
            new.end_lineno, new.end_col_offset = line, column
        return new

    def argument(self, name):
        new = ast.arg(arg=name.id, annotation=None, type_comment=None)
        new.lineno, new.col_offset = self.line, self.column
        new.end_lineno, new.end_col_offset = self.line, self.column
        return new
