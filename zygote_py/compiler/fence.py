"""Reject the constructs the transform does not support, before any other pass runs.

Takes a `ParsedFunction` and returns nothing; raises `UnsupportedSyntaxError` at the first
unsupported construct, with the user's file, line, column and source line, the construct's
name and a workaround. Nested functions and lambdas are checked too, so `@differentiable`
fails at import time rather than when the nested function is first called.
"""

import gast

from .syntax_tree import walk
from ..errors import UnsupportedSyntaxError

_WORKAROUNDS = {
    gast.Try: ("try/except", "move the try block into a helper with a custom rule "
               "(@zygote_py.adjoint), or check the condition with `if` and raise"),
    gast.With: ("a with block", "enter the context outside the differentiated function, or "
                "call a helper marked with zygote_py.non_differentiable"),
    gast.AsyncWith: ("async with", "differentiate synchronous code only"),
    gast.AsyncFor: ("async for", "differentiate synchronous code only"),
    gast.AsyncFunctionDef: ("async def", "differentiate synchronous code only"),
    gast.Await: ("await", "differentiate synchronous code only"),
    gast.Yield: ("yield (a generator)", "build a list and return it instead"),
    gast.YieldFrom: ("yield from (a generator)", "build a list and return it instead"),
    gast.Global: ("a global statement", "return the new value instead of assigning a global"),
    gast.Nonlocal: ("a nonlocal statement", "return the new value from the inner function "
                    "instead of assigning an outer variable"),
    gast.ClassDef: ("a class definition", "define the class at module level"),
    gast.NamedExpr: ("an assignment expression (:=)", "assign in a separate statement"),
}

_MATCH = getattr(gast, "Match", None)
if _MATCH is not None:
    _WORKAROUNDS[_MATCH] = ("a match statement", "rewrite it with if/elif")


def check(parsed):
    """Raise `UnsupportedSyntaxError` at the first construct the transform cannot handle."""
    for node in walk(parsed.node):
        entry = _WORKAROUNDS.get(type(node))
        if entry is not None:
            construct, workaround = entry
            _reject(parsed, node, construct, workaround)
        if isinstance(node, gast.Delete):
            for target in node.targets:
                if not isinstance(target, gast.Name):
                    _reject(parsed, node, "del of an element or attribute (an in-place change)",
                            "build a new array or container without the element, e.g. with "
                            "np.delete or a comprehension")
        if isinstance(node, gast.TryStar if hasattr(gast, "TryStar") else ()):
            _reject(parsed, node, "try/except*", _WORKAROUNDS[gast.Try][1])


def reject(parsed, node, construct, workaround):
    """Raise the `UnsupportedSyntaxError` for `construct` at `node` (used by later passes)."""
    _reject(parsed, node, construct, workaround)


def _reject(parsed, node, construct, workaround):
    lineno = getattr(node, "lineno", None) or parsed.node.lineno
    col = getattr(node, "col_offset", 0) or 0
    text = parsed.line_text(lineno)
    message = (f"{construct} is not supported in a differentiated function "
               f"({parsed.node.name} at {parsed.filename}:{lineno}); {workaround}")
    raise UnsupportedSyntaxError(message, parsed.filename, lineno, col + 1, text)
