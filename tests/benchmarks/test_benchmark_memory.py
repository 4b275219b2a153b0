"""Peak memory of zygote_py's gradient of the indexing_loop workload, in fresh processes.

A gradient that keeps a dense array per scalar read needs n * n * 8 bytes (3.2 GB at n=20,000,
over the probe's memory limit), so a bound per element separates linear from quadratic memory
without timing anything. `python -m benchmarks --only indexing_loop` measures the larger sizes.
"""

import pytest

from benchmarks import subprocesses
from benchmarks.indexing import peak_growth_mib

# Generous for a linear tape of a few Python objects per loop iteration.
MAX_KIB_PER_ELEMENT = 4.0


@pytest.mark.parametrize("size", [1_000, 20_000])
def test_indexing_loop_memory_is_linear(size):
    report = subprocesses.run_probe("indexing_loop", f"n={size}", "zygote_py", 1,
                                    time_limit=30, rss_limit_mib=2048)
    assert "error" not in report, report.get("error")
    growth_kib = peak_growth_mib(report, "first") * 1024
    assert growth_kib <= MAX_KIB_PER_ELEMENT * size, \
        f"peak grew by {growth_kib / 1024:.1f} MiB for n={size}"
