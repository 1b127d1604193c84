"""The hub's HTTP API (FastAPI), per docs/SYNC.md.

Every endpoint but /api/v1/health needs `Authorization: Bearer <token>`. Bodies larger than the
limit are refused (413) before anything parses them; malformed bodies get 422 and write nothing; a
push is applied and committed before it is acknowledged. Nothing here logs a token or a header.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import timedelta
from importlib.metadata import version
from typing import Annotated

from cryptography.hazmat.primitives import serialization
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from db.clock import MAX_SKEW_MS
from inspect_app.hub import identity, pull, push, snapshot
from inspect_app.hub.agency import AgencyRoot
from inspect_app.hub.agency import fingerprint as agency_fingerprint
from inspect_app.hub.auth import Authenticate
from inspect_app.hub.certificates import enrol_device_key
from inspect_app.hub.clock_check import hub_now_ms
from inspect_app.hub.crl import CrlCache
from inspect_app.hub.limits import BodyLimit, TokenBuckets
from inspect_app.hub.schemas import (
    MAX_PULL_LIMIT,
    AttachmentStored,
    ChangesPage,
    Checkpoint,
    Checkpoints,
    CheckpointsRequest,
    Enrolment,
    EnrolRequest,
    ErrorBody,
    Health,
    Me,
    PushRequest,
    PushResponse,
    RowChanges,
    RowChangesRequest,
    SnapshotPage,
)
from inspect_app.hub.storage import (
    ATTACHMENT_QUOTA_BYTES,
    DEVICE_ID_REVOKED,
    DEVICE_ID_TAKEN,
    UNREFERENCED_MAX_AGE,
    Device,
    attachment,
    bind_device_id,
    delete_unreferenced_attachments,
    device_id_refusal,
    is_postgres,
    open_engine,
    row_state,
    unreferenced_bytes,
    utc_now,
)

log = logging.getLogger("inspect_app.hub")

API = "/api/v1"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # the device refuses larger files (services/attachments.py)
PUSH_LOCK_KEY = 7_170_301  # PostgreSQL advisory lock: one push at a time across hub processes
ENROL_BODY_BYTES = 16 * 1024  # a certificate request is ~1 KB: more is refused (413) before it is read

bearer = HTTPBearer(auto_error=False, description="the device's token from `parkinspect hub device add`")
Sha256 = Annotated[str, Path(pattern=SHA256_PATTERN, description="lower-case hex sha256 of the content")]


def current_device(request: Request,
                   _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Device:
    """The device the Authenticate middleware found for this request's token."""
    return request.state.device


CurrentDevice = Annotated[Device, Depends(current_device)]
UNAUTHORISED = {401: {"model": ErrorBody, "description": "no, unknown, forged or revoked token"},
                429: {"model": ErrorBody, "description": "too many requests from this device"}}


