"""The digits_epoch section: one training epoch of the digits job, flux against its peers.

The job lives in `benchmarks/train_digits.py`, which another part of the project owns. This
section calls its `run_epoch()`, which runs one flux epoch through zygote_py and builds the model
on first use. Where the module offers them and the peer is selected, it also runs the epochs
built by `torch_epoch_function(x, labels, threads)` and `jax_epoch_function(x, labels, threads)`
on the data from `load_data()`, with this run's thread count. The epochs are timed round-robin like the other workloads. The times are
absolute: no NumPy-only forward pass of the job exists to divide by. Without flux or the job
module, the section reports why it was skipped.
"""

import contextlib
import importlib
import importlib.util
import inspect
import io
import pathlib
import statistics

from benchmarks import libraries
from benchmarks.report import format_seconds, markdown_table, shorten
from benchmarks.timing import Failure, TimingPlan, describe_exception, time_interleaved

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent

# Peer epoch builders of the job module, keyed by the library name that selects them.
PEER_BUILDERS = {"torch": "torch_epoch_function", "jax-jit": "jax_epoch_function"}


def load_job():
    """Return (module, None) for the digits job, or (None, reason it is unavailable)."""
    flux_present = (REPOSITORY / "flux" / "__init__.py").exists()
    if not flux_present or importlib.util.find_spec("flux") is None:
        return None, "flux is not installed yet (flux/__init__.py is missing)"
    if not (REPOSITORY / "benchmarks" / "train_digits.py").exists():
        return None, "benchmarks/train_digits.py does not exist yet"
    module = importlib.import_module("benchmarks.train_digits")
    if not callable(getattr(module, "run_epoch", None)):
        return None, "benchmarks/train_digits.py defines no run_epoch()"
    return module, None


def build_candidates(module, settings):
    """Return (epoch callables by label, notes) for flux and each available peer."""
    candidates = {"zygote_py (flux)": module.run_epoch}
    notes = []
    load_data = getattr(module, "load_data", None)
    if load_data is None:
        return candidates, ["the job module has no load_data(), so no peer runs"]
    # load_data prints a line when it falls back to random data; keep it out of the report.
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        x, labels = load_data()
    if printed.getvalue().strip():
        notes.append(printed.getvalue().strip())
    for library, builder_name in PEER_BUILDERS.items():
        builder = getattr(module, builder_name, None)
        if library not in settings.libraries or builder is None:
            continue
        try:
            libraries.import_library(library, settings.thread_count)
            if "threads" in inspect.signature(builder).parameters:
                candidates[library] = builder(x, labels, threads=settings.thread_count)
            else:
                candidates[library] = builder(x, labels)
        except Exception as error:  # a peer that fails to build is reported, not raised
            notes.append(f"{library}: {describe_exception(error)}")
    return candidates, notes


def run(settings):
    """Return a dict with per-library epoch times in seconds, or with `skipped` or `error`."""
    try:
        module, reason = load_job()
    except Exception as error:  # the job's own import errors are reported, not raised
        return {"error": f"importing the digits job failed: {describe_exception(error)}"}
    if module is None:
        return {"skipped": reason}
    candidates, notes = build_candidates(module, settings)
    plan = TimingPlan(repeats=3 if settings.quick else 7, sample_seconds=0.0,
                      warmup_calls=1, budget_seconds=settings.plan.budget_seconds)
    timings = time_interleaved(candidates, plan)
    results = {}
    for label, timing in timings.items():
        if isinstance(timing, Failure):
            results[label] = {"error": timing.message}
        else:
            results[label] = {"first_epoch_seconds": timing.first_call,
                              "epoch_seconds": timing.samples, "note": timing.note}
    return {"results": results, "notes": notes}


def format_result(result):
    if "skipped" in result or "error" in result:
        status = "skipped" if "skipped" in result else "error"
        return markdown_table(["workload", "status", "reason"],
                              [["digits_epoch", status,
                                shorten(result.get("skipped") or result.get("error"))]])
    rows = []
    flux_time = None
    for label, timing in result["results"].items():
        if "error" in timing:
            rows.append([label, "error", "", "", "", shorten(timing["error"])])
            continue
        median = statistics.median(timing["epoch_seconds"])
        if flux_time is None and label.startswith("zygote_py"):
            flux_time = median
        relative = f"{flux_time / median:.2f}" if flux_time else ""
        rows.append([label, format_seconds(median), format_seconds(timing["first_epoch_seconds"]),
                     len(timing["epoch_seconds"]), relative, shorten(timing["note"])])
    table = markdown_table(["library", "epoch (median)", "first epoch", "epochs timed",
                            "zygote_py (flux) time / this time", "note"], rows)
    notes = "".join(f"\n\nNote: {shorten(note, 300)}" for note in result["notes"])
    return table + notes
