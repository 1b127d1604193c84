"""The HTTP sync client: one exchange with the hub (docs/SYNC.md, "Client").

`sync_once` uploads the photos the outbox references that the hub lacks, pushes the outbox in
batches (≤ 500 changes and ≤ PUSH_BYTES of JSON each), pulls other devices' changes page by page
(one transaction per page, the cursor saved with it) and finally fetches the photos it is missing.

Every step is safe to cut at any moment: the hub dedupes a batch sent twice by (device, seq), the
push cursor moves only after the hub's answer, a pulled page and its cursor are one transaction,
and files are written to `.partial` then renamed. So the next `sync_once` finishes the job.

Cursors are keyed by the hub's id (`/me`), so the same hub at a new address carries on where it
was. A hub put back from a backup is noticed (its epoch changed, its acknowledged mark for this
device is below the push cursor, or a pull's history check fails) and the lost part is sent and
pulled again (sync/cursors.py).

Transient failures (no connection, timeouts, 5xx, 409, 429) are retried with exponential back-off
(1, 2, 4 … at most 60 s; a 429's Retry-After is honoured) up to `max_tries` attempts, then
`SyncNetworkError`. A refused token is `SyncAuthError` at once. Changes the hub rejects are kept in
`rejected_change` (never re-sent, never dropped). The token is never logged.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from db import changelog_prune, device_scope, notice_block
from db.attachment_files import attachments_dir, find, suffix_for
from db.clock import MAX_SKEW_MS
from db.durable import write_durably
from db.errors import UserError
from db.store import Store
from forms.i18n import t
from inspect_app.sync import clock_fix, cursors, enrolment, resend, retry, snapshot
from inspect_app.sync.apply import apply_page, set_aside_count
from inspect_app.sync.changes import mark_pushed, outbox_page, push_cursor, record_rejected, save_push_cursor
from inspect_app.sync.hub_settings import normalise_hub_url

log = logging.getLogger(__name__)

API = "/api/v1"
PUSH_COUNT = 500  # the hub's limit per push
PUSH_BYTES = 4_000_000  # below the hub's 5 MB body limit, with room for the envelope
PULL_LIMIT = 1000  # the hub's largest page
MAX_DELAY = 60.0
MAX_TRIES = 6  # 1 + 2 + 4 + 8 + 16 s of waiting before giving up
RETRY_STATUSES = frozenset({409, 429})
CLOCK_AHEAD = "clock_ahead"  # a push refusal: the stamp is too far ahead of the hub's clock
MAX_CLOCK_ROUNDS = 3  # re-measure and re-stamp at most this often per sync, then leave the rest for the next
HISTORY_CHANGED = "history_changed"  # the hub's 409 code on a pull whose cursor's check no longer holds
MAX_HISTORY_RESTARTS = 3  # a hub restored again while this device re-pulls: give up for this run


def tls_context() -> ssl.SSLContext:
    """The certificates a sync trusts: httpx's defaults (certifi's bundle, or the files SSL_CERT_FILE
    and SSL_CERT_DIR name, as an office with its own certificate authority sets them), made once
    per process and setting. httpx makes a new context for every client, loading and parsing the
    whole bundle: ~20 ms of CPU for each sync, every few minutes in the app and hundreds of times
    in a test run. One context serves any number of connections and threads."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads the two variables itself; they are the cache's key


# progress(stage, done, total): stage is "upload", "push", "pull" or "download"; total may be None.
Progress = Callable[[str, int, int | None], None]


class SyncAuthError(UserError):
    """The hub refused the token (unknown, revoked, or another device's): retrying cannot help."""


class SyncNetworkError(UserError):
    """The hub could not be reached or kept failing after every retry: try again later."""


class SyncRefusedError(UserError):
    """The hub refused a request for a reason retrying cannot fix (a bug or a version mismatch)."""


