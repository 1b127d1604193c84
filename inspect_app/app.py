"""The Textual application: park list -> park ledger -> tenant form.

`make_app` is the one factory the CLI and the tests call; nothing happens at import time.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable
from datetime import date

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input

from db.errors import UserError
from db.store import Store
from forms import china_time
from forms.i18n import set_language, t
from inspect_app import config
from inspect_app.bindings import (
    COMMIT_ACTIONS,
    action_name,
    enter_moves_focus_now,
    enter_opens_row_now,
    is_text_field,
    tab_moves_focus_now,
    translate_bindings,
)
from inspect_app.config import Settings
from inspect_app.screens.base import ALL_KINDS, SETTINGS, DataChanged, ScreenHooks
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.services.parks import inspector_name
from inspect_app.widgets.command_palette import TranslatedCommandPalette
from inspect_app.widgets.sync_status import SyncStatusLine

# Keys a one-line field acts on, handed on to it (as its own action, in its queue) when they went
# to another widget before the focus reached the field (on_key; inspect_app/bindings.py rule 7).
FIELD_KEY_ACTIONS = {"enter": Input.action_submit, "backspace": Input.action_delete_left}


_WARM_FROZEN = False  # whether a warm-up froze what it loaded (ParkInspectApp._warm_up)


class ParkInspectApp(App[None]):
    CSS_PATH = "app.tcss"
    BINDINGS = [
        # Ctrl+Q quits from any screen; its footer label is shown on the park list only (the home
        # screen), to leave the other footers room for the keys of their own screen at 80 columns.
        Binding("ctrl+q", "quit", "tui.app.quit", id="app.quit", priority=True, show=False),
        Binding("ctrl+p", "command_palette", "tui.app.palette", id="app.palette", priority=True, show=False),
        Binding("f2", "edit_profile", "tui.app.profile", id="app.profile", show=False),
        # Not in the footer either: the park list's warning names it while no agency is set.
        Binding("f3", "settings", "tui.settings.open", id="app.settings", show=False),
        # Not in the footer: the sync status line of the park list and the ledger names the key.
        Binding("f6", "sync", "tui.sync.sync", id="app.sync", show=False),
        # From a text field Tab moves the focus before the next key is delivered (bindings.py, rule 5).
        Binding("tab", "field_focus(True)", "tui.app.next_field", id="app.next_field", show=False, priority=True),
        Binding("shift+tab", "field_focus(False)", "tui.app.previous_field", id="app.previous_field", show=False,
                priority=True),
        Binding("enter", "field_enter", "tui.app.next_field", id="app.enter_next_field", show=False, priority=True),
        # Enter on a list opens its row before the next key is read (bindings.py, rule 8).
        Binding("enter", "open_row", "tui.app.open_row", id="app.open_row", show=False, priority=True),
    ]

    def __init__(self, store: Store, *, language: str = "zh_CN", today: date | None = None,
                 settings: Settings | None = None):
        set_language(language)
        super().__init__()
        translate_bindings(self)
        self.store = store
        self.language = language
        # What config.toml and the environment say, read once; screens pass what they need on to
        # the services. Reloaded (reload_settings) when the office saves its settings.
        self.settings = settings if settings is not None else config.load_settings(db=str(store.path), lang=language)
        self._today = today
        self._started = False
        self.sync_progress: str | None = None  # what a running sync is doing; None when none runs
        self.title = t("tui.app.title")

    def on_key(self, event: events.Key) -> None:
        """A printable key never acts as a binding while a text field has the focus (bindings.py,
        rule 2). One that gets here typed before the focus landed in the field (it went to the
        screen, which had no focus yet) is the person's text: it goes on to the field. Textual
        runs this handler before the App's own, which looks up bindings; prevent_default skips that."""
        if not is_text_field(self.focused):
            return
        # Enter and Backspace too, when they went to another widget before the focus reached the
        # field (`f` and a note in one burst on the checklist: the list got them, bindings.py rule 7);
        # an Enter the field itself passed on is its own submit, left to the bindings.
        field = self.focused
        if event.is_printable:
            event.prevent_default()
            field.post_message(events.Key(event.key, event.character))
            return
        delivered_elsewhere = vars(event).get("delivered_to", field) is not field
        if delivered_elsewhere and event.key in FIELD_KEY_ACTIONS and isinstance(field, Input):
            event.prevent_default()
            # Queued behind the characters handed on before it: the field acts on the whole text.
            field.call_later(FIELD_KEY_ACTIONS[event.key], field)

    async def on_event(self, event: events.Event) -> None:
        # Where an arriving key goes (Textual forwards it to the focused widget, else the screen):
        # noted on the event, so that on_key can tell a key the focused field never saw.
        if isinstance(event, events.Key) and not event.is_forwarded:
            event.delivered_to = self.focused or self.screen
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "field_focus":
            return tab_moves_focus_now(self.focused, self.screen._binding_chain)
        if action == "field_enter":
            screen = self.screen
            return enter_moves_focus_now(self.focused, isinstance(screen, ScreenHooks) and screen.ENTER_MOVES_FOCUS)
        if action == "open_row":
            screen = self.screen
            return enter_opens_row_now(self.focused, screen.ENTER_OPENS_ROW if isinstance(screen, ScreenHooks) else "")
        return True

    def action_field_focus(self, forward: bool) -> None:
        if forward:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """A form's save (Ctrl+S, Ctrl+N…) pressed while a text field has the focus runs once the
        keys typed before it have reached that field (bindings.py, rule 6): a priority binding acts
        as its key arrives, while the characters ahead of it may still wait in the field's queue."""
        focused = self.focused
        if is_text_field(focused) and action_name(action) in COMMIT_ACTIONS:
            # The field's own queue is the barrier (its earlier keys are handled first); the action
            # then runs on the app's queue, never inside the field's: a save that closes the screen
            # waits for the field to close, which would wait forever for its own running callback.
            run = super().run_action
            focused.call_later(self.call_later, run, action, default_namespace, namespaces)
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def action_field_enter(self) -> None:
        self.screen.focus_next()

    async def action_open_row(self) -> None:
        screen = self.screen
        if isinstance(screen, ScreenHooks):
            await screen.run_action(screen.ENTER_OPENS_ROW)

    async def action_quit(self) -> None:
        """Ctrl+Q: a screen that saves as the user goes (the quarterly grid) saves what is typed
        first, and may keep the app open when that is refused (async `before_quit` returns False)."""
        screen = self.screen
        if isinstance(screen, ScreenHooks) and not await screen.before_quit():
            return
        self.exit()

    @property
    def today(self) -> date:
        """The date deadlines are judged against, in China time (forms/china_time.py; fixed in tests)."""
        return self._today or china_time.today()

    def on_mount(self) -> None:
        self.push_screen(ParkListScreen())
        name = inspector_name(self.store)
        if name is None:
            self.call_after_refresh(self.action_edit_profile, True)
        else:
            self.sub_title = t("tui.app.inspector", name=name)

    def first_screen_shown(self) -> None:
        """The park list has its rows: start-up is over.

        Turn the garbage collector back on (see `cli.main`), and load the ORM and the ledger's
        screen in the background so that the first ledger opens as fast as the later ones.
        """
        if self._started:
            return
        self._started = True
        if not gc.isenabled():
            gc.freeze()  # what start-up built lives as long as the app: never scan it again
            gc.enable()
        self.run_worker(self._warm_up, thread=True, group="warm-up")

    def _warm_up(self) -> None:
        """In a thread, once the park list is up: the table classes and the ORM's mappings, then the
        ledger's module with the screens and services it imports at its top (~0.4 s) — what the
        first Enter on a park would otherwise wait for."""
        self.store.warm_up()
        import inspect_app.screens.ledger  # noqa: F401  (start-up is over: what Enter opens next)

        # What this loaded (SQLAlchemy's mappings, the screens' modules) lives as long as the process,
        # like what start-up built: frozen too, so the collections a big read's garbage sets off
        # (the county overview at 300,000 tenants: 55–140 ms of each call) do not walk it again.
        # Once a process: a second app in it (the tests') would freeze the first one's garbage.
        global _WARM_FROZEN
        if not _WARM_FROZEN:
            _WARM_FROZEN = True
            gc.freeze()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's notification, its text shown as written whatever a caller asks: messages name
        what people typed (a tenant "平湖[/x]精密" stopped the app as markup), and the app's own
        texts use no markup (inspect_app/widgets/plain.py). Screens' `self.notify` comes here."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_edit_profile(self, first_run: bool = False) -> None:
        from inspect_app.screens.profile import ProfileScreen  # loads the ORM: not at start-up

        def saved(name: str | None) -> None:
            if name:
                self.sub_title = t("tui.app.inspector", name=name)

        self.push_screen(ProfileScreen(first_run=first_run), saved)

    def action_settings(self) -> None:
        from inspect_app.screens.settings import SettingsScreen  # loads the services: not at start-up

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def reload_settings(self) -> None:
        """The office saved its settings (F3): read config.toml again, once, and tell every screen."""
        self.settings = config.reload_settings(self.settings)
        self.post_message(DataChanged({SETTINGS}))

    def action_sync(self) -> None:
        """Sync with the remembered hub in a thread worker: the inspector keeps typing."""
        from inspect_app.services.sync_status import configured_hub  # a service: not at start-up

        if self.sync_progress is not None:
            self.notify(t("tui.sync.already_running"))
            return
        if configured_hub(self.store, self.settings.hub_file) is None:
            self.notify(t("tui.sync.no_hub"), severity="warning", timeout=10)
            return
        self.sync_progress = ""
        self._refresh_sync_status()  # "正在同步…" on the status line: no toast needed
        self._run_sync()

    @work(thread=True, exclusive=True, group="sync")
    def _run_sync(self) -> None:
        # The sync client loads httpx and the ORM: only when a sync runs, never at start-up.
        from inspect_app.services.sync_status import run_sync
        from inspect_app.sync.client import summary_line

        def progress(stage: str, done: int, total: int | None) -> None:
            text = t(f"tui.sync.stage_{stage}", done=done, total=total if total is not None else "?")
            self.call_from_thread(self._sync_progress, text)

        try:
            summary = run_sync(self.store, self.settings.hub_file, progress, keys_dir=self.settings.keys_dir)
        except UserError as exc:
            self.call_from_thread(self._sync_finished, None, exc.message())
        except Exception as exc:  # never a traceback in front of the inspector; the log has it
            logging.getLogger(__name__).exception("sync failed")
            self.call_from_thread(self._sync_finished, None, type(exc).__name__)
        else:
            self.call_from_thread(self._sync_finished, summary, summary_line(summary))

    def _sync_progress(self, text: str) -> None:
        self.sync_progress = text
        self._refresh_sync_status()

    def _sync_finished(self, summary, message: str) -> None:
        self.sync_progress = None
        if summary is None:
            self.notify(t("tui.sync.failed", message=message), severity="error", timeout=10)
        else:
            self.notify(t("tui.sync.done", summary=message), timeout=8)
            if summary.pulled:  # any kind of row may have come in
                self.post_message(DataChanged(ALL_KINDS))
        self._refresh_sync_status()

    def _refresh_sync_status(self) -> None:
        for screen in self.screen_stack:
            for line in screen.query(SyncStatusLine):
                line.refresh_status()

    def on_data_changed(self, message: DataChanged) -> None:
        """A screen saved rows others show, or a sync pulled some: every screen in the stack hears
        it and reads again, at once when in front, else when shown again (screens/base.py)."""
        for screen in self.screen_stack:
            if isinstance(screen, ScreenHooks):
                screen.data_changed(message.kinds)

    # --- navigation: the park list opens these through the app. Each screen is imported on use:
    # they load the ORM and the services, which start-up must not wait for.

    def open_ledger(self, park_id: str | None, *, focus_search: bool = False, search: str = "") -> None:
        """A park's ledger (all parks with None), its search box focused or prefilled."""
        from inspect_app.screens.ledger import LedgerScreen  # loads the ORM: not at start-up

        self.push_screen(LedgerScreen(park_id, focus_search=focus_search, search=search))

    def open_hazards(self, park_id: str | None = None) -> None:
        """The hazards list, of one park or all."""
        from inspect_app.screens.hazards import HazardsScreen  # loads the ORM: not at start-up

        self.push_screen(HazardsScreen(park_id))

    def action_conflicts(self) -> None:
        from inspect_app.screens.conflicts import ConflictsScreen  # loads the ORM: not at start-up

        self.push_screen(ConflictsScreen())

    def action_command_palette(self) -> None:
        if not CommandPalette.is_open(self):
            self.push_screen(TranslatedCommandPalette())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists what fits the current screen, then app-wide actions, all translated."""
        if isinstance(screen, ScreenHooks):
            yield from screen.palette_commands()
        yield SystemCommand(t("tui.sync.sync"), t("tui.sync.sync_help"), self.action_sync)
        yield SystemCommand(t("tui.sync.conflicts"), t("tui.sync.conflicts_help"), self.action_conflicts)
        yield SystemCommand(t("tui.app.profile"), t("tui.app.profile_help"), self.action_edit_profile)
        yield SystemCommand(t("tui.settings.open"), t("tui.settings.open_help"), self.action_settings)
        yield SystemCommand(t("tui.app.keys"), t("tui.app.keys_help"), self.action_show_help_panel)
        yield SystemCommand(t("tui.app.quit"), t("tui.app.quit_help"), self.action_quit)


def make_app(store: Store, *, language: str = "zh_CN", today: date | None = None,
             settings: Settings | None = None) -> ParkInspectApp:
    """The app on `store`; `settings` as the CLI read them, else read here (config.load_settings)."""
    return ParkInspectApp(store, language=language, today=today, settings=settings)
