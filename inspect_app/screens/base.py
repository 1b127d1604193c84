"""The base every screen of the app derives from: typed access to the app, the hooks the app calls,
and the data-changed notifications.

- `self.app` is the `ParkInspectApp` (typed for checkers: `app.store`, `app.today`, navigation).
- Hooks the app calls on the current screen, with defaults here so that the app never probes with
  `getattr`: `palette_commands()` (the screen's lines in the command palette), `before_quit()`
  (Ctrl+Q; False keeps the app open), `ENTER_MOVES_FOCUS` (Enter goes to the next field:
  inspect_app/bindings.py, rule 5).
- Data changed: a screen that saves something other screens show calls `announce(TENANT, ...)`,
  which posts one `DataChanged` message to the app; the app hands it to every screen in the stack
  (`ParkInspectApp.on_data_changed`). A screen lists the kinds it shows in `SHOWS` and reads again
  in `refresh_data()`: at once when it is the screen in front (a sync pulled rows), else when it is
  shown again. No screen calls another screen's reload.

Kept free of heavy imports: the park list derives from it and must paint fast (ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import SystemCommand
from textual.message import Message
from textual.screen import ModalScreen, Screen

from inspect_app.bindings import TranslatedBindings

if TYPE_CHECKING:
    from inspect_app.app import ParkInspectApp

ResultType = TypeVar("ResultType")

# What a save changed, in the words of the screens that show it.
TENANT = "tenant"  # a tenant added, edited, left, merged, imported
INSPECTION = "inspection"  # started, results, finished, discarded
HAZARD = "hazard"  # new hazards, 五落实, deadlines, re-inspection, status
NOTICE = "notice"  # a document issued or served
QUARTERLY = "quarterly"  # operating figures of a quarter
SETTINGS = "settings"  # the office's settings (agency, thresholds)
ALL_KINDS = frozenset({TENANT, INSPECTION, HAZARD, NOTICE, QUARTERLY, SETTINGS})


class DataChanged(Message):
    """Rows of these kinds were written (by a screen, or pulled by a sync)."""

    def __init__(self, kinds: Iterable[str]):
        super().__init__()
        self.kinds = frozenset(kinds)


class ScreenHooks:
    """What the app may call on any of its screens; the defaults do nothing."""

    ENTER_MOVES_FOCUS: ClassVar[bool] = False
    # The action Enter runs on this screen's list (open the park, the tenant, the hazard), at once
    # when the key is read (bindings.py, rule 8); "" leaves Enter to the table's RowSelected.
    ENTER_OPENS_ROW: ClassVar[str] = ""
    SHOWS: ClassVar[frozenset[str]] = frozenset()  # the kinds of data this screen shows

    if TYPE_CHECKING:
        @property
        def app(self) -> ParkInspectApp: ...

    _stale: bool = False

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The command palette's lines for this screen, before the app-wide ones."""
        return ()

    async def before_quit(self) -> bool:
        """Ctrl+Q: save what must be saved first; False keeps the app open."""
        return True

    def announce(self, *kinds: str) -> None:
        """Tell the other screens that rows of `kinds` changed. Posted to the app, not bubbled
        from this screen: a form announces and closes at once, and a closed screen's queue is gone."""
        self.app.post_message(DataChanged(kinds))

    def data_changed(self, kinds: frozenset[str]) -> None:
        """Called by the app for every screen in the stack. A screen in front reads again now;
        one below does so when it is shown again (`on_screen_resume`), once however many saves."""
        if not kinds & self.SHOWS:
            return
        # Not Screen.is_current: that counts the screen just below the front one as visible.
        if self.app.screen is self:
            self._stale = False
            self.refresh_data()
        else:
            self._stale = True

    def refresh_data(self) -> None:
        """Read what the screen shows again, keeping the cursor where it is (screens with SHOWS)."""

    def on_screen_resume(self) -> None:
        # Textual calls this handler as well as a subclass's own `on_screen_resume`.
        if self._stale:
            self._stale = False
            self.refresh_data()


class AppScreen(ScreenHooks, TranslatedBindings, Screen[ResultType]):
    """A full screen of the app."""


class AppModalScreen(ScreenHooks, TranslatedBindings, ModalScreen[ResultType]):
    """A dialog over another screen."""
