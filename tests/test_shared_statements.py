"""The test processes' shared dialect and statement cache (tests/shared_statements.py) mixes no data."""

from __future__ import annotations

from sqlmodel import select

from db.models import Park
from db.store import Store
from tests.conftest import add_park


def test_stores_sharing_compiled_statements_each_read_and_write_their_own_file(tmp_path):
    a, b = Store.open(tmp_path / "a.db"), Store.open(tmp_path / "b.db")
    try:
        assert a.engine.dialect is b.engine.dialect and a.engine._compiled_cache is b.engine._compiled_cache
        add_park(a)
        with a.read() as session:
            assert [p.code for p in session.exec(select(Park))] == ["PH-001"]
        with b.read() as session:
            assert list(session.exec(select(Park))) == []
    finally:
        a.close()
        b.close()
