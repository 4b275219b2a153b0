"""Modules as they were when zygote_py was imported.

A rule computes its derivative with other functions of the same module: the gradient of
`np.cos` calls `np.sin`. Through a snapshot, a user's patch of `np.sin` (with
`unittest.mock.patch`, say) changes only the calls that reach the patched name, not the
derivatives of its neighbours.
"""


class FrozenModule:
    """The attributes of a module at the time of the snapshot; later ones are read live."""

    def __init__(self, module):
        self.__dict__.update(vars(module))
        self.__dict__["_module"] = module

    def __getattr__(self, name):
        # Attributes the module creates on first access (NumPy defines some lazily).
        return getattr(self.__dict__["_module"], name)

    def __repr__(self):
        return f"<frozen copy of {self.__dict__['_module'].__name__}>"


def frozen(module):
    """Return a snapshot of `module`'s attributes."""
    return FrozenModule(module)
