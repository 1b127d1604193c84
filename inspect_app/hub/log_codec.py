"""The hub's change log stored compressed: `change.payload` and `change.base` (docs/SYNC.md).

A payload is JSON naming the same 10–35 columns for every row of its table, and half of all
changes are check results copying their checklist item's text: zlib with a preset dictionary of
exactly those strings (hub/log_dictionary.py) keeps a change's payload in about a third of its
JSON. A stored value is one version byte, then the compact UTF-8 JSON (json_columns.compact_json)
compressed as raw deflate with that version's dictionary. The version byte names the dictionary,
which never changes once written with: a hub reads every version it ever wrote.

Only the hub's storage changes: pulls, snapshot row changes and backups read the JSON back
(`PackedJSON` does it as SQLAlchemy reads the column), so devices receive what they always did.
"""

from __future__ import annotations

import json
import zlib

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from inspect_app.hub.log_dictionary import DICTIONARY_V1, DICTIONARY_V2

VERSION = 1  # what new log values (and `row_state.values`) are written with
SNAPSHOT_VERSION = 2  # what new snapshot texts are written with: lists of values, no column names
DICTIONARIES = {1: DICTIONARY_V1, 2: DICTIONARY_V2}
LEVEL = 9  # as fast as 6 here (loading the dictionary dominates) and a little smaller
RAW_DEFLATE = -15  # no zlib header and checksum: 6 bytes a value; the database keeps its own checks


class PackedValueError(ValueError):
    """A stored value this hub cannot read: not written by `pack`, or by a newer hub."""


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pack(value) -> bytes:
    """A JSON value as stored: the version byte, then its compact JSON deflated with the dictionary."""
    return pack_text(_compact(value))


def pack_text(text: str, version: int = VERSION) -> bytes:
    """A text as stored: the version byte, then its UTF-8 deflated with that version's dictionary."""
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, RAW_DEFLATE, zdict=DICTIONARIES[version])
    return bytes((version,)) + packer.compress(text.encode()) + packer.flush()


def unpack(stored: bytes):
    """The JSON value `pack` stored."""
    return json.loads(unpack_text(stored))


def unpack_column(stored: bytes):
    """A `PackedJSON` column's value: what `pack` stored, or no bytes for an empty object."""
    return {} if len(stored) == 0 else unpack(stored)


def unpack_text(stored: bytes) -> str:
    """The text `pack_text` stored, exactly."""
    return unpack_utf8(stored).decode()


def unpack_utf8(stored: bytes) -> bytes:
    """The UTF-8 bytes of the text `pack_text` stored (a snapshot page joins them as they are)."""
    if not stored:
        raise PackedValueError("empty stored value")
    dictionary = DICTIONARIES.get(stored[0])
    if dictionary is None:
        raise PackedValueError(f"stored with unknown version {stored[0]} (a newer hub?)")
    unpacker = zlib.decompressobj(RAW_DEFLATE, zdict=dictionary)
    try:
        text = unpacker.decompress(stored[1:]) + unpacker.flush()
    except zlib.error as exc:
        raise PackedValueError(f"not a packed value: {exc}") from exc
    if not unpacker.eof:
        raise PackedValueError("truncated packed value")
    return text


class PackedJSON(TypeDecorator):
    """A JSON column stored packed (a BLOB on SQLite, BYTEA on PostgreSQL). Python None is SQL NULL.

    An empty object (an insert's `base`: most of the log) is stored as no bytes at all instead of
    a version byte and its deflate (6 bytes on PostgreSQL), and read back as `{}`."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return b"" if isinstance(value, dict) and not value else pack(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return unpack_column(bytes(value))


class PackedText(TypeDecorator):
    """A snapshot text stored packed (`row_state.snapshot`, dictionary version 2): read back as
    the exact text written."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else pack_text(value, SNAPSHOT_VERSION)

    def process_result_value(self, value, dialect):
        return None if value is None else unpack_text(bytes(value))
