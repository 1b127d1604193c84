"""The hub's own database: devices, the change log, merged row state and attachment bytes.

SQLAlchemy Core on a database of its own — a SQLite file by default (`sqlite:///hub.db`), or
PostgreSQL by URL (`postgresql+psycopg://…`, psycopg 3). It is never a device's database.
Its schema is kept by Alembic revisions of its own (`inspect_app/hub/migrations/`, run by
`open_engine`); a table added here needs a revision that makes it.

Attachment bytes live in the `attachment` table rather than files beside the database: the same
code serves SQLite and PostgreSQL, a backup of the hub is one database, and an upload is stored
in the same transaction that records it (no orphan files after a crash). Photos are at most
25 MB (the device's limit), which both databases handle well as blobs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url

from db.notice_block import hub_block
from db.private_files import create_private_file
from inspect_app.hub.compact_ids import CompactText
from inspect_app.hub.json_columns import compact_json
from inspect_app.hub.log_codec import PackedJSON, PackedText
from inspect_app.hub.migrate import upgrade
from inspect_app.hub.rows import stored_values

metadata = MetaData()

# BIGINT keys on PostgreSQL; SQLite only auto-increments a column declared INTEGER PRIMARY KEY.
SeqType = BigInteger().with_variant(Integer, "sqlite")

device = Table(
    "device", metadata,
    Column("id", String(36), primary_key=True),  # the hub's id for this enrolment
    Column("name", String(100), nullable=False, unique=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    # The device's own id (the device part of its clock stamps): it is made on the device long
    # before enrolment, so the hub learns it from the device's first push and holds it to it.
    Column("device_id", String(64), nullable=True, index=True),
    Column("parks", JSON, nullable=False),  # assigned park ids; empty = every park
    # The block of this enrolment's notice numbers (H001, …), from hub_meta's last_notice_block.
    Column("notice_block", String(8), nullable=True, index=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

change = Table(
    "change", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),  # the hub-wide sequence
    # Ids, names and the stamp: text on SQLite, compact bytes on PostgreSQL (hub/compact_ids.py), read as text.
    Column("device_id", CompactText(64), nullable=False),
    Column("device_seq", BigInteger, nullable=False),
    Column("table_name", CompactText(40), nullable=False),
    Column("row_id", CompactText(64), nullable=False),
    Column("park_id", CompactText(64), nullable=True),  # None: shared reference data, or park not known yet
    Column("op", CompactText(10), nullable=False),
    Column("hlc", CompactText(100), nullable=False),
    Column("actor_id", CompactText(64), nullable=True),
    # The change's payload and base as pushed, stored compressed (hub/log_codec.py); read back as JSON.
    Column("payload", PackedJSON, nullable=False),
    Column("base", PackedJSON, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("device_id", "device_seq", name="ux_change_device_seq"),
    Index("ix_change_park_seq", "park_id", "seq"),
    # A row's changes (snapshot.row_changes, the push placing an attachment's changes in a park):
    # row ids are unique across tables in practice, so the table is a filter, not part of the key.
    Index("ix_change_row", "row_id"),
    sqlite_autoincrement=True,  # a sequence number is never reused, whatever happens to the table
)

row_state = Table(
    "row_state", metadata,
    # Compact bytes on PostgreSQL, as in `change`.
    Column("table_name", CompactText(40), primary_key=True),
    Column("row_id", CompactText(64), primary_key=True),
    # A park-limited device's snapshot page reads one range of ix_row_state_park per park
    # (hub/snapshot.py): reading the primary key and filtering the park read the whole table.
    Column("park_id", CompactText(64), nullable=True),
    Column("sha256", String(64), nullable=True),  # attachment rows: the content they name
    # NULL when `snapshot` holds the values exactly; `field_hlcs` keeps the insert's stamp once
    # (under "id") and the fields stamped otherwise, and is NULL when the snapshot holds it too:
    # the row has only its insert's stamp (hub/rows.py, "how a merged row is stored").
    # Packed as the log is (hub/log_codec.py).
    Column("values", PackedJSON, nullable=True),
    Column("field_hlcs", JSON(none_as_null=True), nullable=True),
    # {field: greatest base any write of it had}: a first sync hands it to the device with the
    # row, so the device tells a later write's losing values exactly as the devices that got
    # every change do (docs/SYNC.md, "First sync").
    Column("field_seen", JSON(none_as_null=True), nullable=True),  # NULL: no field written over a base
    Column("deleted", Boolean, nullable=False, default=False),
    # The row as a first sync serves it (hub/rows.py), written with the row; NULL when the hub has
    # no insert of it. Derived data: a change of a synced table's columns must rebuild it. Stored
    # packed (hub/log_codec.py, the dictionary made for snapshot texts) and read back as the exact text.
    Column("snapshot", PackedText, nullable=True),
    Index("ix_row_state_park", "park_id", "table_name", "row_id"),
    # Only attachment rows name a content, and every query asks `sha256 = ?` (which implies NOT
    # NULL, so both databases use the partial index): no entry for the other rows.
    Index("ix_row_state_sha256", "sha256", sqlite_where=text("sha256 IS NOT NULL"),
          postgresql_where=text("sha256 IS NOT NULL")),
    # SQLite: the rows kept in their primary key's b-tree, not a rowid table beside a copy of the key.
    sqlite_with_rowid=False,
)

# Which row holds each unique value of the device tables' unique keys (inspect_app/sync/protocol.py
# RULES): the push refuses a second holder (`duplicate_key`) with one indexed read. Kept by the push
# as it merges rows; a tombstoned row releases the keys of partial ("WHERE deleted = 0") indexes.
# A key is one digest of its table, its name and its values' digest (`unique_key_digest`): 16
# bytes where the three names took ~110, in the table and again in its primary key on PostgreSQL.
unique_key = Table(
    "unique_key", metadata,
    Column("key", LargeBinary(16), primary_key=True),
    Column("row_id", CompactText(64), nullable=False),
    # On SQLite the rows are kept in the primary key's b-tree itself: a rowid table would keep
    # every key twice (the table and its primary-key index).
    sqlite_with_rowid=False,
)


def unique_key_digest(table: str, name: str, value_digest: str) -> bytes:
    """The stored key of one unique value: the first 16 bytes of the sha256 of the table, the key's
    name ("tenant(park_id, credit_code)") and the digest of the key's values (protocol RULES),
    newline-separated (no name holds a newline, a digest is hex). 128 bits: two of a province's
    hundred million keys meet by chance with odds of about 1 in 10^22, and a device cannot make
    its key take another row's (a second preimage); at worst two of its own rows refuse each other."""
    return hashlib.sha256(f"{table}\n{name}\n{value_digest}".encode()).digest()[:16]