@dataclass
class SyncSummary:
    pushed: int = 0  # changes the hub acknowledged (accepted or already held)
    pulled: int = 0  # changes received from other devices
    applied: int = 0  # of those, merged into the data now
    conflicts: int = 0  # conflict rows written
    rejected: int = 0  # changes the hub refused this time (kept in rejected_change)
    set_aside: int = 0  # received changes this device could not apply, this time (kept in the inbox)
    set_aside_total: int = 0  # all received changes set aside here (the TUI lists them)
    attachments_up: int = 0
    attachments_down: int = 0
    attachments_missing: int = 0  # photos referenced here that neither side could supply
    clock_offset_ms: int = 0  # the correction of this machine's clock now applied (hub minus machine, ms)
    clock_corrected: bool = False  # the correction changed notably at this sync (the user is told)
    restamped: int = 0  # changes given new stamps because the clock was ahead
    resent: int = 0  # changes written again from the rows for a hub that lost what the outbox pruned
    pruned: int = 0  # outbox entries every hub acknowledged, deleted after this sync
    # The agency (sync/enrolment.py): "" nothing to do or no agency; "enrolled" a device certificate was
    # stored now; "failed" asking for one did not work (`enrolment_problem` says why; the data synced).
    enrolment: str = ""
    enrolment_problem: str = ""
    crl_updated: bool = False  # a newer agency revocation list was stored
    duration: float = 0.0  # seconds


def summary_line(summary: SyncSummary) -> str:
    """"已推送 12 条，已拉取 40 条，冲突 1 条" and, when there were any, refused changes and photos."""
    parts = [t("sync.summary", pushed=summary.pushed, pulled=summary.pulled, conflicts=summary.conflicts)]
    if summary.rejected:
        parts.append(t("sync.summary_rejected", rejected=summary.rejected))
    if summary.set_aside:
        parts.append(t("sync.summary_set_aside", set_aside=summary.set_aside))
    if summary.attachments_up or summary.attachments_down:
        parts.append(t("sync.summary_files", up=summary.attachments_up, down=summary.attachments_down))
    if summary.attachments_missing:
        parts.append(t("sync.summary_missing", missing=summary.attachments_missing))
    if summary.clock_corrected:
        parts.append(clock_fix.correction_text(summary.clock_offset_ms))
    if summary.restamped:
        parts.append(t("sync.summary_restamped", restamped=summary.restamped))
    if summary.enrolment == "enrolled":
        parts.append(t("sync.enrolment.enrolled"))
    elif summary.enrolment == "failed":
        parts.append(t("sync.enrolment.failed", reason=summary.enrolment_problem))
    return t("sync.summary_join").join(parts)


def sync_once(store: Store, hub_url: str, token: str, *, progress: Progress | None = None,
              transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] | None = None,
              max_tries: int | None = None, timeout: float = 30.0, keys_dir: Path | None = None) -> SyncSummary:
    """Push this device's changes to the hub and pull the others'; see the module docstring.

    `progress(stage, done, total)` is called as work advances; `transport` replaces the network
    (tests); `sleep` waits between retries (default time.sleep), `max_tries` default MAX_TRIES.
    `keys_dir`: this device's signing key folder; when given and the hub has an agency, the key is
    certified by it and the agency's revocation list fetched (sync/enrolment.py). None: neither."""
    sleep = sleep or time.sleep
    max_tries = max_tries or MAX_TRIES
    hub_url = normalise_hub_url(hub_url)
    if not token or not token.strip():
        raise UserError("sync.no_token", field="token")
    started = time.perf_counter()
    summary = SyncSummary()
    headers = {"Authorization": f"Bearer {token.strip()}", "User-Agent": "parkinspect-sync"}
    with httpx.Client(base_url=hub_url + API, headers=headers, transport=transport, timeout=timeout,
                      verify=tls_context()) as http:
        session = _Session(http, hub_url, sleep, max_tries)
        run = _Run(store, session, summary, progress or (lambda stage, done, total: None))
        run.check_device()
        run.push()
        run.pull()
        run.download()
        if keys_dir is not None:
            run.agency(Path(keys_dir))
        run.finish()
    summary.set_aside_total = set_aside_count(store)
    summary.duration = time.perf_counter() - started
    log.info("sync with %s: %d pushed, %d pulled, %d conflicts, %d rejected, %d set aside, %d/%d files up/down "
             "in %.1f s", hub_url, summary.pushed, summary.pulled, summary.conflicts, summary.rejected, summary.set_aside,
             summary.attachments_up, summary.attachments_down, summary.duration)
    return summary