def create_app(database_url: str, *, max_body_bytes: int = 5_000_000,
               max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
               attachment_quota_bytes: int = ATTACHMENT_QUOTA_BYTES,
               unreferenced_max_age: timedelta = UNREFERENCED_MAX_AGE,
               rate_per_second: float = 50.0, burst: int = 200,
               max_clock_skew_s: float = MAX_SKEW_MS / 1000, agency: AgencyRoot | None = None) -> FastAPI:
    """The hub on `database_url`; a pushed stamp more than `max_clock_skew_s` ahead of the hub's clock
    is refused (`clock_ahead`, hub/clock_check.py). `agency`: the agency root (with its key) that
    certifies devices' keys and signs the CRL; None: enrolment answers 404 `no_agency`."""
    max_clock_skew_ms = int(max_clock_skew_s * 1000)
    engine = open_engine(database_url)
    cleanup = _UploadCleanup(engine, unreferenced_max_age)
    cleanup.run()  # at start, then at most once an hour on an upload
    app = FastAPI(title="ParkInspect hub", version=version("parkinspect"),
                  description="Sync hub: devices push their changes and pull other devices' (docs/SYNC.md).")
    app.state.engine = engine
    app.state.max_clock_skew_ms = max_clock_skew_ms
    app.state.agency = agency
    crl = CrlCache(engine, agency) if agency is not None else None
    if crl is not None:
        crl.current()  # signed at start: a revocation made while the hub was down is served at once
    buckets = TokenBuckets(rate_per_second, burst)
    # One push at a time in this process: hub sequence numbers then become visible in order,
    # which is what lets a pull cursor never skip a change.
    push_lock = threading.Lock()

    def limit_for(path: str) -> int:
        if path == f"{API}/agency/enrol":
            return min(ENROL_BODY_BYTES, max_body_bytes)
        return max_attachment_bytes if path.startswith(f"{API}/attachments/") else max_body_bytes

    # Middleware added last runs first: the size check, then authentication — both before a body
    # is read or parsed, so an unauthenticated or oversized request costs the hub next to nothing.
    app.add_middleware(Authenticate, engine=engine, buckets=buckets, public_paths={f"{API}/health"})
    app.add_middleware(BodyLimit, limit_for=limit_for)

    @app.get(f"{API}/health", response_model=Health, tags=["hub"])
    def health() -> Health:
        return Health(status="ok")

    @app.get(f"{API}/me", response_model=Me, tags=["devices"],
             responses={**UNAUTHORISED, 403: {"model": ErrorBody, "description": "this enrolment may not push as "
                                                                                 "that device id (e.g. revoked)"}})
    def me(hub_device: CurrentDevice,
           device_id: Annotated[str | None, Query(max_length=64, description=(
               "the asking device's own id: refused (403) when this enrolment may not push as it, "
               "e.g. the id of a revoked device"))] = None) -> Me:
        with engine.connect() as conn:
            if device_id is not None:
                _refuse_device_id(device_id_refusal(conn, hub_device, device_id), hub_device)
            last = identity.last_device_seq(conn, hub_device.device_id)
            hub_id, epoch = identity.identity(conn)
            acked = identity.acked_seq(conn, hub_device.device_id, held=last)
        return Me(name=hub_device.name, device_id=hub_device.device_id, parks=list(hub_device.parks),
                  last_device_seq=last, now_ms=hub_now_ms(), hub_id=hub_id, epoch=epoch, acked_seq=acked,
                  notice_block=hub_device.notice_block,
                  agency_root=agency.fingerprint if agency is not None else None)

    @app.post(f"{API}/push", response_model=PushResponse, tags=["sync"],
              responses={**UNAUTHORISED, 403: {"model": ErrorBody, "description": "changes of another device"},
                         409: {"model": ErrorBody, "description": "a concurrent push of this device; retry"},
                         413: {"model": ErrorBody, "description": "body too large"}})
    def push_changes(request: PushRequest, hub_device: CurrentDevice) -> PushResponse:
        changes = request.changes
        started = time.perf_counter()
        with push_lock, engine.begin() as conn:
            if is_postgres(engine):
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUSH_LOCK_KEY})
            if not changes:
                return PushResponse(acked_through=identity.last_device_seq(conn, hub_device.device_id), rejected=[])
            claimed = {c.device_id for c in changes}
            refusal = bind_device_id(conn, hub_device, next(iter(claimed))) if len(claimed) == 1 else DEVICE_ID_TAKEN
            _refuse_device_id(refusal, hub_device)
            try:
                result = push.PushApplier(conn, hub_device, max_clock_skew_ms=max_clock_skew_ms).run(changes)
            except IntegrityError as exc:  # the same device pushing twice at once: let it retry
                raise HTTPException(409, "concurrent push of the same changes; retry") from exc
            identity.record_acked(conn, changes[0].device_id, result.acked_through)
        log.info("push from %s: %d accepted, %d already had, %d rejected, through %d in %.0f ms",
                 hub_device.name, result.accepted, result.duplicates, len(result.rejected),
                 result.acked_through, (time.perf_counter() - started) * 1000)
        return PushResponse(acked_through=result.acked_through, rejected=result.rejected)

    @app.get(f"{API}/changes", response_model=ChangesPage, tags=["sync"],
             responses={**UNAUTHORISED, 409: {"model": ErrorBody, "description": "detail {code: history_changed}: "
                                                "the hub's history at `after` is not the one `check` names"}})
    def changes(hub_device: CurrentDevice,
                after: Annotated[int, Query(ge=0, le=2**62, description="hub sequence already applied")] = 0,
                limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500,
                check: Annotated[str | None, Query(max_length=64, description="the check the hub gave with "
                                                                              "`after`")] = None) -> ChangesPage:
        with engine.connect() as conn:
            if check is not None and identity.check_at(conn, after) != check:
                # Put back from a backup since the device pulled: it asks /checkpoints where to resume.
                raise HTTPException(409, {"code": "history_changed",
                                          "message": "the hub's history at this cursor changed (restored)"})
            page = pull.changes_page(conn, hub_device, after, limit)
            next_check = identity.check_at(conn, page.next_after)
        return ChangesPage(changes=page.changes, next_after=page.next_after, has_more=page.has_more,
                           check=next_check or "")

    @app.post(f"{API}/checkpoints", response_model=Checkpoints, responses=UNAUTHORISED, tags=["sync"])
    def checkpoints(request: CheckpointsRequest, hub_device: CurrentDevice) -> Checkpoints:
        """The hub's history check at each sequence: a device finds the latest of its checkpoints
        the hub still agrees with and pulls again from there."""
        with engine.connect() as conn:
            found = identity.checks_at(conn, list(request.seqs))
        return Checkpoints(checks=[Checkpoint(seq=seq, check=value) for seq, value in sorted(found.items())])

    @app.get(f"{API}/snapshot", tags=["sync"], response_class=Response,
             responses={**UNAUTHORISED, 200: {"model": SnapshotPage, "description": "one page of merged rows"},
                        422: {"model": ErrorBody, "description": "unknown table or bad paging"}})
    def snapshot_rows(hub_device: CurrentDevice,
                      table: Annotated[str, Query(description="a synced table; parents before the tables "
                                                              "that refer to them")],
                      after_row: Annotated[str, Query(max_length=64, description="last row id loaded")] = "",
                      limit: Annotated[int, Query(ge=1, le=snapshot.MAX_SNAPSHOT_LIMIT)] = 2000) -> Response:
        """A first sync: the hub's merged rows of one table (docs/SYNC.md, "First sync")."""
        if table not in snapshot.snapshot_tables():
            raise HTTPException(422, f"{table!r} is not a synced table")
        with engine.connect() as conn:
            body = snapshot.snapshot_page(conn, hub_device, table, after_row, limit)
        # Built as JSON text from the stored values: validating a million rows again would cost
        # more than reading them. SnapshotPage documents the shape.
        return Response(content=body, media_type="application/json")

    @app.post(f"{API}/snapshot/changes", response_model=RowChanges, tags=["sync"],
              responses={**UNAUTHORISED, 422: {"model": ErrorBody, "description": "unknown table or malformed body"}})
    def snapshot_row_changes(request: RowChangesRequest, hub_device: CurrentDevice) -> RowChanges:
        """Every change of some rows: for a first sync's rows the device cannot load whole (partial rows,
        rows whose parent it does not have)."""
        if request.table not in snapshot.snapshot_tables():
            raise HTTPException(422, f"{request.table!r} is not a synced table")
        with engine.connect() as conn:
            changes = snapshot.row_changes(conn, hub_device, request.table, list(request.row_ids))
        return RowChanges(changes=changes)

    def _agency() -> AgencyRoot:
        if agency is None:
            raise HTTPException(404, {"code": "no_agency", "message": "this hub has no agency root: devices keep "
                                                                     "their own keys"})
        return agency

    @app.post(f"{API}/agency/enrol", response_model=Enrolment, tags=["agency"],
              responses={**UNAUTHORISED,
                         403: {"model": ErrorBody, "description": "the request names another device (code "
                                                                  "csr_other_device, device_id_taken, device_id_revoked)"},
                         404: {"model": ErrorBody, "description": "no agency (code no_agency)"},
                         413: {"model": ErrorBody, "description": "body or request too large"},
                         422: {"model": ErrorBody, "description": "csr_unreadable, csr_signature, weak_key, "
                                                                  "csr_device_id, certificate_limit"}})
    def enrol(request: EnrolRequest, hub_device: CurrentDevice) -> Enrolment:
        """A device certificate for the device's key, signed by the agency root (docs/SYNC.md, "Agency")."""
        root = _agency()
        with push_lock, engine.begin() as conn:  # binding a device id: as a push does, one at a time
            if is_postgres(engine):
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUSH_LOCK_KEY})
            cert = enrol_device_key(conn, root, hub_device, request.csr, _refuse_device_id)
        log.info("certified %s: certificate %x", hub_device.name, cert.serial_number)
        return Enrolment(certificate=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                         root=root.pem.decode("ascii"), fingerprint=agency_fingerprint(cert),
                         serial=f"{cert.serial_number:x}", not_after=cert.not_valid_after_utc.isoformat())

    @app.get(f"{API}/agency/root", tags=["agency"], response_class=Response,
             responses={**UNAUTHORISED, 200: {"content": {"application/x-pem-file": {}}},
                        404: {"model": ErrorBody, "description": "no agency (code no_agency)"}})
    def agency_root(hub_device: CurrentDevice) -> Response:
        return Response(content=_agency().pem, media_type="application/x-pem-file")

    @app.get(f"{API}/agency/crl", tags=["agency"], response_class=Response,
             responses={**UNAUTHORISED, 200: {"content": {"application/pkix-crl": {}}},
                        304: {"description": "the device holds this list already (If-None-Match)"},
                        404: {"model": ErrorBody, "description": "no agency (code no_agency)"}})
    def agency_crl(request: Request, hub_device: CurrentDevice) -> Response:
        """The agency's CRL (DER); its ETag is the list's sha256, so a device sends the hash of the one
        it holds as If-None-Match and gets 304 while nothing changed."""
        _agency()
        body, etag = crl.current()
        if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(content=body, media_type="application/pkix-crl", headers={"ETag": etag})

    @app.head(f"{API}/attachments/{{sha256}}", responses={**UNAUTHORISED, 404: {"description": "not held"}},
              tags=["attachments"])
    def attachment_exists(sha256: Sha256, hub_device: CurrentDevice) -> Response:
        with engine.connect() as conn:
            size = conn.execute(select(attachment.c.size).where(attachment.c.sha256 == sha256)).scalar()
        if size is None:
            return Response(status_code=404)
        return Response(status_code=200, headers={"X-Attachment-Size": str(size)})

    @app.put(f"{API}/attachments/{{sha256}}", response_model=AttachmentStored, tags=["attachments"],
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
             responses={**UNAUTHORISED, 413: {"model": ErrorBody, "description": "file too large"},
                        422: {"model": ErrorBody, "description": "the bytes do not have this sha256"},
                        507: {"model": ErrorBody, "description": "this device's uploads that no attachment "
                                                                 "row names yet are over its quota"}})
    async def put_attachment(request: Request, response: Response, sha256: Sha256,
                             hub_device: CurrentDevice) -> AttachmentStored:
        body = await request.body()
        if hashlib.sha256(body).hexdigest() != sha256:
            raise HTTPException(422, "the uploaded bytes do not have this sha256")
        await run_in_threadpool(cleanup.maybe_run)
        created = await run_in_threadpool(_store_attachment, engine, sha256, body, hub_device,
                                          attachment_quota_bytes)
        response.status_code = 201 if created else 200
        return AttachmentStored(sha256=sha256, size=len(body), created=created)

    @app.get(f"{API}/attachments/{{sha256}}", tags=["attachments"],
             response_class=Response,
             responses={**UNAUTHORISED, 200: {"content": {"application/octet-stream": {}}},
                        404: {"model": ErrorBody, "description": "not held, or not in this device's parks"}})
    def get_attachment(sha256: Sha256, hub_device: CurrentDevice) -> Response:
        with engine.connect() as conn:
            row = conn.execute(select(attachment).where(attachment.c.sha256 == sha256)).first()
            if row is None or not _may_read_attachment(conn, hub_device, sha256, row.uploaded_by):
                raise HTTPException(404, "no such attachment")
        return Response(content=bytes(row.content), media_type="application/octet-stream")

    return app


