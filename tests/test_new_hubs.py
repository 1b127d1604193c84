"""The tests' new hubs are copies of one migrated once (SQLite: tests/new_files.py; PostgreSQL:
tests/postgres.py): each must still be what a first start of the hub makes, at the newest
revision, and a hub of its own, or two hubs of a test would be one hub to their devices."""

from __future__ import annotations

import pytest

from inspect_app.hub.identity import identity
from inspect_app.hub.migrate import HEAD_REVISION, current_revision
from inspect_app.hub.storage import open_engine
from tests.new_files import new_sqlite_hub


def two_new_hubs(kind: str, tmp_path, request) -> list[str]:
    if kind == "sqlite":
        return [new_sqlite_hub(tmp_path / f"{name}.db") for name in ("a", "b")]
    cluster = request.getfixturevalue("postgres_cluster")
    return [cluster.new_hub_database() for _ in range(2)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_new_hubs_are_at_the_newest_revision_each_with_an_id_of_its_own(kind, tmp_path, request):
    found = []
    for url in two_new_hubs(kind, tmp_path, request):
        engine = open_engine(url)
        try:
            assert current_revision(engine) == HEAD_REVISION
            with engine.connect() as conn:
                found.append(identity(conn))
        finally:
            engine.dispose()
    (first_id, first_epoch), (second_id, second_epoch) = found
    assert first_id != second_id and len(first_id) == len(second_id) == 32
    assert first_epoch == second_epoch  # a new hub's, untouched by the copy
