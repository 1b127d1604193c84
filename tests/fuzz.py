"""Shared sizing and guards for the fuzz tests (tests/test_fuzz_*.py).

Each test names how many inputs it tries by default (kept small: the whole default suite stays
short); `HYPOTHESIS_PROFILE=long` (registered in tests/conftest.py) multiplies them by LONG_FACTOR.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, settings

from db.store import Store

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
LONG_FACTOR = 50


def fuzz_settings(examples: int, **overrides) -> settings:
    """`examples` inputs by default, LONG_FACTOR times as many under the long profile.

    Hypothesis' check against function-scoped fixtures stays on: a pytest fixture is made once for
    all of a test's inputs, so state an input's claim depends on (a refused file writes nothing)
    is made per input inside the test, e.g. with `fresh_store`."""
    return settings(max_examples=examples * (LONG_FACTOR if LONG else 1), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much],
                    **overrides)


@contextlib.contextmanager
def fresh_store(template: Path, folder: Path) -> Iterator[Store]:
    """A store on a copy of `template` in the new folder `folder`: one input's own database, made in
    milliseconds (a file copy) instead of migrating and filling a new one."""
    # A template is copied closed, its WAL checkpointed into the file: a copy without it would miss writes.
    assert not Path(f"{template}-wal").exists(), template
    folder.mkdir(parents=True)
    path = folder / "parkinspect.db"
    shutil.copyfile(template, path)
    store = Store.open(path)
    try:
        yield store
    finally:
        store.close()


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
