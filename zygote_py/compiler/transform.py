"""The reverse-mode pipeline: user function in, pullback function out.

Runs the passes in order (source, fence, control flow, normal form, activity, reverse,
codegen) and hands back a `Transformed`: the callable pullback form and its readable source.
"""

import builtins
import dataclasses
import functools
import logging
import typing

import gast

from . import codegen, control_flow, fence, normalize, scalars
from .activity import Activity, needed_names
from .naming import RUNTIME, VARIANT_CELL, Namer, marker_name, names_in
from .reverse import Reverse
from .source import parse_function, unwrap
from .syntax_tree import walk
from ..errors import MutationError

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Transformed:
    code: object
    binding_cells: dict
    node: object
    qualname: str
    param_names: tuple
    positional_count: int
    has_varargs: bool
    has_varkw: bool

    @functools.cached_property
    def source(self):
        """The readable generated code; rendered on first request, since few ask for it."""
        text = codegen.render(self.node)
        codegen.register_source(text, self.qualname)
        return text

    def bind(self, fn):
        """Return the pullback form bound to `fn`'s globals and closure cells."""
        return codegen.bind(self.code, self.binding_cells, fn)


class Resolver:
    """Looks up names that are not local: free variables first, then globals and builtins."""

    def __init__(self, fn):
        self.fn = fn
        code = fn.__code__
        self.free = dict(zip(code.co_freevars, fn.__closure__ or ()))

    def is_free(self, name):
        return name in self.free

    def __call__(self, name):
        cell = self.free.get(name)
        if cell is not None:
            try:
                return True, cell.cell_contents
            except ValueError:
                return False, None
        if name in self.fn.__globals__:
            return True, self.fn.__globals__[name]
        if hasattr(builtins, name):
            return True, getattr(builtins, name)
        return False, None


def _parameters(args):
    names = [a.id for a in args.posonlyargs + args.args]
    positional = len(names)
    names += [a.id for a in args.kwonlyargs]
    if args.vararg is not None:
        names.append(args.vararg.id)
    if args.kwarg is not None:
        names.append(args.kwarg.id)
    return names, positional


def _ordered_like_code(args):
    """Parameter names in `co_varnames` order: positional, keyword-only, *args, **kwargs."""
    names, positional = _parameters(args)
    return tuple(names), positional


def _local_names(node):
    """Names the function binds: assignment targets, parameters, nested defs, imports."""
    stored = set()
    for child in walk(node):
        if isinstance(child, gast.Name):
            if isinstance(child.ctx, (gast.Store, gast.Param, gast.Del)):
                stored.add(child.id)
        elif isinstance(child, gast.FunctionDef):
            stored.add(child.name)
        elif isinstance(child, (gast.Import, gast.ImportFrom)):
            stored |= {(a.asname or a.name).split(".")[0] for a in child.names}
    return stored


class _ZeroArgumentSuper(gast.NodeTransformer):
    """`super()` needs the implicit `__class__` cell; spell it out for the generated code."""

    def __init__(self, first_param):
        self.first_param = first_param

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, gast.Name) and node.func.id == "super" and not node.args \
                and self.first_param is not None:
            node.args = [gast.Name(id="__class__", ctx=gast.Load(), annotation=None,
                                   type_comment=None),
                         gast.Name(id=self.first_param, ctx=gast.Load(), annotation=None,
                                   type_comment=None)]
        return node

    def visit_FunctionDef(self, node):
        return node  # a nested function's super() belongs to it

    def visit_Lambda(self, node):
        return node


@dataclasses.dataclass
class FrontEnd:
    """The starting point of both transforms: the checked, lowered, normalized function."""

    parsed: object
    namer: Namer
    params: list
    positional_count: int
    normalized: gast.FunctionDef
    resolver: Resolver
    activity: Activity


class Variant(typing.NamedTuple):
    """The facts a call site gives about the inputs of a function it calls.

    Some parameters, or every captured variable (the function `gradient` is called on
    directly, in the explicit style), carry no gradient; `float_params` arrived as Python
    floats, so arithmetic on them gets plain scalar adjoints. A named tuple, because it keys
    the compile cache on every call and hashes fast.
    """

    inactive_params: frozenset = frozenset()
    inactive_free: bool = False
    float_params: frozenset = frozenset()
    # Compiled for a name that had a rule at transform time and has been rebound since:
    # every call dispatches at run time.
    dynamic: bool = False