class _Session:
    """Requests with the retry policy and the translation of refusals into errors."""

    def __init__(self, http: httpx.Client, hub_url: str, sleep, max_tries: int):
        self.http, self.hub_url, self.sleep, self.max_tries = http, hub_url, sleep, max(1, max_tries)

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs) -> httpx.Response:
        """The response once its status is in `ok` (or a non-retriable 4xx the caller handles:
        404, 413, 422 are returned too); transient failures are retried with back-off."""
        for attempt in range(self.max_tries):
            last_try = attempt == self.max_tries - 1
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:  # no connection, timeout, cut mid-answer
                if (refusal := _certificate_refusal(exc)) is not None:  # retrying cannot fix it
                    raise SyncNetworkError("sync.certificate_untrusted", hub=self.hub_url, reason=refusal) from exc
                log.warning("sync %s %s: %s (try %d of %d)", method, path, type(exc).__name__,
                            attempt + 1, self.max_tries)
                if last_try:
                    raise SyncNetworkError("sync.network_failed", hub=self.hub_url,
                                           reason=type(exc).__name__) from exc
                self.sleep(_backoff(attempt))
                continue
            status = response.status_code
            if status in ok or status in (404, 413, 422):
                return response
            if status == 401:
                raise SyncAuthError("sync.token_refused", field="token", hub=self.hub_url)
            if status == 403:
                if _detail_code(response) == "device_id_revoked":  # hub/storage.py DEVICE_ID_REVOKED
                    raise SyncAuthError("sync.device_id_revoked", field="token", hub=self.hub_url)
                raise SyncAuthError("sync.token_other_device", field="token", hub=self.hub_url)
            if status in RETRY_STATUSES or status >= 500:
                log.warning("sync %s %s: HTTP %d (try %d of %d)", method, path, status, attempt + 1, self.max_tries)
                if last_try:
                    raise SyncNetworkError("sync.network_failed", hub=self.hub_url, reason=f"HTTP {status}")
                self.sleep(_retry_after(response) if status == 429 else _backoff(attempt))
                continue
            raise SyncRefusedError("sync.hub_refused", hub=self.hub_url, status=status, detail=_detail(response))
        raise AssertionError("unreachable")  # the loop returns or raises


def _certificate_refusal(exc: BaseException) -> str | None:
    """The reason the hub's certificate was refused, when that is why a request failed (httpx wraps
    httpcore's error, which wraps the ssl module's); None for every other failure."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or str(cause)
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _backoff(attempt: int) -> float:
    return min(MAX_DELAY, float(2 ** attempt))


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(MAX_DELAY, max(0.0, float(response.headers.get("Retry-After", "1"))))
    except ValueError:  # an HTTP date: not worth parsing, wait a second
        return 1.0


def _detail_code(response: httpx.Response) -> str | None:
    """The `code` of a refusal whose detail is `{"code", "message"}`, else None."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail.get("code") if isinstance(detail, dict) else None


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]