attachment = Table(
    "attachment", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(36), nullable=False),  # device.id of the first uploader
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# Device certificates the agency root issued (hub/agency.py, hub/certificates.py): what the CRL is
# built from, so a hub restored from a backup keeps its revocations. Not the certificate's bytes
# alone: its serial and fingerprint name it in a CRL and to a person; `key_sha256` lets the same key
# asking again (a cut enrolment) get the same certificate back instead of a new one.
device_certificate = Table(
    "device_certificate", metadata,
    Column("serial", String(40), primary_key=True),  # lowercase hex
    Column("device", String(36), nullable=False, index=True),  # device.id: the enrolment it was issued to
    Column("root_fingerprint", String(64), nullable=False),  # the root that signed it (an agency made anew
                                                             # with --force has another)
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("key_sha256", String(64), nullable=False),
    Column("certificate", LargeBinary, nullable=False),  # DER
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("not_after", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# The hub's identity: `hub_id` (random, made once, by the revision that made this table) and the
# history `epoch` (1, then + 1 at each `parkinspect hub restore`). Devices key their cursors by
# the id, and an epoch they have not seen makes them check the hub's history (docs/SYNC.md).
hub_meta = Table(
    "hub_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(100), nullable=False),
)

# Per device id, the highest device_seq the hub has acknowledged (applied or refused). A hub put
# back from a backup holds the backup's figure, lower than the device's push cursor: the device
# then re-sends what the hub lost (docs/SYNC.md, "Hub identity and restores").
device_ack = Table(
    "device_ack", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("acked_seq", BigInteger, nullable=False),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def normalise_url(url: str) -> str:
    """A SQLAlchemy URL; a bare path means a SQLite file, and plain postgresql:// uses psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record=None) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine on the hub database as it is (no migration)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        _create_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False}, json_serializer=compact_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=compact_json)


def open_engine(url: str) -> Engine:
    """An engine on the hub database, its schema brought to the newest revision (made when empty)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _create_private_sqlite_file(url: str) -> None:
    """A new hub file is 0600 in a 0700 folder, as a device's (db/private_files.py): it holds
    every park's data. An in-memory database has no file."""
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        create_private_file(Path(database))


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# --- devices ------------------------------------------------------------------------------------


class DeviceError(ValueError):
    """A refused device command; `key` is the catalogue key of the message, `values` its fields."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    device_id: str | None
    parks: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    notice_block: str | None = None

    @property
    def restricted(self) -> bool:
        return bool(self.parks)


def _device(row) -> Device:
    return Device(id=row.id, name=row.name, device_id=row.device_id, parks=tuple(row.parks or ()),
                  created_at=row.created_at, revoked_at=row.revoked_at, notice_block=row.notice_block)


def new_token() -> str:
    """256 random bits, URL-safe, never starting with "-": a token is typed after `--token` on a
    command line, where a leading dash would read as an option."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _resolve_parks(conn, parks: list[str]) -> list[str]:
    """Park ids for codes (or ids) the hub knows from pushed park rows."""
    known = {}
    for row in conn.execute(select(row_state.c.row_id, row_state.c["values"], row_state.c.snapshot)
                            .where(row_state.c.table_name == "park")):
        known[row.row_id] = row.row_id
        code = stored_values("park", row[1], row.snapshot).get("code")
        if code:
            known[str(code)] = row.row_id
    resolved = []
    for given in parks:
        if given not in known:
            raise DeviceError("hub.park_unknown", park=given)
        if known[given] not in resolved:
            resolved.append(known[given])
    return resolved


def enrol_device(engine: Engine, name: str, parks: list[str] | None = None) -> tuple[Device, str]:
    """Enrol a device; return it and its token. Only the token's sha256 is stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise DeviceError("hub.device_name_invalid")
    token = new_token()
    with engine.begin() as conn:
        if conn.execute(select(device.c.id).where(device.c.name == name)).first():
            raise DeviceError("hub.device_exists", name=name)
        park_ids = _resolve_parks(conn, parks or [])
        values = {"id": secrets.token_hex(16), "name": name, "token_sha256": token_hash(token),
                  "device_id": None, "parks": park_ids, "created_at": utc_now(), "revoked_at": None,
                  "notice_block": _next_notice_block(conn)}
        conn.execute(device.insert().values(**values))
    return Device(id=values["id"], name=name, device_id=None, parks=tuple(park_ids),
                  created_at=values["created_at"], revoked_at=None, notice_block=values["notice_block"]), token


def _next_notice_block(conn) -> str:
    """The next block of the hub's series (db/notice_block.py `hub_block`), counted in hub_meta in the
    enrolment's transaction; the unique index on device.notice_block refuses a second process that
    read the same count at the same moment rather than let two devices share a block."""
    last = conn.execute(select(hub_meta.c.value).where(hub_meta.c.key == "last_notice_block")).scalar()
    number = int(last or 0) + 1
    if last is None:
        conn.execute(hub_meta.insert().values(key="last_notice_block", value=str(number)))
    else:
        conn.execute(update(hub_meta).where(hub_meta.c.key == "last_notice_block").values(value=str(number)))
    return hub_block(number)


def list_devices(engine: Engine, *, offset: int = 0, limit: int = 100) -> tuple[list[Device], int]:
    """One page of devices by name, and how many there are."""
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(device)).scalar_one()
        rows = conn.execute(select(device).order_by(device.c.name).offset(offset).limit(limit)).all()
    return [_device(row) for row in rows], total


def revoke_device(engine: Engine, name: str) -> Device:
    """Revoke the enrolment's token and every certificate the agency issued to it."""
    with engine.begin() as conn:
        row = conn.execute(select(device).where(device.c.name == name)).first()
        if row is None:
            raise DeviceError("hub.device_missing", name=name)
        if row.revoked_at is None:
            when = utc_now()
            conn.execute(update(device).where(device.c.id == row.id).values(revoked_at=when))
            # Its certificates too, at the same moment: the next CRL lists them (hub/certificates.py).
            conn.execute(update(device_certificate).where(device_certificate.c.device == row.id,
                                                          device_certificate.c.revoked_at.is_(None))
                         .values(revoked_at=when))
        row = conn.execute(select(device).where(device.c.id == row.id)).one()
    return _device(row)


def rotate_token(engine: Engine, name: str) -> tuple[Device, str]:
    """A new token for a live enrolment; the old one is refused from its next request on. The
    enrolment keeps its device id, so the laptop syncs on with its database as before."""
    token = new_token()
    with engine.begin() as conn:
        row = conn.execute(select(device).where(device.c.name == name)).first()
        if row is None:
            raise DeviceError("hub.device_missing", name=name)
        if row.revoked_at is not None:
            raise DeviceError("hub.rotate_revoked", name=name)
        conn.execute(update(device).where(device.c.id == row.id).values(token_sha256=token_hash(token)))
    return _device(row), token


def device_for_token(conn, token: str) -> Device | None:
    """The live device holding this token, or None (unknown, forged or revoked)."""
    digest = token_hash(token)
    row = conn.execute(select(device).where(device.c.token_sha256 == digest)).first()
    # The lookup is by hash (an index); the comparison that decides is constant-time.
    if row is None or not hmac.compare_digest(row.token_sha256, digest) or row.revoked_at is not None:
        return None
    return _device(row)


# Why an enrolment may not take a device id (the code a device reads in the 403's detail).
DEVICE_ID_TAKEN = "device_id_taken"  # another live enrolment pushes as it
DEVICE_ID_REVOKED = "device_id_revoked"  # its enrolment was revoked: it stays revoked


def device_id_refusal(conn, hub_device: Device, device_id: str) -> str | None:
    """Why this enrolment may not push as `device_id`, or None. An id another enrolment holds is
    refused, also when that enrolment was revoked: a revoked device's database (a lost laptop, a
    copy of it) must not come back under a new token. A new enrolment is a new database."""
    if hub_device.device_id is not None:
        return None if hub_device.device_id == device_id else DEVICE_ID_TAKEN
    holders = conn.execute(select(device.c.revoked_at).where(device.c.device_id == device_id,
                                                             device.c.id != hub_device.id)).all()
    if any(row.revoked_at is not None for row in holders):
        return DEVICE_ID_REVOKED
    return DEVICE_ID_TAKEN if holders else None


def bind_device_id(conn, hub_device: Device, device_id: str) -> str | None:
    """Hold an enrolment to the device id of its first push; the refusal (device_id_refusal) when
    it may not have it."""
    refusal = device_id_refusal(conn, hub_device, device_id)
    if refusal is None and hub_device.device_id is None:
        conn.execute(update(device).where(device.c.id == hub_device.id).values(device_id=device_id))
    return refusal


# --- photo uploads ------------------------------------------------------------------------------

# An upload no attachment row names yet (the device pushes the row right after the file) counts
# against its uploader's quota; one still unnamed after UNREFERENCED_MAX_AGE never will be (a
# device that uploads and then never pushes, or one filling the hub's disk) and is deleted.
ATTACHMENT_QUOTA_BYTES = 200 * 1024 * 1024
UNREFERENCED_MAX_AGE = timedelta(days=1)


def _unreferenced():
    named = select(row_state.c.row_id).where(row_state.c.table_name == "attachment",
                                             row_state.c.sha256 == attachment.c.sha256)
    return ~named.exists()


def unreferenced_bytes(conn, hub_device: Device) -> int:
    """Bytes of this device's uploads that no attachment row names yet."""
    query = select(func.coalesce(func.sum(attachment.c.size), 0)).where(
        attachment.c.uploaded_by == hub_device.id, _unreferenced())
    return int(conn.execute(query).scalar_one())


def delete_unreferenced_attachments(engine: Engine, older_than: timedelta = UNREFERENCED_MAX_AGE) -> int:
    """Delete uploads no attachment row names that are older than `older_than`; how many went."""
    with engine.begin() as conn:
        done = conn.execute(attachment.delete().where(attachment.c.created_at < utc_now() - older_than,
                                                      _unreferenced()))
    return done.rowcount or 0
