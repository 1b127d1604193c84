"""Start an inspection of a tenant or of a park's common areas, or resume the unfinished one.

`begin_inspection` is what the ledger and the park list call: a subject with an inspection left
open goes straight back to it ("继续未完成的检查"); otherwise `StartInspectionScreen` asks for the
checklist (those that apply to the subject, fire safety first) and the inspectors (this device's
inspector preselected, colleagues who inspected the park before listed next), and Enter starts.
The team chosen for the day's first inspection is preselected for the rest of that China date.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, SelectionList
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from forms.checklist import ChecklistTemplate, load_templates
from forms.i18n import t
from inspect_app.screens.base import INSPECTION, AppModalScreen
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.services.errors import UserError
from inspect_app.services.inspections import MAX_INSPECTORS, start_inspection, unfinished_inspection
from inspect_app.services.inspectors import InspectorChoice, inspector_choices, remember_team, team_of_the_day
from inspect_app.widgets.plain import Label, Static, as_typed
from inspect_app.widgets.yes_no_box import YesNoList


def begin_inspection(screen: Screen, *, park_id: str, tenant_id: str | None, subject: str,
                     after: Callable[[None], None] | None = None) -> None:
    """Resume the subject's unfinished inspection, or ask how to start a new one.

    `after` runs when the inspection screen closes (the caller reloads its hazard counts).
    """
    app = screen.app
    existing = unfinished_inspection(app.store, park_id=park_id, tenant_id=tenant_id)
    if existing is not None:
        app.notify(t("tui.inspection.resumed"))
        _open_walk(screen, existing, after)
        return

    def started(inspection_id: str | None) -> None:
        if inspection_id:
            _open_walk(screen, inspection_id, after)

    app.push_screen(StartInspectionScreen(park_id=park_id, tenant_id=tenant_id, subject=subject), started)


def _open_walk(screen: Screen, inspection_id: str, after: Callable[[None], None] | None) -> None:
    screen.app.push_screen(InspectionScreen(inspection_id), after)


def templates_for(scope: str) -> tuple[list[ChecklistTemplate], int]:
    """The newest version of each checklist that applies to `scope`, fire safety first.

    Also returns how many local template files were left out as malformed, so the dialog can say
    so instead of a checklist silently missing.
    """
    loaded = load_templates()
    usable = [template for template in loaded.latest().values() if scope in template.applies_to]
    usable.sort(key=lambda template: (template.kind != "fire_safety", template.title()))
    return usable, len({problem.file for problem in loaded.problems})


class StartInspectionScreen(AppModalScreen[str | None]):
    """Dismisses with the new inspection's id, or None when cancelled."""

    DEFAULT_CSS = """
    StartInspectionScreen { align: center middle; }
    StartInspectionScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
                                       border: thick $primary; background: $surface; padding: 0 1; }
    StartInspectionScreen Label { margin-top: 1; color: $text-muted; }
    StartInspectionScreen OptionList { height: auto; max-height: 4; }
    StartInspectionScreen SelectionList { height: auto; max-height: 8; }
    StartInspectionScreen #start-error { color: $error; height: auto; }
    StartInspectionScreen #start-warning { color: $warning; height: auto; }
    """
    # Enter starts from anywhere in the dialog (priority: the lists would take it otherwise);
    # space toggles an inspector, the arrows choose the checklist.
    BINDINGS = [
        Binding("enter,ctrl+s", "start", "tui.start_inspection.start", id="start_inspection.start", priority=True),
        Binding("escape", "cancel", "tui.start_inspection.cancel", id="start_inspection.cancel"),
    ]

    def __init__(self, *, park_id: str, tenant_id: str | None, subject: str):
        super().__init__()
        self.park_id = park_id
        self.tenant_id = tenant_id
        self.subject = subject
        self.templates, self.template_problems = templates_for("tenant" if tenant_id else "common_area")
        self.choices: list[InspectorChoice] = []
        self.team: set[str] = set()  # preselected: today's team, else this device's inspector

    def compose(self) -> ComposeResult:
        self.choices = inspector_choices(self.app.store, park_id=self.park_id)
        known = {c.id for c in self.choices}
        self.team = {i for i in team_of_the_day(self.app.store, self.app.today) if i in known}
        self.team = self.team or {c.id for c in self.choices if c.is_me}
        with Vertical():
            yield Static(t("tui.start_inspection.title"), classes="screen-title")
            yield Static(t("tui.start_inspection.subject", subject=self.subject), id="start-subject")
            yield Label(t("tui.start_inspection.template"))
            yield OptionList(*[Option(as_typed(f"{tpl.title()}  ({len(tpl.items)})"), id=f"{tpl.id}@{tpl.version}")
                               for tpl in self.templates], id="start-template", compact=True)
            yield Label(t("tui.start_inspection.inspectors", max=MAX_INSPECTORS))
            yield YesNoList(*[Selection(as_typed(self._label(c)), c.id, c.id in self.team) for c in self.choices],
                                     id="start-inspectors", compact=True)
            warnings = []
            if self.template_problems:
                warnings.append(t("tui.start_inspection.template_problems", count=self.template_problems))
            if not any(c.is_me for c in self.choices):
                warnings.append(t("tui.start_inspection.no_profile"))
            yield Static("\n".join(warnings), id="start-warning").set_styles(
                display="block" if warnings else "none")
            yield Static("", id="start-error").set_styles(display="none")
            yield Static(t("tui.start_inspection.hint"), classes="status-line")

    @staticmethod
    def _label(choice: InspectorChoice) -> str:
        if choice.is_me:
            name = t("tui.start_inspection.me", name=choice.name)
        elif choice.worked_here:
            name = t("tui.start_inspection.worked_here", name=choice.name)
        else:
            name = choice.name
        return f"{name}  {choice.id_number}  {choice.agency}"

    def on_mount(self) -> None:
        if self.templates:
            self.query_one("#start-template", OptionList).highlighted = 0
        inspectors = self.query_one("#start-inspectors", SelectionList)
        if len(self.choices) > 1:
            # The cursor waits on the first colleague: "space, Enter" starts a two-person inspection.
            inspectors.highlighted = 1 if self.choices[0].is_me else 0
            inspectors.focus()
        else:
            self.query_one("#start-template", OptionList).focus()

    def chosen_template(self) -> ChecklistTemplate | None:
        index = self.query_one("#start-template", OptionList).highlighted
        return self.templates[index] if self.templates and index is not None else None

    def chosen_inspectors(self) -> list[str]:
        """Selected inspector ids in list order, so this device's inspector is named first."""
        selected = set(self.query_one("#start-inspectors", SelectionList).selected)
        return [c.id for c in self.choices if c.id in selected]

    def show_error(self, message: str) -> None:
        error = self.query_one("#start-error", Static)
        error.update(message)
        error.display = True
        self.app.bell()

    def action_start(self) -> None:
        template = self.chosen_template()
        if template is None:
            self.show_error(t("tui.start_inspection.no_templates"))
            return
        inspectors = self.chosen_inspectors()
        if not inspectors:
            self.show_error(t("tui.start_inspection.none_selected"))
            return
        try:
            inspection_id = start_inspection(self.app.store, park_id=self.park_id, tenant_id=self.tenant_id,
                                             template=template, inspector_ids=inspectors)
        except UserError as exc:
            self.show_error(exc.message())
            return
        remember_team(self.app.store, inspectors, self.app.today)
        self.announce(INSPECTION)  # the ledger marks an unfinished inspection
        self.dismiss(inspection_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
