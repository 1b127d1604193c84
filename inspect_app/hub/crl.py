"""The agency's CRL as the serving hub hands it out: built from the database's revoked certificates
(hub/certificates.py), signed by the root, kept in memory while nothing changes.

Each request reads the revoked serials (a handful of rows): a `hub device revoke` run by another
process while the hub serves is in the next list asked for. A list is signed again when that set
changed or when it is a day old, well before its next_update (hub/agency.py CRL_VALIDITY).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from inspect_app.hub import certificates
from inspect_app.hub.agency import AgencyRoot, build_crl

log = logging.getLogger("inspect_app.hub")
REFRESH_AFTER = timedelta(days=1)


class CrlCache:
    def __init__(self, engine: Engine, root: AgencyRoot):
        self.engine, self.root = engine, root
        self.lock = threading.Lock()
        self.revoked: list | None = None
        self.built_at: datetime | None = None
        self.body, self.etag = b"", ""

    def current(self) -> tuple[bytes, str]:
        """The CRL (DER) and its ETag (its quoted sha256)."""
        with self.engine.connect() as conn:
            revoked = certificates.revoked(conn, self.root)
        now = datetime.now(UTC)
        with self.lock:
            if revoked != self.revoked or self.built_at is None or now - self.built_at >= REFRESH_AFTER:
                self.body = build_crl(self.root, revoked, now)
                self.etag = f'"{hashlib.sha256(self.body).hexdigest()}"'
                self.revoked, self.built_at = revoked, now
                log.info("agency CRL signed: %d revoked certificates", len(revoked))
            return self.body, self.etag
