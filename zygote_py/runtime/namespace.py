"""The helpers that generated code reaches through the name `__zp`."""

from .accumulate import accumulate, accumulate_owned, densify, power_scaled, scaled
from .containers import (append, build_dict, build_sequence, check_inplace, check_out,
                         closure_cotangent, copyto, dict_cotangent, field_cotangent, iterate,
                         mutating_call, sequence_cotangent, setitem, ufunc_at, unpack)
from .dispatch import (call, call_masked, call_method, call_method_packed, call_packed,
                       rebound, run_rule_pullback)
from .dispatch import getattr_ as getattr  # noqa: A001 - the name generated code uses
from .params import implicit_accumulate
from ..rules.builtins import binary_pullback, subscript, subscript_pullback, unary_pullback

__all__ = ["accumulate", "accumulate_owned", "append", "binary_pullback", "build_dict",
           "build_sequence", "call", "call_masked", "call_method", "call_method_packed",
           "call_packed", "check_inplace", "check_out", "closure_cotangent", "copyto", "densify",
           "dict_cotangent", "field_cotangent", "getattr", "implicit_accumulate", "iterate",
           "mutating_call", "power_scaled", "rebound", "run_rule_pullback", "scaled",
           "sequence_cotangent", "setitem", "subscript", "subscript_pullback", "ufunc_at",
           "unary_pullback", "unpack"]
