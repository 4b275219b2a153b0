"""The indexing_loop section: time and peak memory of scalar reads in a loop, at three sizes.

Each library first runs every size in a fresh process under the probe watchdog, which gives the
peak memory growth of one call and stops a library whose time or memory grows too fast. A
library that fails at one size is not run at larger sizes. The sizes that passed are then timed
round-robin in this process like the other workloads.
"""

import dataclasses

from benchmarks import subprocesses, timed_workloads
from benchmarks.report import format_mib, format_ratio, format_seconds, markdown_table, shorten
from benchmarks.workloads import load_workload

KIB_PER_MIB = 1024


def peak_growth_mib(probe, call):
    """Return the peak resident growth of the probe's first or second call, in MiB."""
    if "error" in probe:
        return None
    before = probe[f"{call}_call_peak_before_kib"]
    after = probe[f"{call}_call_peak_after_kib"]
    return (after - before) / KIB_PER_MIB


def run_probes(workload, settings):
    """Run every (library, size) in a fresh process; return the reports by (library, label)."""
    probes = {}
    failed_at = {}
    for label in workload.case_labels(settings.quick):
        for library in settings.libraries:
            if library in failed_at:
                probes[library, label] = {"error": f"not run, because {failed_at[library]} "
                                                   f"failed"}
                continue
            probe = subprocesses.run_probe(workload.NAME, label, library, settings.thread_count,
                                           settings.probe_time_limit,
                                           settings.probe_rss_limit_mib)
            probes[library, label] = probe
            if "error" in probe:
                failed_at[library] = label
    return probes


def fits_in_process(probe, settings):
    """Tell whether timing the library in this process stays within the run's budget."""
    if "error" in probe:
        return False
    calls = settings.plan.warmup_calls + settings.plan.min_repeats + 1
    slowest = max(probe["first_call_seconds"], probe["second_call_seconds"])
    return slowest * calls <= settings.plan.budget_seconds


def run(settings):
    """Return (case results with probe data attached, probe reports) for every size."""
    workload = load_workload("indexing_loop")
    probes = run_probes(workload, settings)
    case_results = []
    for label in workload.case_labels(settings.quick):
        in_process = [library for library in settings.libraries
                      if library in ("numpy", "adjoint")
                      or fits_in_process(probes[library, label], settings)]
        local_settings = dataclasses.replace(settings, libraries=in_process)
        case_result = timed_workloads.run_case(workload, workload.make_case(label),
                                               local_settings)
        forward = case_result.results["numpy"].median_seconds
        for library in settings.libraries:
            if library in case_result.results:
                continue
            probe = probes[library, label]
            if "error" in probe:
                case_result.results[library] = timed_workloads.LibraryResult(
                    library, status="error", note=probe["error"])
                continue
            seconds = probe["second_call_seconds"]
            case_result.results[library] = timed_workloads.LibraryResult(
                library, median_seconds=seconds, ratio=seconds / forward, samples=1,
                calls_per_sample=1,
                note="one call in a fresh process: too slow to repeat within the budget")
        case_results.append(case_result)
    return case_results, probes


def format_growth(case_results, probes, settings):
    """Return a table of time and peak memory per size, with the growth from size to size."""
    rows = []
    for library in settings.libraries:
        previous_time = None
        previous_memory = None
        for case_result in case_results:
            result = case_result.results[library]
            probe = probes[library, case_result.case]
            memory = peak_growth_mib(probe, "first")
            seconds = result.median_seconds if result.status == "ok" else None
            time_growth = (format_ratio(seconds / previous_time)
                           if seconds and previous_time else "")
            memory_growth = (format_ratio(memory / previous_memory)
                             if memory and previous_memory and previous_memory >= 1.0 else "")
            rows.append([library, case_result.case,
                         format_seconds(seconds) if seconds else result.status,
                         time_growth, format_mib(memory), memory_growth,
                         shorten(result.note if result.status != "ok" else probe.get("error", ""))])
            previous_time, previous_memory = seconds, memory
    header = ["library", "size", "median time", "time growth from previous size",
              "first-call peak memory over setup (MiB)", "memory growth from previous size",
              "note"]
    return markdown_table(header, rows)
