"""A description of the machine and software that a benchmark ran on."""

import datetime
import importlib.metadata
import os
import pathlib
import platform
import subprocess

from benchmarks import threads


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def blas_description():
    """Describe NumPy's BLAS: threadpoolctl's view of the loaded library where installed,
    else the build configuration from numpy.show_config."""
    import numpy as np

    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        pools = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
        if pools:
            return "; ".join(
                f"{pool['internal_api']} {pool['version']}, kernel {pool.get('architecture')}, "
                f"num_threads={pool['num_threads']} (threadpoolctl)" for pool in pools)
    config = np.show_config(mode="dicts")
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', 'unknown')} {blas.get('version', '')} (numpy.show_config)"


def source_revision():
    """Return `git describe --always --dirty` of the repository, or None outside a checkout."""
    repository = pathlib.Path(__file__).resolve().parent.parent
    try:
        completed = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=repository,
                                   capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def describe_machine(thread_count):
    """Return a dict of the facts that the report header prints."""
    import numpy as np

    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_description(),
        "openblas_kernel_variables": threads.openblas_kernel_settings(),
        "threads": threads.describe_threads(thread_count),
        # Other processes on the machine slow every library; the report shows how busy it was.
        "load_average": os.getloadavg(),
        "source_revision": source_revision(),
        "versions": {name: package_version(name)
                     for name in ("zygote_py", "autograd", "jax", "jaxlib", "torch")},
    }


def format_machine(facts):
    versions = ", ".join(f"{name} {version or 'not installed'}"
                         for name, version in facts["versions"].items())
    kernel = ", ".join(f"{name}={value if value is not None else '(unset)'}"
                       for name, value in facts["openblas_kernel_variables"].items())
    return "\n".join([
        f"- date: {facts['date_utc']}",
        f"- CPU: {facts['cpu_model']}, {facts['logical_cpus']} logical CPUs "
        f"({facts['usable_cpus']} usable by this process)",
        f"- Python {facts['python']}, NumPy {facts['numpy']}, BLAS: {facts['blas']}",
        f"- OpenBLAS kernel variables: {kernel}",
        f"- threads: {facts['threads']}",
        "- load average (1, 5, 15 min) at the start: "
        + ", ".join(f"{value:.2f}" for value in facts["load_average"]),
        f"- packages: {versions}",
        f"- repository revision: {facts['source_revision'] or 'unknown'} "
        "(a -dirty suffix means uncommitted changes in the work tree)",
    ])
