"""The service (送达) of issued documents, and the documents not served in time.

Recording service writes one `notice_service` row (append-only: a correction is a new row, the
latest by clock counts, the earlier ones stay as history) and, when a photo of the receipt is
given, links it (owner_table "notice_service"). Every value is checked first (forms/notice_service.py,
the photo by `attachments.check_file`): a refusal writes nothing.

A document is to be served within three working days of its issue date, both in China time
(forms/working_days.py, the office's calendar from `[calendar]` of config.toml). Its state:
- `served`: the latest service is on or before that deadline;
- `served_late`: the latest service is after it;
- `pending` (待送达): not served, the deadline not passed;
- `late` (逾期未送达): not served, the deadline passed.
`served_late` and `late` count as late. The 检查记录 is signed on site by the unit's person and
is not served; a document superseded by a newer revision is not either (the newer one is).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from db.errors import UserError
from db.models import NoticeService
from db.notice_service_queries import notices_with_service, services_of
from db.store import Store
from forms.china_time import local_date
from forms.errors import field_messages
from forms.i18n import catalogue, current_language, t
from forms.notice_service import ServiceInput
from forms.working_days import WorkCalendar, service_deadline
from inspect_app.services.attachments import attach_file, check_file

NOT_SERVED_KINDS = frozenset({"inspection_record"})
STATES = ("served", "served_late", "pending", "late")
LATE_STATES = frozenset({"served_late", "late"})


class ServiceInvalid(UserError):
    """The typed values were refused; `messages` holds one message per field (in the user's language)."""

    def __init__(self, messages: dict[str, str]):
        super().__init__("errors.service_invalid", count=len(messages))
        self.messages = messages


class ServicePhotoFailed(UserError):
    """The service was recorded (`row`), but its photo could not be stored (a copy failed after the
    checks passed): the message says why; attaching the photo again is all that is left to do."""

    def __init__(self, row: NoticeRow, cause: UserError):
        super().__init__(cause.key, field="photo", **cause.values)
        self.row = row


@dataclass(frozen=True)
class Service:
    id: str
    method: str
    recipient: str
    served_on: date
    refused: bool
    witness: str | None
    note: str | None

    def as_json(self) -> dict:
        return {"method": self.method, "recipient": self.recipient, "served_on": self.served_on.isoformat(),
                "refused": self.refused, "witness": self.witness, "note": self.note}


@dataclass(frozen=True)
class NoticeRow:
    id: str
    number: str
    kind: str
    park_id: str
    park_code: str
    addressee: str
    issued_on: date  # China date
    deadline: date | None  # the last day to serve it on time; None for a document that is not served
    service: Service | None  # the latest
    state: str | None  # one of STATES; None for a document that is not served

    @property
    def late(self) -> bool:
        return self.state in LATE_STATES

    def as_json(self) -> dict:
        return {"number": self.number, "kind": self.kind, "park_code": self.park_code, "addressee": self.addressee,
                "issued_on": self.issued_on.isoformat(),
                "service_deadline": self.deadline.isoformat() if self.deadline else None,
                "state": self.state, "late": self.late,
                "service": self.service.as_json() if self.service else None}


def service_state(issued_on: date, served_on: date | None, today: date, calendar: WorkCalendar) -> tuple[str, date]:
    """(state, deadline) of a document issued on `issued_on` and (latest) served on `served_on`."""
    deadline = service_deadline(issued_on, calendar)
    if served_on is not None:
        return ("served" if served_on <= deadline else "served_late"), deadline
    return ("pending" if today <= deadline else "late"), deadline


def _calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    """The office's calendar as given (Settings.calendar); None is Monday to Friday."""
    return calendar if calendar is not None else WorkCalendar()


# --- reading ------------------------------------------------------------------------------------


def _issued_on(value: str | datetime) -> date:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return local_date(instant)  # a naive value is UTC, as the database stores it


def _rows(conn: sqlite3.Connection, today: date, calendar: WorkCalendar, **filters) -> list[NoticeRow]:
    found = []
    for (notice_id, number, kind, park_id, park_code, addressee, issued_at,
         service_id, method, recipient, served_on, refused, witness, note) in notices_with_service(conn, **filters):
        issued_on = _issued_on(issued_at)
        service = None
        if service_id is not None:
            service = Service(service_id, method, recipient, date.fromisoformat(served_on), bool(refused),
                              witness, note)
        state = deadline = None
        if kind not in NOT_SERVED_KINDS:
            state, deadline = service_state(issued_on, service.served_on if service else None, today, calendar)
        found.append(NoticeRow(notice_id, number, kind, park_id, park_code, addressee, issued_on, deadline,
                               service, state))
    return found


def list_notices(store: Store, *, today: date, park_id: str | None = None, late_only: bool = False,
                 calendar: WorkCalendar | None = None, inspection_id: str | None = None) -> list[NoticeRow]:
    """Issued documents (of one park, or all; of one inspection when `inspection_id` is given),
    newest first, with their service state on `today`."""
    calendar = _calendar(calendar)
    with store.read_connection() as conn:
        rows = _rows(conn, today, calendar, park_id=park_id, inspection_id=inspection_id)
    return [row for row in rows if row.late] if late_only else rows


def late_numbers(store: Store, numbers: list[str], *, today: date, calendar: WorkCalendar | None = None) -> set[str]:
    """Which of these document numbers are late in service (for the hazards view's marker)."""
    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return set()
    calendar = _calendar(calendar)
    with store.read_connection() as conn:
        rows = _rows(conn, today, calendar, numbers=wanted)
    return {row.number for row in rows if row.late}


def late_counts(conn: sqlite3.Connection, *, today: date, park_id: str | None = None,
                calendar: WorkCalendar | None = None) -> dict[str, int]:
    """{park id: documents late in service}: what the overview counts (a plain sqlite3 connection)."""
    calendar = _calendar(calendar)
    counts: dict[str, int] = {}
    for row in _rows(conn, today, calendar, park_id=park_id):
        if row.late:
            counts[row.park_id] = counts.get(row.park_id, 0) + 1
    return counts


def find_notice(store: Store, number: str, *, today: date, calendar: WorkCalendar | None = None) -> NoticeRow:
    number = (number or "").strip()
    with store.read_connection() as conn:
        rows = _rows(conn, today, _calendar(calendar), numbers=[number])
    if not rows:
        raise UserError("errors.notice_missing", number=number)
    return rows[0]


def service_history(store: Store, notice_id: str) -> list[Service]:
    """Every service recorded for a document, the latest first (a correction does not erase)."""
    with store.read_connection() as conn:
        rows = services_of(conn, notice_id)
    return [Service(i, m, r, date.fromisoformat(s), bool(f), w, n) for i, m, r, s, f, w, n in rows]


# --- recording ----------------------------------------------------------------------------------


def check_service(values: dict, *, issued_on: date, today: date) -> ServiceInput:
    """The typed values, checked against the document's issue date and today; ServiceInvalid if refused."""
    try:
        return ServiceInput.model_validate(values, context={"issued_on": issued_on, "today": today})
    except ValidationError as exc:
        raise ServiceInvalid(field_messages(exc)) from None


def record_service(store: Store, number: str, values: dict, *, today: date, photo: str | Path | None = None,
                   calendar: WorkCalendar | None = None, strip_metadata: bool = True) -> NoticeRow:
    """Record how the document `number` was served; return it with its new state. `calendar`,
    `strip_metadata`: the office's (Settings.calendar, Settings.strip_photo_metadata).

    Refused, with nothing written: an unknown number, a document that is not served (检查记录),
    a value the form refuses (ServiceInvalid), a photo that is missing, too big or not an image.
    A photo whose copy fails after those checks leaves the service recorded (ServicePhotoFailed)."""
    notice = find_notice(store, number, today=today, calendar=calendar)
    if notice.kind in NOT_SERVED_KINDS:
        raise UserError("errors.service_not_served_kind", number=notice.number)
    data = check_service(values, issued_on=notice.issued_on, today=today)
    photo_path = str(photo).strip() if photo is not None else ""
    if photo_path:
        check_file(photo_path)
    with store.transaction() as session:
        service = NoticeService(notice_id=notice.id, method=data.method, recipient=data.recipient,
                                served_on=data.served_on, refused=data.refused, witness=data.witness,
                                note=data.note, recorded_by=store.actor_id)
        session.add(service)
        session.flush()
        service_id = service.id
    row = find_notice(store, notice.number, today=today, calendar=calendar)
    if photo_path:
        try:
            attach_file(store, path=photo_path, owner_table="notice_service", owner_id=service_id,
                        strip_metadata=strip_metadata)
        except UserError as exc:
            raise ServicePhotoFailed(row, exc) from None
    return row


# --- words for a person ---------------------------------------------------------------------------


def service_text(row: NoticeRow) -> str:
    """The service column: "2026-12-01 直接", 待送达, 逾期未送达, or 无需送达 (short: 80 columns)."""
    if row.state is None:
        return t("tui.notices.not_served")
    if row.service is not None:
        return t(f"tui.notices.{row.state}", date=row.service.served_on.isoformat(),
                 method=t(f"tui.notices.method_short.{row.service.method}"))
    return t(f"tui.notices.{row.state}")


def kind_text(kind: str) -> str:
    """The document kind in a few characters (an unknown kind as it is stored)."""
    key = f"tui.notices.kind_short.{kind}"
    return t(key) if key in catalogue(current_language()) else kind
