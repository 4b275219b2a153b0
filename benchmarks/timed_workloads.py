"""The in-process section: every library on each case, timed round-robin in one process.

Before timing, each library's value and gradients are compared with the hand-written adjoint,
and the report shows the largest norm-wise relative error next to the time.
"""

import dataclasses

from benchmarks import libraries
from benchmarks.report import format_ratio, format_seconds, markdown_table, shorten
from benchmarks.timing import Failure, describe_exception, time_interleaved


# A relative error above this marks a gradient as wrong in the summary. It is well above the
# rounding differences of float32 between libraries (below 1e-6 on these workloads).
WRONG_GRADIENT_ERROR = 1e-5


@dataclasses.dataclass
class LibraryResult:
    """One library's outcome on one case."""

    library: str
    median_seconds: float = None
    ratio: float = None
    spread: float = None
    samples: int = 0
    calls_per_sample: int = 0
    gradient_error: float = None
    status: str = "ok"
    note: str = ""


@dataclasses.dataclass
class CaseResult:
    workload: str
    case: str
    title: str
    results: dict

    def ratio(self, library):
        result = self.results.get(library)
        return None if result is None else result.ratio


def build_candidates(workload, case, settings):
    """Return (callables by library, LibraryResult for each library that cannot run)."""
    candidates = {}
    unavailable = {}
    for library in settings.libraries:
        try:
            candidates[library] = libraries.build_candidate(library, workload, case,
                                                            settings.thread_count)
        except libraries.UnsupportedWorkload as error:
            unavailable[library] = LibraryResult(library, status="not supported",
                                                 note=str(error))
        except Exception as error:  # a library that fails to set up is reported, not raised
            unavailable[library] = LibraryResult(library, status="error",
                                                 note=describe_exception(error))
    return candidates, unavailable


def check_gradients(candidates):
    """Call each candidate once and compare it with the adjoint.

    Returns (errors by library, LibraryResult by library for those that raised). Raises
    RuntimeError if the hand-written adjoint itself fails, because then nothing can be checked.
    """
    reference = libraries.to_numpy_result("adjoint", candidates["adjoint"]())
    errors = {}
    failures = {}
    for library, function in candidates.items():
        if library == "numpy":
            continue
        try:
            result = libraries.to_numpy_result(library, function())
        except Exception as error:  # reported in the table, with the library's message
            failures[library] = LibraryResult(library, status="error",
                                              note=describe_exception(error))
            continue
        errors[library] = libraries.gradient_error(result, reference)
    return errors, failures


def run_case(workload, case, settings):
    """Check and time every selected library on one case; return a CaseResult."""
    candidates, results = build_candidates(workload, case, settings)
    for library in ("numpy", "adjoint"):
        if library not in candidates:
            raise RuntimeError(f"{case.title}: the {library} reference failed: "
                               f"{results[library].note}")
    errors, failures = check_gradients(candidates)
    results.update(failures)
    for library in failures:
        del candidates[library]

    timings = time_interleaved(candidates, settings.plan)
    forward = timings.get("numpy")
    forward_median = None if isinstance(forward, Failure) else forward.median
    for library, timing in timings.items():
        if isinstance(timing, Failure):
            results[library] = LibraryResult(library, status="error", note=timing.message)
            continue
        results[library] = LibraryResult(
            library,
            median_seconds=timing.median,
            ratio=timing.median / forward_median if forward_median else None,
            spread=timing.spread,
            samples=len(timing.samples),
            calls_per_sample=timing.number,
            gradient_error=errors.get(library),
            note=timing.note,
        )
    return CaseResult(workload.NAME, case.label, case.title, results)


def run_workload(workload, settings):
    return [run_case(workload, workload.make_case(label), settings)
            for label in workload.case_labels(settings.quick)]


def format_details(case_results, settings):
    """Return the long table: one row per case and library."""
    rows = []
    for case_result in case_results:
        for library in settings.libraries:
            result = case_result.results.get(library)
            if result is None:
                continue
            error = "" if result.gradient_error is None else f"{result.gradient_error:.1e}"
            spread = "" if result.spread is None else f"{result.spread:.0%}"
            samples = (f"{result.samples} x {result.calls_per_sample}" if result.samples else "")
            rows.append([case_result.title, library,
                         format_seconds(result.median_seconds) if result.status == "ok"
                         else result.status,
                         format_ratio(result.ratio), spread, samples, error,
                         shorten(result.note)])
    header = ["workload", "library", "median", "ratio to NumPy forward", "IQR / median",
              "samples x calls", "gradient rel. error", "note"]
    return markdown_table(header, rows)


def format_summary(case_results, settings):
    """Return the ratio matrix: one row per case, one column per library."""
    shown = [library for library in settings.libraries if library != "numpy"]
    rows = []
    for case_result in case_results:
        forward = case_result.results.get("numpy")
        row = [case_result.title,
               format_seconds(forward.median_seconds if forward else None)]
        for library in shown:
            result = case_result.results.get(library)
            if result is None:
                row.append("")
            elif result.status == "ok":
                cell = format_ratio(result.ratio)
                if result.gradient_error is not None and \
                        result.gradient_error > WRONG_GRADIENT_ERROR:
                    cell += " (wrong gradient)"
                row.append(cell)
            else:
                row.append(result.status)
        rows.append(row)
    return markdown_table(["workload", "NumPy forward"] + shown, rows)


def to_json(case_results):
    return [{"workload": case_result.workload, "case": case_result.case,
             "results": {library: dataclasses.asdict(result)
                         for library, result in case_result.results.items()}}
            for case_result in case_results]
