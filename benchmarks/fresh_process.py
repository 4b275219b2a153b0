"""The fresh-process section: first-call time and peak memory of the mlp gradient.

Every library runs the mlp case in new Python processes (`benchmarks.probe`), one per reading,
taking turns library by library. The first call includes everything a library does on first
use (zygote_py's source transformation and compilation, JAX's tracing and XLA compilation).
Memory is the growth of the peak resident set size (VmHWM) during the call over its value at
the end of setup. Setup includes the imports and the inputs.
"""

import statistics

from benchmarks import subprocesses
from benchmarks.indexing import peak_growth_mib
from benchmarks.report import format_mib, format_seconds, markdown_table, shorten
from benchmarks.targets import (FIRST_CALL_TARGET_SECONDS, MLP_PEAK_MEMORY_TARGET_MIB,
                                compare)

DTYPES = ("float32", "float64")


def run(settings):
    """Return the probe reports as {(library, dtype): [report, ...]}."""
    reports = {(library, dtype): [] for library in settings.libraries for dtype in DTYPES}
    for _ in range(settings.fresh_process_repeats):
        for dtype in DTYPES:
            for library in settings.libraries:
                earlier = reports[library, dtype]
                if earlier and "error" in earlier[-1]:
                    continue
                earlier.append(subprocesses.run_probe(
                    "mlp", dtype, library, settings.thread_count,
                    settings.probe_time_limit, settings.probe_rss_limit_mib))
    return reports


def successful(reports):
    return [report for report in reports if "error" not in report]


def median_of(reports, key):
    values = [report[key] for report in successful(reports)]
    return statistics.median(values) if values else None


def median_growth(reports, call):
    values = [peak_growth_mib(report, call) for report in successful(reports)]
    return statistics.median(values) if values else None


def first_error(reports):
    errors = [report["error"] for report in reports if "error" in report]
    return errors[0] if errors else ""


def first_call_seconds(reports, library):
    return median_of(reports[library, "float32"], "first_call_seconds")


def zygote_memory_mib(reports):
    return median_growth(reports.get(("zygote_py", "float32"), []), "first")


def format_first_call(reports, settings):
    rows = []
    for library in settings.libraries:
        runs = reports[library, "float32"]
        completed = successful(runs)
        if not completed:
            rows.append([library, "error", "", "", "", shorten(first_error(runs))])
            continue
        first = [report["first_call_seconds"] for report in completed]
        spread = f"{format_seconds(min(first))} to {format_seconds(max(first))}"
        note = ""
        if library == "zygote_py":
            note = compare(statistics.median(first), FIRST_CALL_TARGET_SECONDS)
        rows.append([library, format_seconds(statistics.median(first)), spread,
                     format_seconds(median_of(runs, "second_call_seconds")),
                     format_seconds(median_of(runs, "import_seconds")), note])
    header = ["library", "first call (median)", "first call (min to max)", "second call",
              "import", "zygote_py target <= 25 ms"]
    return markdown_table(header, rows)


def format_memory(reports, settings):
    rows = []
    for library in settings.libraries:
        for dtype in DTYPES:
            runs = reports[library, dtype]
            if not successful(runs):
                rows.append([library, dtype, "error", "", "", shorten(first_error(runs))])
                continue
            first = median_growth(runs, "first")
            note = ""
            if library == "zygote_py" and dtype == "float32":
                note = compare(first, MLP_PEAK_MEMORY_TARGET_MIB)
            setup = median_of(runs, "setup_peak_kib") / 1024
            rows.append([library, dtype, format_mib(first),
                         format_mib(median_growth(runs, "second")), f"{setup:.0f}", note])
    header = ["library", "dtype", "first call: peak growth over setup (MiB)",
              "second call: peak growth (MiB)", "peak at end of setup (MiB)",
              "zygote_py float32 target <= 4 MiB"]
    return markdown_table(header, rows)


def to_json(reports):
    return [{"library": library, "dtype": dtype, "runs": runs}
            for (library, dtype), runs in reports.items()]
