"""Traversal of gast trees, faster than `gast.walk` on the large trees transforms build."""

import gast

_AST = gast.AST


def walk(node):
    """Return every node in the tree under `node`, `node` first, in `gast.walk`'s order.

    A list rather than a generator: the compiler walks whole trees, and filling a list in
    one loop costs about half of `ast.walk`'s generator and deque.
    """
    nodes = [node]
    index = 0
    while index < len(nodes):
        current = nodes[index]
        index += 1
        for field in current._fields:
            value = getattr(current, field, None)
            if type(value) is list:
                for child in value:
                    if isinstance(child, _AST):
                        nodes.append(child)
            elif isinstance(value, _AST):
                nodes.append(value)
    return nodes
