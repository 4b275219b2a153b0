"""Performance targets of zygote_py, checked in the report of every run."""

# Maximum ratio of zygote_py's value-and-gradient time to the plain NumPy forward time,
# keyed by (workload, case label).
RATIO_TARGETS = {
    ("tiny_ops", ""): 2.0,
    ("scalar_loop", ""): 2.9,
    ("mlp", "float32"): 2.6,
    ("matmul_chain", ""): 3.1,
    ("newton_while", ""): 2.6,
}

# Maximum time of the first gradient call of the float32 mlp loss in a fresh process,
# transformation included.
FIRST_CALL_TARGET_SECONDS = 0.025

# Maximum growth of the peak resident memory over setup during the float32 mlp gradient.
MLP_PEAK_MEMORY_TARGET_MIB = 4.0


def compare(measured, target):
    """Return 'met' or 'missed by N%' for a value that must not exceed `target`."""
    if measured is None:
        return "not measured"
    if measured <= target:
        return f"met ({(target - measured) / target:.0%} below the target)"
    return f"missed by {(measured - target) / target:.0%} ({measured / target:.2f}x the target)"
