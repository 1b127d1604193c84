"""Helpers for driving the app with Textual's Pilot."""

from __future__ import annotations


async def settle(app, pilot) -> None:
    """Let the screen react, every thread worker finish, and the results be shown."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
