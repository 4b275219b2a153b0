"""The helpers that generated JVP code reaches through the name `__zpf`."""

from .forward_dispatch import (append, build_dict, build_sequence, call, call_method,
                               closure_tangent, copyto, getitem, iterate, mutating_call, setitem,
                               starred_keyword_tangents, starred_tangents, tangent_item,
                               ufunc_at, unary, unpack)
from .containers import check_inplace, check_out
from .forward_dispatch import binary_any as binary
from .forward_dispatch import getattr_ as getattr  # noqa: A001 - the name generated code uses

__all__ = ["append", "build_dict", "build_sequence", "call", "call_method", "closure_tangent",
           "copyto", "getitem", "iterate", "mutating_call", "setitem",
           "starred_keyword_tangents", "starred_tangents", "tangent_item", "ufunc_at", "unary",
           "unpack",
           "binary", "getattr", "check_inplace", "check_out"]