class _Run:
    def __init__(self, store: Store, session: _Session, summary: SyncSummary, progress: Progress):
        self.store, self.session, self.summary, self.progress = store, session, summary, progress
        self.hub_url = session.hub_url
        self.hub: str | None = None  # the key of this hub's cursors: its id, from the first /me
        self.me: dict = {}  # the first /me of this sync

    def check_device(self) -> None:
        """GET /me (fix_clock), which first checks the device and takes the hub's identity (identify)."""
        self.fix_clock()

    def identify(self, me: dict) -> None:
        """A token already bound to another device id would be refused at the first push (403);
        say so before sending anything (a copied database, or one token on two laptops). The hub
        also refuses this device's id when it was revoked (403 `device_id_revoked`), before any pull.
        Then the hub's identity: its cursors here, and whether it was put back from a backup."""
        bound = me.get("device_id")
        if bound and bound != self.store.device_id:
            raise SyncAuthError("sync.token_other_device", field="token", hub=self.hub_url)
        self.hub = str(me.get("hub_id") or self.hub_url)
        last_epoch = cursors.attach(self.store, self.hub, self.hub_url)
        epoch = me.get("epoch")
        if epoch is not None and last_epoch is not None and epoch != last_epoch:
            log.warning("hub %s is at history epoch %s (was %s): restored from a backup; checking where "
                        "its history and this device's still agree", self.hub_url, epoch, last_epoch)
            self.verify_history()
        if epoch is not None:
            cursors.set_epoch(self.store, self.hub, int(epoch))
        acked = me.get("acked_seq")
        if acked is None:  # a hub from before the acknowledged mark
            return
        # What it lost that the outbox no longer holds (pruned) comes again from the rows.
        resent = resend.recover(self.store, self.hub, int(acked))
        self.summary.resent = resent or 0
        if resent is None and cursors.rewind_push(self.store, self.hub, int(acked)):
            log.warning("hub %s holds this device's changes only up to %s: sending the rest again",
                        self.hub_url, acked)

    def verify_history(self) -> None:
        """Move the pull cursor back to the latest checkpoint the hub still agrees with (0 if none):
        changes after it are pulled again, and the inbox skips those already here."""
        points = cursors.checkpoints(self.store, self.hub)
        checks = cursors.fetch_checks(self._request_ok, [seq for seq, _ in points]) if points else {}
        agreed = max((seq for seq, check in points if checks.get(seq) == check), default=0)
        if agreed < push_cursor(self.store, self.hub)[1]:
            log.warning("hub %s: history differs after sequence %d; pulling again from there", self.hub_url, agreed)
        cursors.rewind_pull(self.store, self.hub, agreed)

    def _request_ok(self, method: str, path: str, **kwargs) -> httpx.Response:
        response = self.session.request(method, path, **kwargs)
        if response.status_code != 200:
            raise SyncRefusedError("sync.hub_refused", hub=self.hub_url, status=response.status_code,
                                   detail=_detail(response))
        return response

    # --- clock -----------------------------------------------------------------------------------

    def fix_clock(self, *, requeue: tuple[int, ...] = (), acked: int | None = None) -> dict:
        """GET /me; learn this machine's clock offset from the hub's time and re-stamp the changes not
        sent that are too far ahead (sync/clock_fix.py). `requeue`: changes the hub just refused as
        `clock_ahead`, made new outbox entries while the push cursor moves to `acked`."""
        sent = self.store.clock.machine_ms()
        me = self.session.request("GET", "/me", params={"device_id": self.store.device_id}).json()
        received = self.store.clock.machine_ms()
        if self.hub is None:  # the first /me of this sync: which hub, and was it restored?
            self.me = me
            self.identify(me)
            # The notice block the hub gave this enrolment: numbers issued from now on use it
            # (unless one was set by hand); notices already issued keep theirs (db/notice_block.py).
            with self.store.connect() as conn:
                notice_block.adopt_hub_block(conn, me.get("notice_block"))
                # Which parks this enrolment covers: the office's services (plans) need all of them.
                device_scope.adopt_hub_parks(conn, me.get("parks"))
        hub_now = me.get("now_ms")
        if not isinstance(hub_now, int):  # a hub from before the clock rule
            if requeue:  # cannot happen with such a hub; keep them rather than lose them
                self.summary.rejected += record_rejected(self.store, [
                    {"device_seq": seq, "code": CLOCK_AHEAD, "message": ""} for seq in requeue])
            if acked is not None:
                mark_pushed(self.store, self.hub, acked)
            return me
        measured = clock_fix.measure_offset(hub_now, sent, received)
        correction = clock_fix.adopt_offset(self.store, measured, received - sent)
        self.summary.clock_offset_ms = correction.offset_ms
        if abs(correction.changed_by_ms) >= clock_fix.TELL_USER_MS:
            self.summary.clock_corrected = True
        # Not sent yet: after the cursor, or after what the hub just answered for (it holds the rest).
        pushed = acked if acked is not None else push_cursor(self.store, self.hub)[0]
        limit = hub_now + MAX_SKEW_MS
        move = None if acked is None else (lambda conn: save_push_cursor(conn, self.hub, acked))
        self.summary.restamped += clock_fix.restamp_outbox(self.store, pushed, limit, requeue=requeue,
                                                           in_transaction=move)
        return me

    # --- push ------------------------------------------------------------------------------------

    def push(self) -> None:
        pushed, _ = push_cursor(self.store, self.hub)
        total = _pending(self.store, pushed)
        done = 0
        budget = PUSH_BYTES
        clock_rounds = 0
        while page := outbox_page(self.store, pushed, PUSH_COUNT):
            batch, body = _batch(page, budget)
            self._upload_files(batch)
            response = self.session.request("POST", "/push", content=body,
                                            headers={"Content-Type": "application/json"})
            if response.status_code == 413:
                if len(batch) > 1:  # the hub's limit is lower than ours: halve and retry
                    budget = max(1, len(body) // 2)
                    continue
                self._too_large(batch[0])
                pushed = batch[0]["device_seq"]
                done += 1
                continue
            if response.status_code != 200:
                raise SyncRefusedError("sync.hub_refused", hub=self.hub_url, status=response.status_code,
                                       detail=_detail(response))
            answer = response.json()
            acked = int(answer["acked_through"])
            rejected = answer.get("rejected", [])
            ahead = tuple(int(r["device_seq"]) for r in rejected if r.get("code") == CLOCK_AHEAD)
            # Refusals first: a cut between the two re-sends the batch, the hub refuses it again
            # and record_rejected keeps one copy. The other way round could lose a refusal.
            self.summary.rejected += record_rejected(self.store, [r for r in rejected if r.get("code") != CLOCK_AHEAD])
            if acked < batch[-1]["device_seq"]:  # the hub did not take the whole batch: never loop
                raise SyncRefusedError("sync.hub_refused", hub=self.hub_url, status=200,
                                       detail=f"acked_through {acked} < {batch[-1]['device_seq']}")
            if ahead:
                # The clock moved ahead since /me (or the hub allows less skew): measure again and
                # send those changes again as new entries with new stamps, moving the cursor with them.
                clock_rounds += 1
                self.fix_clock(requeue=ahead, acked=acked)
            else:
                mark_pushed(self.store, self.hub, acked)
            self.summary.pushed += len(batch) - len(rejected)
            done += len(batch)
            pushed = acked
            self.progress("push", done, total)
            if clock_rounds >= MAX_CLOCK_ROUNDS:  # the re-stamped changes wait in the outbox for the next sync
                log.warning("the hub kept refusing stamps as ahead of its clock; the rest waits for the next sync")
                return

    def finish(self) -> None:
        """Stamp the last sync time (the cursor itself does not move), then prune the outbox entries
        every hub acknowledged (db/changelog_prune.py; no VACUUM: the pages freed are reused by the
        next writes, `parkinspect compact` gives them back to the disk)."""
        mark_pushed(self.store, self.hub, push_cursor(self.store, self.hub)[0])
        with self.store.connect() as conn:
            self.summary.pruned = changelog_prune.prune(conn)

    def _too_large(self, change: dict) -> None:
        """One change alone over the hub's body limit: retrying cannot help, so it is kept with
        the refused changes (shown in the TUI) and the outbox moves on."""
        self.summary.rejected += record_rejected(self.store, [{
            "device_seq": change["device_seq"], "code": "too_large",
            "message": "the change is larger than the hub accepts in one request"}])
        mark_pushed(self.store, self.hub, change["device_seq"])

    def _upload_files(self, batch: list[dict]) -> None:
        """Photos first: a row that reaches other devices finds its file on the hub."""
        hashes = [c["payload"].get("sha256") for c in batch if c["table"] == "attachment" and c["op"] == "insert"]
        for digest in filter(None, hashes):
            if self.session.request("HEAD", f"/attachments/{digest}").status_code == 200:
                continue
            path = _local_file(self.store, digest)
            if path is None:
                log.warning("photo %s is not on this device; not uploaded", digest)
                self.summary.attachments_missing += 1
                continue
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                log.warning("photo file %s does not match its hash; not uploaded", path.name)
                self.summary.attachments_missing += 1
                continue
            # 507: over this device's quota of uploads not yet named by a pushed row (hub/app.py):
            # like a photo missing here, counted and logged; the sync goes on.
            response = self.session.request("PUT", f"/attachments/{digest}", content=data, ok=(200, 201, 507),
                                            headers={"Content-Type": "application/octet-stream"})
            if response.status_code in (200, 201):
                self.summary.attachments_up += 1
                self.progress("upload", self.summary.attachments_up, None)
            else:
                log.warning("hub refused photo %s: HTTP %d", digest, response.status_code)
                self.summary.attachments_missing += 1

    # --- agency ----------------------------------------------------------------------------------

    def agency(self, keys_dir: Path) -> None:
        """The agency's certificate for this device's key and its revocation list, after the data: a
        failure here is logged and shown in the summary, and never fails the sync."""
        root_fp = self.me.get("agency_root")
        if not isinstance(root_fp, str) or len(root_fp) != 64:  # no agency, or a hub from before agencies
            return
        try:
            root = self.certify(keys_dir, root_fp)
        except (UserError, enrolment.EnrolmentError, OSError, ValueError, KeyError) as exc:
            log.warning("no agency certificate this time: %s", exc)
            self.summary.enrolment = "failed"
            self.summary.enrolment_problem = exc.message() if isinstance(exc, UserError) else str(exc)
            root = None
        try:
            root = root or enrolment.held_root(keys_dir, root_fp) or self.fetch_root(keys_dir, root_fp)
            self.fetch_crl(keys_dir, root)
        except (UserError, enrolment.EnrolmentError, OSError, ValueError) as exc:
            log.warning("agency revocation list not updated: %s", exc)

    def certify(self, keys_dir: Path, root_fp: str):
        """Ask for a device certificate when this key has none from this agency (enrolment.needs_certificate);
        the root when one came with it, else None."""
        name = str(self.me.get("name") or "")
        held = enrolment.load_key(keys_dir)
        if held is None:
            enrolment.create_key(keys_dir, name, self.store.device_id)
            held = enrolment.load_key(keys_dir)
        private_key, certs = held
        if not enrolment.needs_certificate(private_key, certs, root_fp, enrolment.now_utc()):
            return None
        csr = enrolment.make_csr(private_key, name, self.store.device_id)
        response = self.session.request("POST", "/agency/enrol", json={"csr": csr}, ok=(200, 403))
        if response.status_code == 404 and _detail_code(response) == "no_agency":
            return None
        if response.status_code != 200:
            raise SyncRefusedError("sync.enrolment.refused", code=_detail_code(response) or response.status_code,
                                   detail=_detail(response))
        answer = response.json()
        root = enrolment.check_root(answer["root"].encode("ascii"), root_fp)
        enrolment.store_certificate(keys_dir, private_key, answer["certificate"].encode("ascii"), root)
        self.summary.enrolment = "enrolled"
        return root

    def fetch_root(self, keys_dir: Path, root_fp: str):
        response = self._request_ok("GET", "/agency/root")
        root = enrolment.check_root(response.content, root_fp)
        enrolment.store_root(keys_dir, root)
        return root

    def fetch_crl(self, keys_dir: Path, root) -> None:
        """GET /agency/crl, sending the hash of the list held here: 304 while it did not change."""
        etag = enrolment.crl_etag(keys_dir, enrolment.fingerprint(root))
        response = self.session.request("GET", "/agency/crl", ok=(200, 304),
                                        headers={"If-None-Match": etag} if etag else {})
        if response.status_code == 200:
            self.summary.crl_updated = enrolment.store_crl(keys_dir, response.content, root)

    # --- pull ------------------------------------------------------------------------------------

    def pull(self) -> None:
        # Once after an upgrade of this database: what was set aside for naming a table or field
        # it lacked is taken again (sync/retry.py).
        retried = retry.retry_unknown(self.store)
        self.summary.applied += retried.applied
        self.summary.conflicts += retried.conflicts
        for _attempt in range(MAX_HISTORY_RESTARTS):
            if self.pull_pages():
                return
            self.verify_history()  # the hub's history changed under the cursor: resume where it agrees
        raise SyncRefusedError("sync.hub_refused", hub=self.hub_url, status=409, detail=HISTORY_CHANGED)

    def pull_pages(self) -> bool:
        """Pull to the end; False when the hub says its history at the cursor is not the one this
        device pulled (it was put back from a backup)."""
        if snapshot.needed(self.store, self.hub):
            self.first_pull()
        _, pulled = push_cursor(self.store, self.hub)
        while True:
            params = {"after": pulled, "limit": PULL_LIMIT}
            check = cursors.check_at(self.store, self.hub, pulled) if pulled else None
            if check is not None:
                params["check"] = check
            response = self.session.request("GET", "/changes", params=params, ok=(200, 409))
            if response.status_code == 409 and _detail_code(response) == HISTORY_CHANGED:
                log.warning("hub %s: its history at sequence %d is not the one pulled here", self.hub_url, pulled)
                return False
            if response.status_code != 200:
                raise SyncRefusedError("sync.hub_refused", hub=self.hub_url, status=response.status_code,
                                       detail=_detail(response))
            page = response.json()
            next_after = int(page["next_after"])
            if page["changes"] or next_after != pulled or (check is None and page.get("check") is not None):
                result = apply_page(self.store, page["changes"], hub=self.hub, hub_seq_cursor=next_after,
                                    cursor_check=page.get("check"))
                self.summary.pulled += result.received
                self.summary.applied += result.applied
                self.summary.conflicts += result.conflicts
                self.summary.set_aside += result.kept
                self.progress("pull", self.summary.pulled, None)
            pulled = max(pulled, next_after)
            if not page["has_more"]:
                return True

    def first_pull(self) -> None:
        """A device that never pulled loads the hub's merged rows instead of every change
        (sync/snapshot.py); the pull then continues from the snapshot's sequence."""
        loaded = snapshot.load(self.store, self.hub, self._request_ok,
                               progress=lambda _stage, done, total: self.progress("pull", done, total))
        self.summary.pulled += loaded.rows + loaded.changes
        self.summary.applied += loaded.rows + loaded.changes
        self.summary.conflicts += loaded.conflicts
        self.summary.set_aside += loaded.set_aside

    # --- photos missing here ---------------------------------------------------------------------

    def download(self) -> None:
        """Every attachment row whose file is not here (pulled now or by an earlier, cut sync)."""
        present = _present_files(self.store)
        with self.store.connect() as conn:
            rows = conn.execute("SELECT sha256, original_name, media_type FROM attachment").fetchall()
        missing = [row for row in rows if row[0] not in present]
        for done, (digest, original_name, media_type) in enumerate(missing, 1):
            response = self.session.request("GET", f"/attachments/{digest}")
            if response.status_code != 200 or hashlib.sha256(response.content).hexdigest() != digest:
                log.warning("photo %s: not available from the hub (HTTP %d)", digest, response.status_code)
                self.summary.attachments_missing += 1
                continue
            _write_file(self.store, digest, suffix_for(original_name, media_type), response.content)
            self.summary.attachments_down += 1
            self.progress("download", done, len(missing))


def _pending(store: Store, after_seq: int) -> int:
    with store.connect() as conn:
        return conn.execute("SELECT count(*) FROM change_log WHERE seq > ?", (after_seq,)).fetchone()[0]


def _batch(page: list[dict], budget: int) -> tuple[list[dict], bytes]:
    """The longest head of `page` whose push body fits in `budget` bytes (at least one change)."""
    encoded = [json.dumps(c, ensure_ascii=False, separators=(",", ":")).encode() for c in page]
    size, count = len(b'{"changes":[]}'), 0
    for item in encoded:
        if count and size + len(item) + 1 > budget:
            break
        size += len(item) + 1
        count += 1
    return page[:count], b'{"changes":[' + b",".join(encoded[:count]) + b"]}"


def _present_files(store: Store) -> set[str]:
    """sha256 of every complete file in the attachments folder (one directory walk, not a glob per row)."""
    folder = attachments_dir(store)
    present = set()
    if folder.is_dir():
        for sub in folder.iterdir():
            if sub.is_dir():
                present.update(p.name[:64] for p in sub.iterdir() if not p.name.endswith(".partial"))
    return present


def _local_file(store: Store, digest: str) -> Path | None:
    return find(attachments_dir(store), digest)


def _write_file(store: Store, digest: str, suffix: str, data: bytes) -> None:
    """Content-addressed, written whole or not at all (a cut leaves only a `.partial`)."""
    write_durably(attachments_dir(store) / digest[:2] / f"{digest}{suffix}", data)