DEVICE_ID_MESSAGES = {
    DEVICE_ID_TAKEN: "a device pushes only its own changes",
    DEVICE_ID_REVOKED: "this device id was revoked; a new enrolment is a new database",
}


def _refuse_device_id(refusal: str | None, hub_device: Device) -> None:
    """403 with `{"code", "message"}` when the enrolment may not act as that device id."""
    if refusal is None:
        return
    log.warning("refused %s: %s", hub_device.name, refusal)
    raise HTTPException(403, {"code": refusal, "message": DEVICE_ID_MESSAGES[refusal]})


def _store_attachment(engine: Engine, sha256: str, body: bytes, hub_device: Device, quota: int) -> bool:
    with engine.begin() as conn:
        if conn.execute(select(attachment.c.sha256).where(attachment.c.sha256 == sha256)).first():
            return False
        pending = unreferenced_bytes(conn, hub_device)
        if pending + len(body) > quota:
            log.warning("upload refused: %s has %d bytes of uploads no attachment row names", hub_device.name, pending)
            raise HTTPException(507, {"code": "attachment_quota", "message": (
                f"this device's uploads that no attachment row names yet would exceed {quota} bytes; "
                "push the changes naming them, or wait a day for the hub to delete them")})
        try:
            with conn.begin_nested():
                conn.execute(attachment.insert().values(sha256=sha256, size=len(body), content=body,
                                                        uploaded_by=hub_device.id, created_at=utc_now()))
        except IntegrityError:  # uploaded by another device at the same moment: same bytes
            return False
    return True


