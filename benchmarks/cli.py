"""Command line of the benchmark suite: `python -m benchmarks`.

This module imports only the standard library at import time, because the thread settings must
be in place before NumPy or any peer library loads.
"""

import argparse
import json
import logging
import os
import shlex
import statistics
import sys
import time

from benchmarks import library_names, threads
from benchmarks.report import format_mib, format_ratio, format_seconds, markdown_table, shorten
from benchmarks.targets import (FIRST_CALL_TARGET_SECONDS, MLP_PEAK_MEMORY_TARGET_MIB,
                                RATIO_TARGETS, compare)

TIMED_WORKLOADS = ("tiny_ops", "scalar_loop", "mlp", "matmul_chain", "newton_while")
SECTIONS = TIMED_WORKLOADS + ("indexing_loop", "digits_epoch", "first_call", "mlp_memory",
                              "transform_latency", "checkpoint_memory")

log = logging.getLogger("benchmarks")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time value-and-gradient computations of zygote_py, a hand-written NumPy "
                    "adjoint and the installed peer libraries, as ratios to the NumPy forward "
                    "pass.")
    parser.add_argument("--quick", action="store_true",
                        help="7 repeats of samples of about 5 ms, where a full run takes 25 of "
                             "about 20 ms")
    parser.add_argument("--only", metavar="NAME[,NAME...]",
                        help=f"run only these sections: {', '.join(SECTIONS)}")
    parser.add_argument("--peers", metavar="LIST",
                        help="comma-separated peers to run: autograd, jax (eager and jit), "
                             "jax-jit, torch, or none (default: every installed peer)")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH")
    parser.add_argument("--threads", type=int, default=1,
                        help="thread count for every library (default 1)")
    arguments = parser.parse_args(argv)
    if arguments.only:
        arguments.only = [name.strip() for name in arguments.only.split(",") if name.strip()]
        unknown = [name for name in arguments.only if name not in SECTIONS]
        if unknown:
            parser.error(f"unknown section {', '.join(unknown)} in --only; expected names from "
                         f"{', '.join(SECTIONS)}")
    else:
        arguments.only = list(SECTIONS)
    if arguments.peers is not None:
        try:
            arguments.peers = library_names.parse_peer_list(arguments.peers)
        except ValueError as error:
            parser.error(str(error))
    if arguments.threads < 1:
        parser.error(f"invalid --threads {arguments.threads}: expected 1 or more")
    return arguments


def select_libraries(requested_peers):
    """Return (libraries to run, {peer: reason it is skipped}); None requests every peer."""
    if requested_peers is None:
        requested_peers = library_names.PEER_LIBRARIES
    selected = list(library_names.REFERENCE_LIBRARIES)
    skipped = {}
    for peer in library_names.PEER_LIBRARIES:
        if peer not in requested_peers:
            continue
        package = library_names.missing_package(peer)
        if package:
            skipped[peer] = f"package {package} is not installed"
        else:
            selected.append(peer)
    return selected, skipped


class Run:
    """The printed report and the JSON record of one run, filled in section by section."""

    def __init__(self, arguments, settings):
        self.arguments = arguments
        self.settings = settings
        self.record = {}
        self.target_rows = []

    def section(self, title, text):
        print(f"\n## {title}\n\n{text}", flush=True)

    def wants(self, name):
        return name in self.arguments.only


def run_timed(run):
    from benchmarks import timed_workloads
    from benchmarks.workloads import load_workload

    case_results = []
    for name in TIMED_WORKLOADS:
        if not run.wants(name):
            continue
        workload = load_workload(name)
        log.info("running %s", name)
        case_results.extend(timed_workloads.run_workload(workload, run.settings))
    return case_results


def run_indexing(run):
    from benchmarks import indexing

    log.info("running indexing_loop (fresh-process probes, then in-process timing)")
    case_results, probes = indexing.run(run.settings)
    run.record["indexing_loop_probes"] = [{"library": library, "case": case, "report": report}
                                          for (library, case), report in probes.items()]
    growth = indexing.format_growth(case_results, probes, run.settings)
    return case_results, growth


def add_ratio_targets(run, case_results):
    for case_result in case_results:
        target = RATIO_TARGETS.get((case_result.workload, case_result.case))
        if target is None:
            continue
        result = case_result.results.get("zygote_py")
        ratio = None
        if result is None:
            measured = "not run"
        elif result.ratio is None:
            measured = shorten(f"{result.status}: {result.note}")
        else:
            ratio = result.ratio
            measured = format_ratio(ratio)
        run.target_rows.append([f"{case_result.title}: ratio to NumPy forward",
                                f"<= {target}", measured, compare(ratio, target)])