def front_end(fn, variant=None):
    """Run the passes shared by reverse and forward mode on the Python function `fn`."""
    parsed = parse_function(fn)
    fence.check(parsed)
    node = parsed.node

    params, positional = _ordered_like_code(node.args)
    if "__class__" in fn.__code__.co_freevars:
        first = params[0] if params else None
        node.body = [_ZeroArgumentSuper(first).visit(s) for s in node.body]

    namer = Namer(names_in(node))
    lowered = control_flow.lower(node, namer)
    try:
        body = normalize.normalize(lowered, namer, _local_names(node))
    except normalize.AttributeWrite as error:
        _raise_mutation(parsed, error.node, error.what)
    normalized = gast.FunctionDef(name=node.name, args=node.args, body=body,
                                  decorator_list=[], returns=None, type_comment=None,
                                  type_params=[])
    gast.copy_location(normalized, node)

    resolver = Resolver(fn)
    local_names = _local_names(normalized) - set(fn.__code__.co_freevars)
    inactive = set()
    if variant is not None:
        inactive = set(variant.inactive_params)
        if variant.inactive_free:
            inactive |= set(fn.__code__.co_freevars)
    activity = Activity([p for p in params if p not in inactive], local_names, resolver,
                        inactive)
    activity.run(body)
    # Locals whose gradient cannot reach the result run as plain forward code.
    needed = needed_names(body)
    unneeded = {name for name in local_names if name not in needed}
    activity.active -= unneeded
    activity.inactive |= unneeded
    _check_mutations(parsed, body, params, activity)
    return FrontEnd(parsed, namer, params, positional, normalized, resolver, activity)


def transform(fn, runtime, operator_rules, variant=None):
    """Return the `Transformed` pullback form of the Python function `fn`."""
    fn = unwrap(fn)
    front = front_end(fn, variant)
    parsed, params = front.parsed, front.params

    reverse = Reverse(parsed, front.namer, front.activity, params, front.resolver)
    reverse.dynamic = variant is not None and variant.dynamic
    if variant is not None:
        kinds = scalars.scalar_kinds(front.normalized.body, params, variant.float_params)
        reverse.float_names = frozenset(n for n, kind in kinds.items() if kind == scalars.FLOAT)
        reverse.number_names = frozenset(kinds)
    generated = reverse.function(front.normalized)
    bindings = {RUNTIME: runtime, VARIANT_CELL: variant}
    for op_name, binding in reverse.operator_rules.items():
        bindings[binding] = operator_rules[op_name]
    for rule_name, primal_name, rule, primal in reverse.static_rules.values():
        bindings[rule_name] = rule
        bindings[primal_name] = primal

    node = parsed.node
    code, cells = codegen.build(generated, fn, bindings, parsed.filename, node.lineno)
    result = Transformed(code, cells, generated, fn.__qualname__, params, front.positional_count,
                         node.args.vararg is not None, node.args.kwarg is not None)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("generated pullback of %s:\n%s", fn.__qualname__, result.source)
    return result


def _raise_mutation(parsed, node, what):
    lineno = getattr(node, "lineno", None) or parsed.node.lineno
    raise MutationError(
        f"{what} at {parsed.filename}:{lineno} ({parsed.line_text(lineno).strip()!r}) changes "
        "an object in place, which the gradient cannot follow. Build a new value instead (a "
        "functional update with np.where or np.concatenate, or dataclasses.replace for an "
        "object), collect values in a zygote_py.Buffer, or register a custom rule with "
        "@zygote_py.adjoint", parsed.filename, lineno)


