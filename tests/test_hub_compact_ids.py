"""Ids, names and stamps stored as compact bytes on PostgreSQL (hub/compact_ids.py): every text the
protocol allows comes back exactly, uuids keep their order, and the SQL spelling the revision
converts a hub with gives the same bytes as Python."""

from __future__ import annotations

import hashlib
import random
import uuid

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from db.ids import new_id
from inspect_app.hub.compact_ids import WORDS, pack, pack_sql, unpack, unpack_sql

IDENT = st.from_regex(r"\A[0-9A-Za-z_.:-]{1,64}\Z")
UUIDS = st.uuids().map(str)
STAMPS = st.builds(lambda ms, n, device: f"{ms:013d}.{n:05d}.{device}", st.integers(0, 10**13 - 1),
                   st.integers(0, 99_999), st.one_of(IDENT, st.binary(min_size=8, max_size=8).map(bytes.hex)))
EDGES = ["", "a", "00ff", "0123456789ABCDEF", "0192-twin", "\x01x", "\x04", "园区", "tenants", "Tenant", *WORDS,
         "1764150000000.00001.", "1.1.x", "0000000000000.00000.0000000000000.00000.ab", "1764150000000.00001.tenant",
         str(uuid.UUID(int=0)), str(uuid.UUID(int=2**128 - 1)).upper()]


@settings(max_examples=150, deadline=None)
@given(st.one_of(IDENT, UUIDS, STAMPS, st.sampled_from(EDGES)))
def test_every_text_comes_back_exactly(text):
    assert unpack(pack(text)) == text


def test_the_words_stored_codes_never_change():
    """A stored name is its place in WORDS: the list may grow at its end, never change before it."""
    assert len(WORDS) >= 29 and len(set(WORDS)) == len(WORDS)
    assert hashlib.sha256("\n".join(WORDS[:29]).encode()).hexdigest() == "8b75c3fbe75730e5d564e831f59ff01889697ef7b4ac35aee19fb1e8a66d115d"


def test_the_usual_values_are_small_and_uuids_keep_their_order():
    device = "0123456789abcdef"
    assert [len(pack(v)) for v in (new_id(), device, f"1764150000000.00001.{device}", "check_result", "insert")] \
        == [17, 9, 18, 2, 2]
    ids = [new_id(1764150000000 + random.randrange(10**6)) for _ in range(300)] + [str(uuid.uuid4()) for _ in range(300)]
    assert sorted(ids, key=pack) == sorted(ids)


def test_the_sql_spelling_gives_the_same_bytes_and_text(postgres_url):
    rng = random.Random(7)
    texts = EDGES + [new_id() for _ in range(50)] + [f"{rng.randrange(10**13):013d}.{rng.randrange(10**5):05d}."
                                                     f"{rng.getrandbits(64):016x}" for _ in range(50)]
    texts += ["".join(rng.choice("0123456789abcdefABC_.:-") for _ in range(rng.randint(1, 64))) for _ in range(300)]
    url = make_url(postgres_url)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as conn:
        conn.execute("CREATE TEMPORARY TABLE sample (n integer, value text)")
        with conn.cursor().copy("COPY sample (n, value) FROM STDIN") as out:
            for n, value in enumerate([*texts, None]):
                out.write_row((n, value))
        rows = conn.execute(f"SELECT {pack_sql('value')}, {unpack_sql(pack_sql('value'))} FROM sample ORDER BY n")
        rows = rows.fetchall()
    assert [None if packed is None else bytes(packed) for packed, _ in rows] == [pack(t) for t in texts] + [None]
    assert [back for _, back in rows] == [*texts, None]
