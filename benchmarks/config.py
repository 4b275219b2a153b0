"""Settings of one benchmark run, shared by every section."""

import dataclasses

from benchmarks.timing import TimingPlan


@dataclasses.dataclass
class RunSettings:
    """The libraries, timing plan and probe limits of one run."""

    quick: bool
    libraries: list
    skipped_peers: dict
    thread_count: int
    plan: TimingPlan
    # Fresh processes per library for the first-call and memory readings.
    fresh_process_repeats: int
    # Limits of one fresh-process probe, so that quadratic growth cannot stall the run.
    probe_time_limit: float
    probe_rss_limit_mib: float


def make_settings(quick, libraries, skipped_peers, thread_count):
    if quick:
        plan = TimingPlan(repeats=7, sample_seconds=0.005, warmup_calls=2, budget_seconds=8.0)
        return RunSettings(quick, libraries, skipped_peers, thread_count, plan,
                           fresh_process_repeats=3, probe_time_limit=20.0,
                           probe_rss_limit_mib=4096.0)
    plan = TimingPlan(repeats=25, sample_seconds=0.02, warmup_calls=3, budget_seconds=60.0)
    return RunSettings(quick, libraries, skipped_peers, thread_count, plan,
                       fresh_process_repeats=7, probe_time_limit=60.0,
                       probe_rss_limit_mib=6144.0)
