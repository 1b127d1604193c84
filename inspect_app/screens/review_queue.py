"""The office's review queue: notices waiting for approval, with their hazards and 五落实.

`a` approves the highlighted request (the laptop may then issue it), `r` returns it with a comment
typed in a small dialog; both go through `services.notice_review`, which refuses them on a device
limited to some parks. The office's open change requests on finished inspections ("has issues")
are listed below the notices: they wait for the inspector's correction, not for a decision here.
The list is read afresh after each decision and on F5.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Input

from forms import china_time
from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import NOTICE, AppModalScreen, AppScreen
from inspect_app.services.errors import UserError
from inspect_app.services.notice_review import QueueRow, approve, return_request, review_queue
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Static

COLUMNS = ("state", "park", "tenant", "hazards", "major", "photos", "prepared")


class CommentScreen(AppModalScreen[str | None]):
    """One line of comment: Enter gives it, Escape gives None."""

    DEFAULT_CSS = """
    CommentScreen { align: center middle; }
    CommentScreen > Vertical { width: 70; height: auto; border: round $warning; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "tui.review.back", id="review.comment_cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("tui.review.comment_title"))
            yield Input(id="review-comment", max_length=1000)

    def on_mount(self) -> None:
        self.query_one("#review-comment", Input).focus()

    @on(Input.Submitted, "#review-comment")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReviewQueueScreen(AppScreen[None]):
    DEFAULT_CSS = """
    ReviewQueueScreen #review-table { height: 1fr; }
    ReviewQueueScreen #review-detail { height: auto; max-height: 12; padding: 0 1; }
    """
    BINDINGS = [
        Binding("a", "approve", "tui.review.approve", id="review.approve"),
        Binding("r", "return", "tui.review.return", id="review.return"),
        Binding("f5", "reload", "tui.review.reload", id="review.reload"),
        Binding("escape", "back", "tui.review.back", id="review.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[QueueRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="review-title", classes="screen-title")
        yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="review-detail")
        yield Static("", id="review-status", classes="status-line")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#review-table", DataTable)
        for key in COLUMNS:
            table.add_column(t(f"tui.review.col_{key}"), key=key)
        self.reload()
        table.focus()

    def reload(self) -> None:
        queue = review_queue(self.app.store, states=("pending", "open"))
        # Notices waiting for a decision first; then the change requests waiting for the inspector.
        self.rows = [r for r in queue if r.kind == "notice"] + [r for r in queue if r.kind == "changes"]
        table = self.query_one("#review-table", DataTable)
        table.clear()
        for row in self.rows:
            when = china_time.local(row.prepared_at).strftime("%m-%d %H:%M")
            state = t(f"review.state.{row.state}")
            if row.kind == "changes":
                state = f"{t('review.kind.changes')} · {state}"
            table.add_row(state, row.park_code, row.tenant or t("review.common_areas"),
                          formatting.count(len(row.hazards)),
                          formatting.count(sum(h.severity == "major" for h in row.hazards)),
                          formatting.count(sum(h.photos for h in row.hazards)),
                          f"{row.prepared_by or ''} {when}", key=row.id)
        self.query_one("#review-title", Static).update(
            t("tui.review.title", count=sum(r.kind == "notice" for r in self.rows)))
        self.show_detail()

    def selected(self) -> QueueRow | None:
        table = self.query_one("#review-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def show_detail(self) -> None:
        row = self.selected()
        text = Text()
        if row is None:
            text.append(t("tui.review.empty"))
        else:
            if row.comment:
                text.append(t("review.cli.comment", comment=row.comment) + "\n")
            if row.kind == "changes":
                text.append(t("tui.review.changes_waiting", date=row.inspected_on.isoformat()
                              if row.inspected_on else t("tui.notice.none")) + "\n", style="bold")
            if row.changed:
                text.append(t("review.changed_warning") + "\n", style="bold yellow")
            dash = t("tui.notice.none")
            for n, hazard in enumerate(row.hazards, start=1):
                text.append(t("tui.review.hazard_line", number=n, severity=t(f"choices.severity.{hazard.severity}"),
                              location=hazard.location, description=hazard.description) + "\n",
                            style="bold red" if hazard.severity == "major" else "bold")
                five = {k: (dash if v is None or v == "" else str(v)) for k, v in hazard.five.items()}
                text.append(t("tui.review.five_line", person=five["responsible_person"],
                              phone=five["responsible_phone"], measures=five["measures"], funds=five["funds_yuan"],
                              deadline=five["deadline"], plan=five["contingency_plan"]) + "\n")
                text.append(t("tui.review.photos_line", count=hazard.photos) + "\n")
        self.query_one("#review-detail", Static).update(text)

    @on(DataTable.RowHighlighted, "#review-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def say(self, message: str, *, warning: bool = False) -> None:
        self.query_one("#review-status", Static).update(Text(message, style="bold yellow" if warning else ""))

    def decidable(self) -> QueueRow | None:
        """The highlighted notice request; a change request waits for the inspector, not for the office."""
        row = self.selected()
        if row is not None and row.kind != "notice":
            self.say(t("tui.review.changes_not_decided"), warning=True)
            return None
        return row

    def action_approve(self) -> None:
        row = self.decidable()
        if row is None:
            return
        try:
            approve(self.app.store, row.id)
        except UserError as exc:
            self.say(exc.message(), warning=True)
            return
        self.announce(NOTICE)
        self.reload()
        self.say(t("tui.review.done_approved", tenant=row.tenant or row.park_code))

    def action_return(self) -> None:
        row = self.decidable()
        if row is None:
            return

        def commented(comment: str | None) -> None:
            if comment is None:
                return
            try:
                return_request(self.app.store, row.id, comment)
            except UserError as exc:
                self.say(exc.message(), warning=True)
                return
            self.announce(NOTICE)
            self.reload()
            self.say(t("tui.review.done_returned", tenant=row.tenant or row.park_code))

        self.app.push_screen(CommentScreen(), commented)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
