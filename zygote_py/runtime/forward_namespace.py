"""The helpers that generated JVP code reaches through the name `__zpf`."""

from .containers import check_inplace, check_out
from .forward_containers import (append, build_dict, build_sequence, closure_tangent, copyto,
                                 iterate, mutating_call, setitem, starred_keyword_tangents,
                                 starred_tangents, tangent_item, ufunc_at, unpack)
from .forward_dispatch import call, call_method, getitem
from .forward_dispatch import getattr_ as getattr  # noqa: A001 - the name generated code uses
from .forward_operators import binary_any as binary
from .forward_operators import unary

__all__ = ["append", "build_dict", "build_sequence", "call", "call_method", "closure_tangent",
           "copyto", "getitem", "iterate", "mutating_call", "setitem",
           "starred_keyword_tangents", "starred_tangents", "tangent_item", "ufunc_at", "unary",
           "unpack",
           "binary", "getattr", "check_inplace", "check_out"]
