"""Profile zygote_py's value-and-gradient calls on one workload with cProfile.

Usage: python -m benchmarks.profile_zygote --workload tiny_ops [--case LABEL] [--calls N]

The compilation happens in an untimed first call, so the profile shows the per-call cost of the
generated code and the runtime: the functions with the largest own time, then the largest
cumulative time.
"""

import argparse
import cProfile
import io
import pstats

from benchmarks import threads


def profile(workload_name, case_label, calls, rows):
    """Return the text of the cProfile statistics of `calls` gradient calls."""
    from benchmarks import libraries
    from benchmarks.workloads import load_workload

    workload = load_workload(workload_name)
    case = workload.make_case(case_label)
    candidate = libraries.build_candidate("zygote_py", workload, case, thread_count=1)
    candidate()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        candidate()
    profiler.disable()
    output = io.StringIO()
    statistics = pstats.Stats(profiler, stream=output)
    statistics.sort_stats("tottime").print_stats(rows)
    statistics.sort_stats("cumulative").print_stats(rows)
    return output.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="tiny_ops", help="workload name (default tiny_ops)")
    parser.add_argument("--case", default="", help="case label, such as float32 for mlp")
    parser.add_argument("--calls", type=int, default=5000, help="profiled calls (default 5000)")
    parser.add_argument("--rows", type=int, default=25, help="rows per listing (default 25)")
    arguments = parser.parse_args(argv)
    threads.configure_threads(1)
    print(profile(arguments.workload, arguments.case, arguments.calls, arguments.rows))


if __name__ == "__main__":
    main()
