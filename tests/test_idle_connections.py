"""Plain connections kept between uses (db/idle_connections.py): reused only when quiet, never a
reader of the past, closed with the store."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from db.idle_connections import KEEP_AT_MOST


def test_a_read_connection_is_used_again_and_still_refuses_writes(store):
    with store.read_connection() as first:
        pass
    with store.read_connection() as second:
        assert second is first
        with pytest.raises(sqlite3.OperationalError):
            second.execute("DELETE FROM park")


def test_readers_and_writers_are_kept_apart(store):
    with store.read_connection() as reader:
        pass
    with store.connect() as writer:
        assert writer is not reader
        writer.execute("INSERT INTO local_setting (key, value) VALUES ('probe', '1')")
    with store.read_connection() as reader_again:
        assert reader_again is reader
        assert reader_again.execute("SELECT value FROM local_setting WHERE key = 'probe'").fetchone() == ("1",)


@pytest.mark.parametrize("opened_by", ["execute", "cursor"])
def test_a_connection_left_with_an_unread_cursor_is_lent_again_only_with_that_cursor_closed(store, opened_by):
    """An unfinished SELECT holds a read snapshot: lent again with it, the next user would not see later writes."""
    with store.connect() as writer:
        writer.executemany("INSERT INTO local_setting (key, value) VALUES (?, ?)", [("a", "1"), ("b", "2"), ("c", "3")])
    with store.read_connection() as first:
        opener = first if opened_by == "execute" else first.cursor()
        unread = opener.execute("SELECT key FROM local_setting WHERE key IN ('a', 'b', 'c') ORDER BY key")
        assert unread.fetchone() == ("a",)
    with store.connect() as writer:
        writer.execute("INSERT INTO local_setting (key, value) VALUES ('after', 'yes')")
    with store.read_connection() as second:
        assert second is first
        assert second.execute("SELECT value FROM local_setting WHERE key = 'after'").fetchone() == ("yes",)
    with pytest.raises(sqlite3.ProgrammingError):
        unread.fetchall()  # closed on its way back, as with every plain connection before they were kept


def test_a_block_that_raised_closes_its_connection_and_rolls_back(store):
    with pytest.raises(RuntimeError), store.connect() as broken:
        broken.execute("INSERT INTO local_setting (key, value) VALUES ('half', 'done')")
        raise RuntimeError("cut short")
    with pytest.raises(sqlite3.ProgrammingError):
        broken.execute("SELECT 1")  # closed, not kept
    with store.connect() as conn:
        assert conn is not broken
        assert conn.execute("SELECT count(*) FROM local_setting WHERE key = 'half'").fetchone() == (0,)


def test_closing_the_store_closes_the_kept_connections_and_it_stays_usable(store):
    with store.read_connection() as reader:
        pass
    with store.connect() as writer:
        pass
    store.close()
    for conn in (reader, writer):
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    with store.read_connection() as again:
        assert again.execute("SELECT count(*) FROM park").fetchone() == (0,)


def test_connections_lent_from_several_threads_at_once_are_never_shared(store):
    lent: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(KEEP_AT_MOST + 2)

    def read() -> None:
        with store.read_connection() as conn:
            with lock:
                lent.append(id(conn))
            barrier.wait(timeout=10)  # all hold theirs at once
            conn.execute("SELECT count(*) FROM park").fetchone()

    threads = [threading.Thread(target=read) for _ in range(KEEP_AT_MOST + 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(set(lent)) == KEEP_AT_MOST + 2
    kept = store._readers._idle
    assert len(kept) == KEEP_AT_MOST  # the rest closed on their way back
    with store.read_connection() as conn:
        assert conn in kept or id(conn) in lent