def _check_mutations(parsed, body, params, activity):
    """Reject in-place writes into values the function did not create.

    The `**kwargs` dict is new on every call, so the function may change it.
    """
    arguments = parsed.node.args
    varkw = arguments.kwarg.id if arguments.kwarg is not None else None
    statements = list(_walk_statements(body, ()))
    created = _created_names(statements)
    # A parameter rebound to a new object at the top level (`kwargs = dict(kwargs)`) is
    # the function's own from there on.
    top_level = {id(stmt) for stmt in body}
    rebound = {}
    for position, (stmt, _) in enumerate(statements):
        if id(stmt) in top_level and isinstance(stmt, gast.Assign) \
                and _makes_new_object(stmt.value):
            rebound.setdefault(stmt.targets[0].id, position)
    copies = _copies(statements)
    fresh = {}
    for position, (stmt, loops) in enumerate(statements):
        if isinstance(stmt, gast.Assign) and _mutated_name(stmt) is None and (
                _makes_new_object(stmt.value) or getattr(stmt, "zp_mutated", False)):
            fresh.setdefault(stmt.targets[0].id, []).append((position, loops))
    for position, (stmt, loops) in enumerate(statements):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call):
            for keyword in stmt.value.keywords:
                if keyword.arg == "out" and not (isinstance(keyword.value, gast.Constant)
                                                 and keyword.value.value is None):
                    # out= may still be None at run time (a wrapper passing it on).
                    stmt.zp_check_out = keyword.value
        name = _mutated_name(stmt)
        if name is None and getattr(stmt, "zp_augmented", False):
            name = stmt.targets[0].id
            if name not in params and name in created and not _aliased(
                    name, position, loops, copies, fresh):
                continue
            # `x += v` changes an array, list or dict in place, where other names may see it.
            # On a number or tuple it rebinds x, which is what the generated code does.
            stmt.zp_check_inplace = True
            continue
        if name is None:
            continue
        if name in params and name != varkw and not (
                name in created and rebound.get(name, len(statements)) < position):
            what = f"writing into the argument {name!r}"
        elif name not in created:
            what = f"writing into {name!r}, which the function did not create"
        elif _aliased(name, position, loops, copies, fresh):
            what = f"writing into {name!r} while another name refers to the same object"
        else:
            continue
        _raise_mutation(parsed, stmt, what)


def _aliased(name, position, loops, copies, fresh):
    """Return whether another name may refer to `name`'s object when written at `position`.

    A copy made before the write aliases it. A copy made later in an enclosing loop aliases
    the object of the next iteration, unless `name` gets a new object in that loop before
    the write (a list built afresh on every pass).
    """
    for copy_position, copy_loops in copies.get(name, ()):
        if copy_position < position:
            return True
        for loop in set(copy_loops) & set(loops):
            renewed = any(p < position and loop in fresh_loops
                          for p, fresh_loops in fresh.get(name, ()))
            if not renewed:
                return True
    return False


def _mutated_name(stmt):
    if not isinstance(stmt, gast.Assign):
        return None
    value = stmt.value
    if marker_name(value) in ("setitem", "append", "mutating_call", "copyto", "ufunc_at"):
        return value.args[0].id
    return None


def _walk_statements(stmts, loops):
    """Yield `(statement, enclosing loops)` in source order."""
    for stmt in stmts:
        yield stmt, loops
        if isinstance(stmt, gast.FunctionDef):
            continue  # a nested function is checked when it is transformed itself
        inner = loops + (id(stmt),) if isinstance(stmt, (gast.For, gast.While)) else loops
        for field in ("body", "orelse"):
            yield from _walk_statements(getattr(stmt, field, []) or [], inner)


# Functions and methods that may return their argument itself or a view of it.
_MAY_ALIAS = frozenset({"asarray", "asanyarray", "ascontiguousarray", "asfortranarray",
                        "reshape", "view", "ravel", "transpose", "squeeze", "swapaxes",
                        "moveaxis", "expand_dims", "broadcast_to", "atleast_1d", "atleast_2d",
                        "atleast_3d", "diagonal", "real", "imag"})


def _makes_new_object(value):
    fresh = (gast.Call, gast.BinOp, gast.UnaryOp, gast.List, gast.Dict, gast.Tuple, gast.Set,
             gast.Constant, gast.Compare)
    if not isinstance(value, fresh):
        return False
    if isinstance(value, gast.Call):
        func = value.func
        name = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", None)
        return name not in _MAY_ALIAS
    return True


def _created_names(statements):
    """Names whose every assignment makes a new object (a call, an operator, a display)."""
    verdict = {}
    for stmt, _ in statements:
        if isinstance(stmt, gast.Assign) and _mutated_name(stmt) is None:
            name = stmt.targets[0].id
            made = _makes_new_object(stmt.value) or getattr(stmt, "zp_mutated", False)
            verdict[name] = verdict.get(name, True) and made
    return {name for name, ok in verdict.items() if ok}


def _copies(statements):
    """Return where each name is copied to another name or stored in a display."""
    found = {}
    for position, (stmt, loops) in enumerate(statements):
        if not isinstance(stmt, gast.Assign):
            continue
        value = stmt.value
        if isinstance(value, gast.Name):
            sources = [value]
        elif isinstance(value, (gast.List, gast.Tuple)):
            sources = value.elts
        elif isinstance(value, gast.Dict):
            sources = value.values
        else:
            continue
        for source in sources:
            if isinstance(source, gast.Name):
                found.setdefault(source.id, []).append((position, loops))
    return found
