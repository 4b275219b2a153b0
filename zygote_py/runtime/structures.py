"""Gradients of objects: a mapping from field name to gradient.

The gradient of a dataclass, namedtuple-free object or model is a `Structural`. It reads like
the object (`g.W`) and like a dict (`g["W"]`); fields that received no gradient are `None`.
"""


class Structural:
    """The gradient of an object, field by field."""

    __slots__ = ("_fields", "_type")

    def __init__(self, fields=None, type_=None):
        object.__setattr__(self, "_fields", dict(fields or {}))
        object.__setattr__(self, "_type", type_)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._fields.get(name)

    def __setattr__(self, name, value):
        raise AttributeError("a Structural gradient is read-only; build a new one instead")

    def __getitem__(self, name):
        return self._fields.get(name)

    def __contains__(self, name):
        return name in self._fields

    def __iter__(self):
        return iter(self._fields)

    def __len__(self):
        return len(self._fields)

    def __eq__(self, other):
        return isinstance(other, Structural) and self._fields == other._fields

    __hash__ = None

    def keys(self):
        return self._fields.keys()

    def values(self):
        return self._fields.values()

    def items(self):
        return self._fields.items()

    def get(self, name, default=None):
        value = self._fields.get(name)
        return default if value is None else value

    @property
    def primal_type(self):
        """The type of the object this is the gradient of, or `None` when unknown."""
        return self._type

    def __repr__(self):
        inner = ", ".join(f"{k}={_short(v)}" for k, v in self._fields.items())
        name = self._type.__name__ if self._type is not None else ""
        return f"Structural{'[' + name + ']' if name else ''}({inner})"


def _short(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    return repr(value)


def object_fields(obj):
    """Return the names of an object's data fields, from `__dict__` and `__slots__`."""
    names = []
    if hasattr(obj, "__dict__"):
        names.extend(vars(obj))
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if isinstance(slot, str) and slot not in ("__dict__", "__weakref__") and slot not in names:
                if hasattr(obj, slot):
                    names.append(slot)
    return names
