"""Thread settings shared by every library in a benchmark run.

`configure_threads` must run before NumPy, JAX or PyTorch is imported: OpenBLAS, MKL and OpenMP
read their thread counts from the environment when they load. PyTorch additionally gets
`torch.set_num_threads` through `apply_torch_threads` once it is imported.
"""

import os
import sys

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

# Variables that change which OpenBLAS kernel runs; the report records them.
OPENBLAS_KERNEL_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# XLA's CPU client ignores OMP_NUM_THREADS; these flags keep it on one thread.
XLA_SINGLE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def configure_threads(count):
    """Set every library's thread count to `count` through the environment and CPU affinity.

    For a count of one, XLA gets flags that keep JAX on one thread. For a count above one but
    below the number of CPUs, the process and its subprocesses are pinned to the first `count`
    CPUs, because XLA has no flag for a thread count other than one. Raises
    `RuntimeError` if NumPy is already imported, because the setting would then be ignored.
    """
    if count < 1:
        raise ValueError(f"invalid thread count {count}: expected 1 or more")
    if "numpy" in sys.modules and os.environ.get("OMP_NUM_THREADS") != str(count):
        raise RuntimeError("NumPy was imported before the thread count was set; "
                           "call configure_threads before importing NumPy")
    for name in THREAD_VARIABLES:
        os.environ[name] = str(count)
    if count == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " " + XLA_SINGLE_THREAD_FLAGS).strip()
    available = sorted(os.sched_getaffinity(0))
    if 1 < count < len(available):
        os.sched_setaffinity(0, available[:count])


def apply_torch_threads(torch_module, count):
    """Give PyTorch the same thread count as the other libraries."""
    torch_module.set_num_threads(count)
    try:
        torch_module.set_num_interop_threads(count)
    except RuntimeError:
        # PyTorch allows this only before its first parallel work; a second import path
        # in the same process finds it already set.
        pass


def describe_threads(count):
    """Return a one-line summary of the thread settings and the OpenBLAS kernel variables."""
    parts = [f"{name}={os.environ.get(name, '(unset)')}" for name in THREAD_VARIABLES[:3]]
    parts.append(f"torch.set_num_threads({count})")
    parts.append(f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '(unset)')!r}")
    parts.append(f"CPU affinity={sorted(os.sched_getaffinity(0))}")
    return ", ".join(parts)


def openblas_kernel_settings():
    """Return the OpenBLAS kernel variables as a dict, with None for unset ones."""
    return {name: os.environ.get(name) for name in OPENBLAS_KERNEL_VARIABLES}
