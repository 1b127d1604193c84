"""Ids, table names and clock stamps stored as bytes on PostgreSQL (hub revision 0011_pg_compact; docs/SYNC.md).

The log and the merged rows name every row, park, actor and device by an id that is text on the
wire: a uuid is 36 characters (37 bytes stored), where its value is 16 bytes; a clock stamp
(`{millis:013d}.{counter:05d}.{device}`, db/clock.py) is 36 characters where its time is 8
bytes. PostgreSQL stores such text as it comes, in the rows and again in every index, and keeps
no row under ~2 KB compressed: they were about a fifth of a change's storage there. So on
PostgreSQL `CompactText` columns hold the value as tagged bytes, and read back the exact text:

- a canonical uuid (lowercase, hyphenated, as every device makes them): tag 1 and its 16 bytes;
- lowercase hex of even length (a device's own id, 16 hex digits): tag 2 and the bytes;
- a clock stamp of the fixed width: tag 3, millis × 100,000 + counter as 8 bytes big-endian, then
  its device part encoded as above;
- a word of `WORDS` (the change kinds and the synced tables' names): tag 4 and its place in the list;
- anything else the protocol allows (an id is 1–64 printable characters: `sync/protocol.py`
  Ident): its UTF-8 bytes as they are — no id starts with a byte below 5, so no tag is mistaken
  for one; a text that would (never an id the hub accepted) is kept behind tag 0.

Every text maps to one byte string and back (`unpack(pack(t)) == t`), so equality, `IN` and the
unique keys mean what they meant on the text. Order: uuids sort as their text does (the hex
digits are the bytes' order), and so do hex ids and stamps among themselves; a table whose ids
mix kinds (only a hostile or hand-made device's) is paged in byte order, every row once.
SQLite keeps the text (it stores a row in its key b-tree and its short texts cheaply already).
The same encoding is spelt in SQL below for the revision that converts a hub in place.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import LargeBinary, String
from sqlalchemy.types import TypeDecorator

TAG_TEXT, TAG_UUID, TAG_HEX, TAG_STAMP, TAG_WORD = 0, 1, 2, 3, 4
# `change.op` and the table names (`change.table_name`, `row_state.table_name`): a word's stored
# code is its place here, so this list is only ever appended to (a table added to the device's
# schema goes at the end; a name not listed is stored as its text, correctly but not compactly).
WORDS = ("insert", "update", "delete",
         "agency_policy", "attachment", "attachment_link", "audit_event", "building", "check_result",
         "checklist_item", "conflict", "entry_decision", "exit_decision", "hazard", "inspection",
         "inspection_plan", "inspection_task", "inspector", "notice", "notice_review", "notice_service",
         "park", "plan_draw", "plan_recusal", "quarterly_report", "rectification_item", "reinspection",
         "star_score", "tenant")
_WORD_CODES = {word: code for code, word in enumerate(WORDS)}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_HEX = re.compile(r"(?:[0-9a-f]{2})+", re.ASCII)
_STAMP = re.compile(r"([0-9]{13})\.([0-9]{5})\.(.+)", re.ASCII | re.DOTALL)
COUNTERS = 100_000  # a stamp's counter has 5 digits


def _pack_id(text: str) -> bytes:
    code = _WORD_CODES.get(text)
    if code is not None:
        return bytes((TAG_WORD, code))
    if len(text) == 36 and _UUID.fullmatch(text):
        return bytes((TAG_UUID,)) + bytes.fromhex(text.replace("-", ""))
    if _HEX.fullmatch(text):
        return bytes((TAG_HEX,)) + bytes.fromhex(text)
    raw = text.encode()
    return raw if not raw or raw[0] > TAG_WORD else bytes((TAG_TEXT,)) + raw


@lru_cache(maxsize=8192)  # device ids, table names and kinds repeat on every row read
def _unpack_id(stored: bytes) -> str:
    if not stored:
        return ""
    tag = stored[0]
    if tag == TAG_UUID:
        h = stored[1:].hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if tag == TAG_HEX:
        return stored[1:].hex()
    if tag == TAG_WORD:
        return WORDS[stored[1]]
    if tag == TAG_TEXT:
        return stored[1:].decode()
    return stored.decode()


def pack(text: str) -> bytes:
    """A text as a `CompactText` column stores it on PostgreSQL (the module docstring)."""
    match = _STAMP.fullmatch(text) if len(text) > 20 and text[13] == "." else None
    if match:
        time = int(match.group(1)) * COUNTERS + int(match.group(2))
        return bytes((TAG_STAMP,)) + time.to_bytes(8, "big") + _pack_id(match.group(3))
    return _pack_id(text)


def unpack(stored: bytes) -> str:
    """The exact text `pack` stored."""
    tag = stored[0] if stored else None
    if tag == TAG_UUID and len(stored) == 17:  # the usual row id: without the cache (each is new)
        h = stored.hex()
        return f"{h[2:10]}-{h[10:14]}-{h[14:18]}-{h[18:22]}-{h[22:]}"
    if tag == TAG_STAMP:
        millis, counter = divmod(int.from_bytes(stored[1:9], "big"), COUNTERS)
        return f"{millis:013d}.{counter:05d}.{_unpack_id(stored[9:])}"
    return _unpack_id(stored)


class CompactText(TypeDecorator):
    """An id or stamp column: text on SQLite, `pack`ed bytes (BYTEA) on PostgreSQL, read back as the text."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(LargeBinary())
        return dialect.type_descriptor(String(self.impl.length))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "postgresql":
            return value
        return pack(value)

    def process_result_value(self, value, dialect):
        if value is None or dialect.name != "postgresql":
            return value
        return unpack(bytes(value))

    def literal_processor(self, dialect):
        """A value spelt in SQL (EXPLAIN of a compiled query): PostgreSQL's bytea literal of its bytes."""
        if dialect.name != "postgresql":
            return super().literal_processor(dialect)
        return lambda value: f"'\\x{pack(value).hex()}'::bytea"


