"""Interleaved wall-clock timing of several callables in one process.

Each repeat runs every candidate once, in an order that rotates from repeat to repeat, so that
slow drifts of the machine (frequency, other processes, memory state) fall on all candidates
alike. A sample is the mean of `number` back-to-back calls, with `number` calibrated so that a
sample lasts about `sample_seconds`. The garbage collector stays enabled, because reference
cycles that a library creates per call are part of its cost.
"""

import dataclasses
import statistics
import time


@dataclasses.dataclass
class Timing:
    """Per-call times of one candidate, in seconds."""

    samples: list
    number: int
    first_call: float
    note: str = ""

    @property
    def median(self):
        return statistics.median(self.samples)

    @property
    def spread(self):
        """Interquartile range divided by the median; 0 for fewer than four samples."""
        if len(self.samples) < 4:
            return 0.0
        quartiles = statistics.quantiles(self.samples, n=4)
        return (quartiles[2] - quartiles[0]) / self.median


@dataclasses.dataclass
class Failure:
    """A candidate that raised; `message` is the exception type and text."""

    message: str


@dataclasses.dataclass
class TimingPlan:
    """How long and how often to measure one workload."""

    repeats: int
    sample_seconds: float
    warmup_calls: int
    budget_seconds: float
    min_repeats: int = 3


def describe_exception(error):
    text = str(error).strip().splitlines()
    first_line = text[0] if text else ""
    return f"{type(error).__name__}: {first_line}"


def time_interleaved(candidates, plan):
    """Time each callable in `candidates` (a dict of name to zero-argument callable).

    Returns a dict of name to `Timing` or `Failure`. A candidate whose first call raises is a
    `Failure` and is not called again. A candidate whose first call alone takes more than
    `plan.budget_seconds` is not repeated: its `Timing` contains that single call.
    """
    results = {}
    active = {}
    for name, function in candidates.items():
        try:
            start = time.perf_counter()
            function()
            first_call = time.perf_counter() - start
            if first_call > plan.budget_seconds:
                results[name] = Timing([first_call], 1, first_call,
                                       note=f"one call only: it took over the "
                                            f"{plan.budget_seconds:g} s budget")
                continue
            for _ in range(plan.warmup_calls - 1):
                function()
            start = time.perf_counter()
            function()
            per_call = time.perf_counter() - start
        except Exception as error:  # any library error is reported, not raised
            results[name] = Failure(describe_exception(error))
            continue
        number = max(1, round(plan.sample_seconds / max(per_call, 1e-9)))
        active[name] = (function, number)
        results[name] = Timing([], number, first_call)

    names = list(active)
    started = time.perf_counter()
    for repeat in range(plan.repeats):
        shift = repeat % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            function, number = active[name]
            start = time.perf_counter()
            for _ in range(number):
                function()
            results[name].samples.append((time.perf_counter() - start) / number)
        elapsed = time.perf_counter() - started
        if repeat + 1 >= plan.min_repeats and elapsed > plan.budget_seconds:
            for name in names:
                results[name].note = (f"{repeat + 1} of {plan.repeats} repeats: the workload "
                                      f"reached its {plan.budget_seconds:g} s budget")
            break
    return results
