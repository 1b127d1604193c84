"""An edit of a hazard or its 五落实 resolves the office's open change requests on its inspection.

Its own module because both sides call it: the hazards service (the edit) and the review service
(the requests); keeping it in either made the two import each other.
"""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import NoticeReview, utc_now


def resolve_changes(session: Session, inspection_id: str | None, actor_id: str | None) -> None:
    """Called inside the transaction of a hazard or 五落实 edit: that edit is the correction."""
    if inspection_id is None:
        return
    for request in session.exec(select(NoticeReview).where(
            NoticeReview.inspection_id == inspection_id, NoticeReview.kind == "changes",
            NoticeReview.state == "open", NoticeReview.deleted == False)).all():  # noqa: E712
        request.state, request.resolved_by, request.resolved_at = "resolved", actor_id, utc_now()
