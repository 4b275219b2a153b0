"""Names of the libraries under test, importable before NumPy (see benchmarks.threads)."""

import importlib.util

REFERENCE_LIBRARIES = ("numpy", "adjoint", "zygote_py")
PEER_LIBRARIES = ("autograd", "jax", "jax-jit", "torch")
ALL_LIBRARIES = REFERENCE_LIBRARIES + PEER_LIBRARIES

# The package that each library needs to be installed.
REQUIRED_PACKAGE = {
    "numpy": "numpy",
    "adjoint": "numpy",
    "zygote_py": "zygote_py",
    "autograd": "autograd",
    "jax": "jax",
    "jax-jit": "jax",
    "torch": "torch",
}


def missing_package(library):
    """Return the name of the package that `library` needs but is not installed, or None."""
    package = REQUIRED_PACKAGE[library]
    return None if importlib.util.find_spec(package) is not None else package


def parse_peer_list(text):
    """Parse `--peers`: comma-separated peer names, `jax` meaning both JAX modes, `none` none."""
    if text.strip().lower() in ("", "none"):
        return []
    peers = []
    for name in (part.strip() for part in text.split(",")):
        expanded = ["jax", "jax-jit"] if name == "jax" else [name]
        for peer in expanded:
            if peer not in PEER_LIBRARIES:
                raise ValueError(f"unknown peer {name!r}; expected a comma-separated list of "
                                 f"{', '.join(PEER_LIBRARIES)} (or 'none')")
            if peer not in peers:
                peers.append(peer)
    return peers
