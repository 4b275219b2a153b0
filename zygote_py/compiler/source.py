"""Find and parse the source of a function to transform.

Takes a Python function (a module-level or nested `def`, a lambda, a method, a `staticmethod`
or `classmethod`) and hands back a `ParsedFunction`: the gast `FunctionDef` with decorators
stripped, line numbers that match the user's file, and that file's name. Lambdas become a
`FunctionDef` whose body returns the lambda's expression; the lambda is located through the
positions of its code object, so two lambdas on one line are distinguished.
"""

import dataclasses
import inspect
import linecache

import gast

from .syntax_tree import walk
from ..errors import SourceUnavailableError


@dataclasses.dataclass
class ParsedFunction:
    node: gast.FunctionDef
    filename: str
    source_lines: list
    is_lambda: bool

    def line_text(self, lineno):
        """Return the user's source line `lineno` (1-based, in the user's file), stripped."""
        return linecache.getline(self.filename, lineno).rstrip("\n") or ""


def unwrap(fn):
    """Return the plain Python function behind a method, staticmethod or classmethod."""
    if isinstance(fn, (staticmethod, classmethod)):
        fn = fn.__func__
    while hasattr(fn, "__func__"):
        fn = fn.__func__
    return fn


_generated = {}


def remember(code, node, filename):
    """Record the AST of a generated function, whose code has no source file of its own."""
    _generated[code] = (node, filename)


def parse_function(fn):
    """Return the `ParsedFunction` of `fn`, or raise `SourceUnavailableError`."""
    fn = unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code in _generated:
        import copy

        node, filename = _generated[code]
        return ParsedFunction(copy.deepcopy(node), filename, [], False)
    if code is None:
        raise SourceUnavailableError(f"{fn!r} is not a Python function, so it has no source to "
                                     "transform; register a rule for it with @zygote_py.adjoint")
    filename = code.co_filename
    lines = _read_lines(fn, code)
    start = code.co_firstlineno
    if code.co_name == "<lambda>":
        node = _find_lambda(fn, code, lines, start, filename)
        return ParsedFunction(node, filename, lines, True)
    node = _find_def(fn, code, lines, start, filename)
    _check_matches_code(fn, code, node, filename)
    return ParsedFunction(node, filename, lines, False)


def _check_matches_code(fn, code, node, filename):
    """Raise if the source on disk no longer matches the function that is running.

    Every global or attribute name the running code uses must appear in the source; an
    edit that was not reloaded usually breaks that.
    """
    names = set()
    for child in walk(node):
        if isinstance(child, gast.Name):
            names.add(child.id)
        elif isinstance(child, gast.Attribute):
            names.add(child.attr)
        elif isinstance(child, (gast.Import, gast.ImportFrom)):
            for alias in child.names:
                names.add(alias.name)
                names.add(alias.name.split(".")[0])
            if isinstance(child, gast.ImportFrom) and child.module:
                names.add(child.module)
    parameters = [a.id for a in node.args.posonlyargs + node.args.args]
    missing = [name for name in code.co_names if name not in names]
    if missing or parameters != list(code.co_varnames[: code.co_argcount]):
        raise SourceUnavailableError(
            f"the source of {fn.__qualname__} in {filename} has changed since the function "
            "was defined (it uses "
            f"{', '.join(missing) if missing else 'other parameters'} in the running code); "
            "reload the module or re-run the cell, then differentiate again")


def _read_lines(fn, code):
    filename = code.co_filename
    # A module reloaded after an edit (as notebook autoreload does) has new code; drop the
    # cached text of a file that changed on disk.
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, getattr(fn, "__globals__", {}))
    if lines:
        return lines
    if filename.startswith("<") and filename.endswith(">"):
        reason = (f"{fn.__qualname__} was defined in {filename}, which keeps no source "
                  "(a plain interactive prompt, exec or compile of a string)")
    else:
        reason = f"the file {filename} of {fn.__qualname__} cannot be read"
    raise SourceUnavailableError(
        f"cannot read the source of {fn.__qualname__}: {reason}. Define the function in a "
        "module file or a notebook cell, or register a rule for it with @zygote_py.adjoint")


def _parse_block(lines, start, filename, fn):
    """Parse the block of source starting at 1-based line `start`.

    Blank lines in front (and an `if 1:` around an indented block) make the parser give
    each node its line and column in the file, so no pass has to shift them.
    """
    block = inspect.getblock(lines[start - 1:])
    indented = block[0][:1] in (" ", "\t")
    if indented:
        text = "\n" * max(start - 2, 0) + "if 1:\n" + "".join(block)
    else:
        text = "\n" * (start - 1) + "".join(block)
    try:
        tree = gast.parse(text)
    except SyntaxError as error:
        raise SourceUnavailableError(
            f"cannot parse the source of {fn.__qualname__} in {filename} at line {start}: "
            f"{error.msg}. The file may have changed since the function was defined; reload it"
        ) from None
    if indented:
        tree.body = tree.body[0].body
    return tree


def _find_def(fn, code, lines, start, filename):
    # Decorators come before `def`; co_firstlineno points at the first decorator.
    tree = _parse_block(lines, start, filename, fn)
    for node in tree.body:
        if isinstance(node, gast.FunctionDef) and node.name == code.co_name:
            node.decorator_list = []
            return node
        if isinstance(node, gast.AsyncFunctionDef):
            break
    raise SourceUnavailableError(
        f"cannot find the definition of {fn.__qualname__} at {filename}:{start}; the file may "
        "have changed since the function was defined. Reload the module and try again")


def _find_lambda(fn, code, lines, start, filename):
    tree = _lambda_tree(lines, start, filename, fn)
    candidates = [node for node in walk(tree) if isinstance(node, gast.Lambda)]
    position = _body_position(code)
    chosen = None
    if position is not None:
        for node in candidates:
            if (node.body.lineno, node.body.col_offset) == position:
                chosen = node
                break
    if chosen is None:
        names = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
        matching = [node for node in candidates if node.lineno == start
                    and [a.id for a in node.args.args + node.args.kwonlyargs] == names]
        if len(matching) == 1:
            chosen = matching[0]
    if chosen is None:
        raise SourceUnavailableError(
            f"cannot tell which lambda at {filename}:{start} is being differentiated; give it "
            "a name with `def`")
    return gast.FunctionDef(
        name="<lambda>", args=chosen.args,
        body=[gast.Return(value=chosen.body, lineno=chosen.body.lineno,
                          col_offset=chosen.body.col_offset)],
        decorator_list=[], returns=None, type_comment=None, type_params=[],
        lineno=chosen.lineno, col_offset=chosen.col_offset)


_module_trees = {}


def _lambda_tree(lines, start, filename, fn):
    # Parse the whole file (or notebook cell) so that every node keeps its exact position.
    text = "".join(lines)
    key = (filename, hash(text))
    tree = _module_trees.get(key)
    if tree is None:
        try:
            tree = gast.parse(text)
        except SyntaxError:
            raise SourceUnavailableError(
                f"cannot parse {filename} to find the lambda of {fn.__qualname__} at line "
                f"{start}; give it a name with `def`") from None
        _module_trees.clear()
        _module_trees[key] = tree
    return tree


def _body_position(code):
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return None
    # Bookkeeping instructions (RESUME, the final return) span no columns; skip them.
    found = [(line, col) for line, end_line, col, end_col in positions()
             if line is not None and col is not None and end_col is not None
             and (end_line != line or end_col > col)]
    if not found:
        return None
    return min(found)
