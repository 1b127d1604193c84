"""Photos kept once by content, linked to records; bad files refused with nothing written."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from db.attachment_files import attachments_dir
from db.errors import UserError
from db.models import Attachment, AttachmentLink
from inspect_app.services.attachments import attach_file, files_of
from tests.images import PNG


def count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_same_photo_attached_twice_is_stored_once_and_linked_to_each_record(store, tmp_path):
    photo = tmp_path / "出口.png"
    photo.write_bytes(PNG)
    copy = tmp_path / "again.PNG"
    copy.write_bytes(PNG)
    first = attach_file(store, path=photo, owner_table="hazard", owner_id="h1")
    second = attach_file(store, path=f'"{copy}"', owner_table="hazard", owner_id="h2")
    attach_file(store, path=photo, owner_table="hazard", owner_id="h1")  # again: nothing new
    assert first == second
    assert count(store, Attachment) == 1 and count(store, AttachmentLink) == 2
    stored = list(attachments_dir(store).rglob(f"{first}*"))
    assert len(stored) == 1 and stored[0].read_bytes() == PNG
    [listed] = files_of(store, "hazard", "h1")
    assert listed.path == stored[0] and listed.original_name == "出口.png"


@pytest.mark.parametrize("name, content", [("note.txt", b"hello"), ("fake.jpg", b"not a jpeg"), ("empty.png", b"")])
def test_what_is_not_a_photo_is_refused_and_nothing_is_written(store, tmp_path, name, content):
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(UserError) as refused:
        attach_file(store, path=bad, owner_table="hazard", owner_id="h1")
    assert refused.value.field == "photo" and refused.value.message()
    assert count(store, Attachment) == 0 and not attachments_dir(store).exists()


def test_a_missing_file_is_named_in_the_message(store, tmp_path):
    with pytest.raises(UserError) as refused:
        attach_file(store, path=tmp_path / "nope.jpg", owner_table="hazard", owner_id="h1")
    assert "nope.jpg" in refused.value.message("en")
