"""The timing, comparison, probe and report helpers of the benchmark suite."""

import ast
import inspect
import math

import numpy as np
import pytest

from benchmarks import library_names, libraries, subprocesses, targets, transform_latency
from benchmarks.report import format_seconds, markdown_table
from benchmarks.timing import Failure, Timing, TimingPlan, time_interleaved

PLAN = TimingPlan(repeats=4, sample_seconds=0.001, warmup_calls=1, budget_seconds=5.0)


def test_relative_error_is_normwise():
    expected = np.array([3.0, 4.0])
    assert libraries.relative_error(expected + [0.0, 5e-7], expected) == pytest.approx(1e-7)
    assert libraries.relative_error(np.zeros(2), np.zeros(2)) == 0.0


def test_relative_error_rejects_missing_or_misshapen():
    assert math.isinf(libraries.relative_error(None, np.ones(2)))
    assert math.isinf(libraries.relative_error(np.ones(3), np.ones(2)))


def test_parse_peer_list_expands_jax():
    assert library_names.parse_peer_list("jax,torch") == ["jax", "jax-jit", "torch"]
    assert library_names.parse_peer_list("none") == []
    with pytest.raises(ValueError, match="unknown peer 'tf'"):
        library_names.parse_peer_list("tf")


def test_time_interleaved_reports_failure_and_times_others():
    calls = []

    def failing():
        raise ZeroDivisionError("division by zero")

    results = time_interleaved({"ok": lambda: calls.append(1), "bad": failing}, PLAN)
    assert isinstance(results["bad"], Failure)
    assert results["bad"].message == "ZeroDivisionError: division by zero"
    assert isinstance(results["ok"], Timing)
    assert len(results["ok"].samples) == PLAN.repeats
    assert results["ok"].median > 0


def test_time_interleaved_stops_slow_first_call():
    slow_plan = TimingPlan(repeats=4, sample_seconds=0.001, warmup_calls=1, budget_seconds=0.0)
    results = time_interleaved({"slow": lambda: sum(range(1000))}, slow_plan)
    assert results["slow"].samples == [results["slow"].first_call]
    assert "one call only" in results["slow"].note


def test_watchdog_stops_process_over_time_limit():
    report = subprocesses.run_module(["timeit", "-n", "1", "-r", "1", "import time; time.sleep(30)"],
                                     time_limit=0.5, rss_limit_mib=4096)
    assert report["error"].startswith("stopped: the process ran over its 0.5 s time limit")


def test_watchdog_stops_process_over_memory_limit():
    report = subprocesses.run_module(
        ["timeit", "-n", "1", "-r", "1", "import time; x = bytearray(400 << 20); time.sleep(30)"],
        time_limit=20, rss_limit_mib=200)
    assert report["error"].startswith("stopped: resident memory reached")


def test_probe_reports_time_and_peak_memory():
    report = subprocesses.run_probe("tiny_ops", "", "adjoint", 1, time_limit=60,
                                    rss_limit_mib=4096)
    assert "error" not in report, report.get("error")
    assert report["first_call_seconds"] > 0
    assert report["first_call_peak_after_kib"] >= report["first_call_peak_before_kib"]
    assert report["peak_reset"] is True


def test_compare_states_margin():
    assert targets.compare(1.5, 2.0).startswith("met")
    assert targets.compare(3.0, 2.0) == "missed by 50% (1.50x the target)"
    assert targets.compare(None, 2.0) == "not measured"


def test_markdown_table_aligns_columns():
    table = markdown_table(["a", "long header"], [["value", 1]])
    assert table.splitlines() == ["| a     | long header |",
                                  "|-------|-------------|",
                                  "| value | 1           |"]


def test_format_seconds_units():
    assert format_seconds(2.5e-7) == "250 ns"
    assert format_seconds(3.52e-6) == "3.52 µs"
    assert format_seconds(0.0425) == "42.5 ms"
    assert format_seconds(6.2) == "6.2 s"


def test_transform_latency_sources_have_stated_size():
    twenty = transform_latency.build_function(transform_latency.TWENTY_LINE_SOURCE)
    assert len(transform_latency.TWENTY_LINE_SOURCE.splitlines()) == 20
    assert inspect.getsource(twenty).startswith("def layer_")

    hundred = transform_latency.hundred_statement_source().replace("{index}", "0")
    tree = ast.parse(hundred)
    assert len(tree.body[0].body) == transform_latency.STATEMENT_COUNT


def test_transform_latency_functions_are_distinct():
    first = transform_latency.build_function(transform_latency.TWENTY_LINE_SOURCE)
    second = transform_latency.build_function(transform_latency.TWENTY_LINE_SOURCE)
    assert first.__code__ is not second.__code__
    assert first.__code__.co_filename != second.__code__.co_filename
    x = np.ones((3, 4))
    W = np.full((4, 4), 0.1)
    assert first(x, W, np.zeros(4), 1.0, 3) == pytest.approx(second(x, W, np.zeros(4), 1.0, 3))


def test_summary_marks_wrong_gradient():
    from benchmarks.config import make_settings
    from benchmarks.timed_workloads import CaseResult, LibraryResult, format_summary

    settings = make_settings(True, ["numpy", "adjoint", "zygote_py"], {}, 1)
    results = {
        "numpy": LibraryResult("numpy", median_seconds=1e-6, ratio=1.0),
        "adjoint": LibraryResult("adjoint", median_seconds=2e-6, ratio=2.0, gradient_error=0.0),
        "zygote_py": LibraryResult("zygote_py", median_seconds=3e-6, ratio=3.0,
                                   gradient_error=0.5),
    }
    summary = format_summary([CaseResult("tiny_ops", "", "tiny_ops", results)], settings)
    row = summary.splitlines()[2]
    assert "2.00 " in row
    assert "3.00 (wrong gradient)" in row