# --- the same encoding in SQL (PostgreSQL), for converting a hub in place -------------------------


def _words_sql() -> str:
    return "ARRAY[" + ", ".join(f"'{word}'" for word in WORDS) + "]::text[]"


def _id_sql(text: str) -> str:
    """SQL of `_pack_id` for the SQL text expression `text`."""
    return (f"CASE WHEN {text} = ANY({_words_sql()}) "
            f"THEN '\\x04'::bytea || set_byte('\\x00'::bytea, 0, array_position({_words_sql()}, {text}) - 1) "
            f"WHEN {text} ~ '^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$' "
            f"THEN '\\x01'::bytea || decode(replace({text}, '-', ''), 'hex') "
            f"WHEN {text} ~ '^([0-9a-f]{{2}})+$' THEN '\\x02'::bytea || decode({text}, 'hex') "
            f"WHEN {text} = '' OR ascii({text}) > 4 THEN convert_to({text}, 'UTF8') "
            f"ELSE '\\x00'::bytea || convert_to({text}, 'UTF8') END")


def pack_sql(column: str) -> str:
    """SQL of `pack` for a text column (NULL stays NULL)."""
    device = f"substr({column}, 21)"
    return (f"CASE WHEN {column} IS NULL THEN NULL "
            f"WHEN {column} ~ '^[0-9]{{13}}\\.[0-9]{{5}}\\..' "
            f"THEN '\\x03'::bytea || int8send(substr({column}, 1, 13)::bigint * {COUNTERS} "
            f"+ substr({column}, 15, 5)::bigint) || ({_id_sql(device)}) "
            f"ELSE {_id_sql(column)} END")


def _unpack_id_sql(stored: str) -> str:
    """SQL of `_unpack_id` for the SQL bytea expression `stored`."""
    return (f"CASE WHEN length({stored}) = 0 THEN '' "
            f"WHEN get_byte({stored}, 0) = 1 THEN regexp_replace(encode(substr({stored}, 2), 'hex'), "
            f"'^(.{{8}})(.{{4}})(.{{4}})(.{{4}})', '\\1-\\2-\\3-\\4-') "
            f"WHEN get_byte({stored}, 0) = 2 THEN encode(substr({stored}, 2), 'hex') "
            f"WHEN get_byte({stored}, 0) = 4 THEN ({_words_sql()})[get_byte({stored}, 1) + 1] "
            f"WHEN get_byte({stored}, 0) = 0 THEN convert_from(substr({stored}, 2), 'UTF8') "
            f"ELSE convert_from({stored}, 'UTF8') END")


def unpack_sql(column: str) -> str:
    """SQL of `unpack` for a bytea column (NULL stays NULL): the downgrade's text again."""
    time = f"('x' || encode(substr({column}, 2, 8), 'hex'))::bit(64)::bigint"
    return (f"CASE WHEN {column} IS NULL THEN NULL "
            f"WHEN length({column}) > 0 AND get_byte({column}, 0) = 3 "
            f"THEN lpad(({time} / {COUNTERS})::text, 13, '0') || '.' || lpad(({time} % {COUNTERS})::text, 5, '0') "
            f"|| '.' || ({_unpack_id_sql(f'substr({column}, 10)')}) "
            f"ELSE {_unpack_id_sql(column)} END")
