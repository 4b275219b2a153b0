"""Printing layers the way Flux does: one line per layer with its parameter count."""

import numpy as np

from .functor import functor, trainable

_COMMENT_COLUMN = 40


def format_count(n):
    """Format an integer with underscores between thousands, as Julia prints it."""
    return f"{n:_}"


def format_bytes(n):
    """Format a byte count as `324 bytes` or `18.914 KiB`."""
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            return f"{n:.3f} {unit}"


def parameter_arrays(model):
    """Return the distinct floating-point arrays reached through trainable children."""
    arrays, seen = [], set()

    def walk(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, np.ndarray):
            if np.issubdtype(node.dtype, np.inexact):
                arrays.append(node)
            return
        children = trainable(node)
        items = children.values() if isinstance(children, dict) else children
        for child in items:
            walk(child)

    walk(model)
    return arrays


def count_parameters(model):
    """Return the number of trainable scalars in `model`."""
    return sum(a.size for a in parameter_arrays(model))


def function_name(f):
    """Return the name to print for an activation or connection function."""
    return getattr(f, "__name__", None) or repr(f)


def _is_container(layer):
    return hasattr(layer, "_show_children")


def _parameter_comment(layer):
    n = count_parameters(layer)
    return f"# {format_count(n)} parameters" if n else ""


class Text:
    """A line printed as is inside a container, such as a connection function's name."""

    def __init__(self, text):
        self.text = text


def _lines(layer, indent, name=None):
    """Yield the lines that print `layer` inside a container, each ending with a comma."""
    pad = "  " * indent
    label = f"{name}=" if name is not None else ""
    if isinstance(layer, Text):
        yield pad + label + layer.text + ","
        return
    if _is_container(layer):
        title, children = layer._show_children()
        yield pad + label + title + "("
        for child_name, child in children:
            yield from _lines(child, indent + 1, child_name)
        yield pad + "),"
        return
    text = pad + label + repr_short(layer) + ","
    comment = _parameter_comment(layer)
    if comment:
        text = text.ljust(_COMMENT_COLUMN) + comment
    yield text


def repr_short(layer):
    """Return the one-line description of `layer`, without the parameter comment."""
    short = getattr(layer, "_repr_short", None)
    if short is not None:
        return short()
    if callable(layer) and hasattr(layer, "__name__"):
        return layer.__name__
    return repr(layer)


def repr_layer(layer):
    """Return Flux's multi-line display: a leaf layer on one line, a container line by line."""
    if not _is_container(layer):
        comment = _parameter_comment(layer)
        text = repr_short(layer)
        return f"{text}  {comment}" if comment else text
    title, children = layer._show_children()
    lines = [title + "("]
    for child_name, child in children:
        lines.extend(_lines(child, 1, child_name))
    arrays = parameter_arrays(layer)
    total = sum(a.size for a in arrays)
    size = sum(a.nbytes for a in arrays)
    summary = (f"# Total: {len(arrays)} arrays, {format_count(total)} parameters, "
               f"{format_bytes(size)}.")
    lines.append(")".ljust(20) + summary)
    return "\n".join(lines)
