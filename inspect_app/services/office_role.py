"""Whether this device may do the office's work (plans and draws, review decisions, a plan's
standing): the profile's role (inspector / office, or `parkinspect --office` for one run) and the
hub's enrolment put together by `db/device_scope.office_refusal`. Plain SQL: the park list asks at
start-up, before the ORM is loaded."""

from __future__ import annotations

from db import device_scope
from db.errors import UserError
from db.store import Store

ROLES = device_scope.ROLES


def office_refusal(store: Store) -> str | None:
    """None when this device may do the office's work, else "limited" or "inspector" (why not)."""
    with store.read_connection() as conn:
        return device_scope.office_refusal(conn, office_run=store.office_run)


def is_office(store: Store) -> bool:
    return office_refusal(store) is None


def require_office(store: Store, area: str) -> None:
    """Refuse the office's work on a laptop: `{area}.not_office` when the hub limits this device to
    some parks, `{area}.not_office_role` when its profile's role is inspector."""
    reason = office_refusal(store)
    if reason == "limited":
        raise UserError(f"{area}.not_office")
    if reason == "inspector":
        raise UserError(f"{area}.not_office_role")


def role(store: Store) -> str:
    """The profile's role as saved (inspector / office); `--office` does not change it."""
    with store.read_connection() as conn:
        return device_scope.device_role(conn)


def set_role(store: Store, value: str) -> None:
    if value not in ROLES:
        raise UserError("tui.profile.bad_role", value=value, accepted=" | ".join(ROLES))
    from db.models import LocalSetting  # the ORM: not at start-up (the park list asks `is_office`)

    with store.transaction() as session:  # a local row: never synced
        session.merge(LocalSetting(key=device_scope.ROLE_SETTING, value=value))