class _UploadCleanup:
    """Deletes uploads no attachment row names once they are older than `max_age`: at start and
    then on an upload, at most once an hour (one DELETE, so an upload pays next to nothing)."""

    EVERY_S = 3600.0

    def __init__(self, engine: Engine, max_age: timedelta):
        self.engine, self.max_age = engine, max_age
        self.last = 0.0
        self.lock = threading.Lock()

    def run(self) -> None:
        self.last = time.monotonic()
        deleted = delete_unreferenced_attachments(self.engine, self.max_age)
        if deleted:
            log.info("deleted %d uploads no attachment row named for %s", deleted, self.max_age)

    def maybe_run(self) -> None:
        if time.monotonic() - self.last < self.EVERY_S or not self.lock.acquire(blocking=False):
            return
        try:
            self.run()
        finally:
            self.lock.release()


def _may_read_attachment(conn, hub_device: Device, sha256: str, uploaded_by: str) -> bool:
    """A park-limited device reads the files of its parks' attachment rows, and its own uploads."""
    if not hub_device.restricted or uploaded_by == hub_device.id:
        return True
    query = select(row_state.c.row_id).where(row_state.c.table_name == "attachment",
                                             row_state.c.sha256 == sha256,
                                             row_state.c.park_id.in_(list(hub_device.parks))).limit(1)
    return conn.execute(query).first() is not None