def run_fresh_process(run):
    from benchmarks import fresh_process

    log.info("running first_call and mlp_memory (fresh processes)")
    reports = fresh_process.run(run.settings)
    run.record["fresh_process"] = fresh_process.to_json(reports)
    if run.wants("first_call"):
        run.section("first_call: first gradient call of the mlp float32 loss in a fresh process",
                    fresh_process.format_first_call(reports, run.settings))
        seconds = fresh_process.first_call_seconds(reports, "zygote_py")
        run.target_rows.append(["first_call (mlp float32)",
                                format_seconds(FIRST_CALL_TARGET_SECONDS),
                                format_seconds(seconds) if seconds is not None else "error",
                                compare(seconds, FIRST_CALL_TARGET_SECONDS)])
    if run.wants("mlp_memory"):
        run.section("mlp_memory: peak memory of the mlp gradient in a fresh process",
                    fresh_process.format_memory(reports, run.settings))
        mib = fresh_process.zygote_memory_mib(reports)
        run.target_rows.append(["mlp float32 peak memory over setup (first call)",
                                f"{MLP_PEAK_MEMORY_TARGET_MIB:g} MiB",
                                f"{format_mib(mib)} MiB" if mib is not None else "error",
                                compare(mib, MLP_PEAK_MEMORY_TARGET_MIB)])


def run_transform_latency(run):
    from benchmarks import transform_latency

    log.info("running transform_latency")
    results = transform_latency.run(5 if run.settings.quick else 30)
    run.record["transform_latency"] = results
    run.section("transform_latency: zygote_py.differentiable on fresh functions",
                transform_latency.format_results(results))
    for description, result in results.items():
        target = transform_latency.TARGETS[description]
        seconds = statistics.median(result["seconds"]) if "seconds" in result else None
        run.target_rows.append([f"transform of a {description}", format_seconds(target),
                                format_seconds(seconds) if seconds is not None else "error",
                                compare(seconds, target)])


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    threads.configure_threads(arguments.threads)
    # Progress goes to stderr through this package's logger only, so that the INFO messages
    # of peer libraries stay off.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s", datefmt="%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    started = time.perf_counter()

    from benchmarks import checkpoint_memory, config, digits_epoch, machine, timed_workloads

    libraries, skipped = select_libraries(arguments.peers)
    settings = config.make_settings(arguments.quick, libraries, skipped, arguments.threads)
    run = Run(arguments, settings)
    facts = machine.describe_machine(arguments.threads)
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)
    run.record.update({"command": command.strip(), "machine": facts,
                       "libraries": libraries, "skipped_peers": skipped})

    print("# zygote_py benchmarks\n")
    print(f"command: `{command.strip()}`\n")
    print(machine.format_machine(facts))
    print(f"- libraries: {', '.join(libraries)}")
    for peer, reason in skipped.items():
        print(f"- skipped {peer}: {reason}")
    plan = settings.plan
    print(f"- timing: {plan.repeats} round-robin repeats after {plan.warmup_calls} warm-up "
          f"calls, samples of about {plan.sample_seconds * 1e3:g} ms, at most "
          f"{plan.budget_seconds:g} s per case", flush=True)

    case_results = run_timed(run)
    growth = None
    if run.wants("indexing_loop"):
        indexing_results, growth = run_indexing(run)
        case_results.extend(indexing_results)
    if case_results:
        add_ratio_targets(run, case_results)
        run.record["timed"] = timed_workloads.to_json(case_results)
        run.section("Value and gradient time as a ratio to the NumPy forward pass",
                    timed_workloads.format_summary(case_results, settings))
        run.section("Details", timed_workloads.format_details(case_results, settings))
    if growth is not None:
        run.section("indexing_loop: growth of time and memory with n", growth)

    if run.wants("digits_epoch"):
        log.info("running digits_epoch")
        result = digits_epoch.run(settings)
        run.record["digits_epoch"] = result
        run.section("digits_epoch", digits_epoch.format_result(result))

    if run.wants("first_call") or run.wants("mlp_memory"):
        run_fresh_process(run)
    if run.wants("transform_latency"):
        run_transform_latency(run)
    if run.wants("checkpoint_memory"):
        log.info("running checkpoint_memory")
        result = checkpoint_memory.run(arguments.threads)
        run.record["checkpoint_memory"] = result
        run.section("checkpoint_memory: 50-layer tanh chain",
                    checkpoint_memory.format_results(result))

    if run.target_rows:
        run.section("zygote_py targets",
                    markdown_table(["target", "limit", "measured", "result"],
                                   run.target_rows))
        run.record["targets"] = run.target_rows
    elapsed = time.perf_counter() - started
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nTotal run time: {elapsed:.0f} s. Load average (1, 5, 15 min) at the end: {load}.",
          flush=True)
    if arguments.json:
        with open(arguments.json, "w") as output:
            json.dump(run.record, output, indent=1, default=str)
        log.info("wrote %s", arguments.json)
    return 0
