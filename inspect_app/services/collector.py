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


# Past this many rule findings held by a screen, the collector's full passes (one every ten or so
# keystrokes' garbage in the county's ledger) walk them each time: at 300,000 tenants 316,000
# findings and their lists are 600,000 objects, and each pass stopped a keystroke for 300 ms.
SET_ASIDE_FROM = 100_000


def set_aside(count: int) -> bool:
    """When `count` (the objects a screen holds for as long as it is open) reaches SET_ASIDE_FROM:
    every object now tracked left out of the collector's later passes (gc.freeze, as start-up
    does: inspect_app/app.py). Called under `collector_paused` right after they are made, so the
    collector never walks them; any garbage made before is set aside with them until
    `take_back`, which the screen calls when it lets them go. Returns whether it did."""
    if count < SET_ASIDE_FROM:
        return False
    gc.freeze()
    return True


def take_back() -> None:
    """After `set_aside`, once the screen let go of what it held (its own objects hold cycles): all
    back in the collector's care, one collection for what became garbage since, and what is
    still alive (start-up's, the screens under it) set aside again. The closing screen is still
    alive while it closes, so it is set aside too; the next `take_back` collects it: one closed
    screen's widgets at most stay out of reach, never its findings (the screen drops them first)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
