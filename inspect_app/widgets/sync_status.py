"""The sync status line of the park list and the ledger: pending changes, last sync, conflicts.

Read in a thread worker (services/sync_status.py) when shown, every REFRESH_SECONDS (edits add
pending changes) and when the app's sync finishes; while a sync runs it shows its progress.
"""

from __future__ import annotations

from textual import work
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app.widgets.plain import Static

REFRESH_SECONDS = 15


class SyncStatusLine(Static):
    DEFAULT_CSS = """
    SyncStatusLine {
        height: 1;
        padding: 0 1;
        background: $boost;
        color: $text-muted;
    }
    """

    def __init__(self):
        super().__init__("", id="sync-status")

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(REFRESH_SECONDS, self.refresh_status)

    def refresh_status(self) -> None:
        running = getattr(self.app, "sync_progress", None)
        if running is not None:
            self.update(t("tui.sync.status_running", stage=running))
        else:
            self._load()

    @work(thread=True, exclusive=True, group="sync-status")
    def _load(self) -> None:
        from inspect_app.services.sync_status import sync_status  # a service: not at start-up

        status = sync_status(self.app.store, self.app.settings.hub_file)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, status)

    def _show(self, status) -> None:
        if getattr(self.app, "sync_progress", None) is not None:
            return  # a sync started meanwhile: its progress is what matters
        if status.never_connected:
            text = t("tui.sync.status_not_connected")
        elif status.hub_url is None:
            text = t("tui.sync.status_no_hub", pending=status.pending)
        elif status.last_sync_at is None:
            text = t("tui.sync.status_never", pending=status.pending)
        else:
            text = t("tui.sync.status", pending=status.pending, when=status.last_sync_at.strftime("%m-%d %H:%M"))
        if status.conflicts:
            text += t("tui.sync.status_conflicts", conflicts=status.conflicts)
        if status.rejected:
            text += t("tui.sync.status_rejected", rejected=status.rejected)
        if status.set_aside:
            text += t("tui.sync.status_set_aside", set_aside=status.set_aside)
        self.update(text)
