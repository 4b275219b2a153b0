"""Run one library on one workload case in a fresh process and report time and peak memory.

Usage: python -m benchmarks.probe --workload mlp --case float32 --library zygote_py

Prints one JSON object: the import, setup, first-call and second-call times in seconds, and the
peak resident set size (VmHWM in /proc/self/status, in KiB) at the end of setup, after the first
call and after the second call. Before each call the peak is reset to the current resident size
by writing 5 to /proc/self/clear_refs (Linux 4.0 and later). So each reading minus the one
before the call is that call's own peak growth. `peak_reset` is false where the reset failed.
Linux only.
"""

import argparse
import gc
import json
import sys
import time

from benchmarks import threads


def read_status_kib(field):
    """Return a `kB` field of /proc/self/status, such as VmHWM or VmRSS, in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"field {field} not found in /proc/self/status")


def reset_peak():
    """Reset VmHWM to the current resident size; return False where the kernel rejects it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def measure_call(function):
    """Call `function` once; return (result, seconds, peak KiB before, peak KiB after, reset)."""
    gc.collect()
    reset = reset_peak()
    before = read_status_kib("VmHWM")
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    after = read_status_kib("VmHWM")
    return result, seconds, before, after, reset


def run(workload_name, case_label, library, thread_count):
    start = time.perf_counter()
    from benchmarks import libraries
    from benchmarks.workloads import load_workload

    libraries.import_library(library, thread_count)
    import_seconds = time.perf_counter() - start

    start = time.perf_counter()
    workload = load_workload(workload_name)
    case = workload.make_case(case_label)
    candidate = libraries.build_candidate(library, workload, case, thread_count)
    setup_seconds = time.perf_counter() - start
    setup_peak = read_status_kib("VmHWM")

    result, first_seconds, first_before, first_after, reset = measure_call(candidate)
    del result
    result, second_seconds, second_before, second_after, _ = measure_call(candidate)
    del result
    return {
        "workload": workload_name,
        "case": case_label,
        "library": library,
        "import_seconds": import_seconds,
        "setup_seconds": setup_seconds,
        "first_call_seconds": first_seconds,
        "second_call_seconds": second_seconds,
        "setup_peak_kib": setup_peak,
        "first_call_peak_before_kib": first_before,
        "first_call_peak_after_kib": first_after,
        "second_call_peak_before_kib": second_before,
        "second_call_peak_after_kib": second_after,
        "peak_reset": reset,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", required=True, help="workload name, such as mlp")
    parser.add_argument("--case", default="", help="case label, such as float32 or n=1000")
    parser.add_argument("--library", required=True, help="library name, such as zygote_py")
    parser.add_argument("--threads", type=int, default=1, help="thread count for every library")
    arguments = parser.parse_args(argv)
    threads.configure_threads(arguments.threads)
    report = run(arguments.workload, arguments.case, arguments.library, arguments.threads)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
