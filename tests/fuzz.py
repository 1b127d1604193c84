"""Shared sizing and guards for the fuzz tests (tests/test_fuzz_*.py).

Each test names how many inputs it tries by default (kept small: the whole default suite stays
short); `HYPOTHESIS_PROFILE=long` (registered in tests/conftest.py) multiplies them by LONG_FACTOR.
"""

from __future__ import annotations

import contextlib
import os
import signal

from hypothesis import HealthCheck, settings

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
LONG_FACTOR = 50


def fuzz_settings(examples: int, **overrides) -> settings:
    """`examples` inputs by default, LONG_FACTOR times as many under the long profile."""
    return settings(max_examples=examples * (LONG_FACTOR if LONG else 1), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
                    **overrides)


class Hang(Exception):
    """The code under test ran past its time: a hang, reported as a failure."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail with Hang when the block runs longer than `seconds` (SIGALRM; main thread only)."""

    def expired(_signum, _frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
