"""The helpers that generated code reaches through the name `__zp`."""

from .accumulate import accumulate, densify, passed, power_scaled, scaled
from .containers import (append, check_inplace, check_out, copyto, build_dict, build_sequence, closure_cotangent, dict_cotangent,
                         field_cotangent, iterate, mutating_call, sequence_cotangent, setitem,
                         ufunc_at, unpack)
from .dispatch import (call, call_as_rule, call_masked, call_method, call_method_packed,
                       call_packed,
                       run_rule_pullback)
from .dispatch import getattr_ as getattr  # noqa: A001 - the name generated code uses
from .params import implicit_accumulate
from ..rules.builtins import binary_pullback, unary_pullback

__all__ = ["check_inplace", "check_out", "accumulate", "densify", "passed", "power_scaled", "scaled", "append", "copyto", "build_dict", "build_sequence",
           "closure_cotangent", "dict_cotangent", "field_cotangent", "iterate", "mutating_call",
           "sequence_cotangent", "setitem", "ufunc_at", "unpack", "call", "call_method",
           "call_method_packed", "call_packed", "getattr", "implicit_accumulate", "call_as_rule", "call_masked", "unary_pullback", "binary_pullback",
           "run_rule_pullback"]
