"""Python's cycle collector paused while a service makes tens of thousands of small rows."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the rows and results are made. They hold no cycles, but
    making 30,000 of each sets the collector off again and again, and each time it walks every
    object of the process (the whole app's, in the TUI): half the time of the county's rules or 亩均 classes
    (docs/PERFORMANCE.md). Switched back on after, as it was."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
