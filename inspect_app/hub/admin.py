"""What `parkinspect hub …` does to a hub, in one module: the commands in inspect_app/cli/hub.py
import this and nothing else of the hub.

Serving (the FastAPI app under uvicorn), the hub database (opening it, showing its URL without
the password), devices and their tokens, backup and restore, the agency root, its CRL file and
the count of certificates it issued. The work is done by the hub's own modules; this names it for
the command line and keeps the hub's libraries (FastAPI, uvicorn, psycopg, SQLAlchemy's URL
parsing) out of the device's CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import uvicorn
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from db.durable import write_durably
from inspect_app.hub import certificates
from inspect_app.hub.agency import (
    AgencyError,
    AgencyRoot,
    build_crl,
    init_agency,
    load_agency,
    passphrase_from_env,
    write_crl,
)
from inspect_app.hub.app import create_app
from inspect_app.hub.backup import backup, restore
from inspect_app.hub.storage import (
    DeviceError,
    enrol_device,
    list_devices,
    normalise_url,
    open_engine,
    revoke_device,
    rotate_token,
)

__all__ = [
    "COPY_ERRORS", "AgencyError", "AgencyRoot", "DeviceError", "agency_summary", "backup", "create_app",
    "default_agency_folder", "enrol_device", "init_agency", "list_devices", "load_agency", "open_engine",
    "passphrase_from_env", "restore", "revoke_device", "rotate_token", "serve", "shown_url",
    "write_crl_file", "write_root_certificate",
]

# What `hub backup` / `hub restore` may meet besides a refusal: an unreachable server, a folder
# that cannot be written.
COPY_ERRORS = (OSError, SQLAlchemyError)


def serve(app, *, host: str, port: int) -> None:
    """Run the hub's HTTP API until stopped (uvicorn; no Server header)."""
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def shown_url(url: str) -> str:
    """The hub database's URL as it may be printed: its password hidden."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def default_agency_folder(url: str) -> Path | None:
    """`agency/` beside a SQLite hub database file; None for PostgreSQL or an in-memory database
    (the caller then takes a folder of its own). Never inside the database: a backup must not
    carry the agency's key."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not parsed.database.startswith("file:"):
        return Path(parsed.database).expanduser().parent / "agency"
    return None


@dataclass(frozen=True)
class CrlWritten:
    path: Path | None  # None: the file could not be written (`error` says why)
    revoked: int
    error: OSError | None = None


def write_crl_file(engine: Engine, agency: AgencyRoot, folder: Path) -> CrlWritten:
    """The agency's CRL signed again from the database's revocations and written to `folder`. A
    file that cannot be written is reported, not raised: the served list comes from the database
    all the same (hub/crl.py)."""
    with engine.connect() as conn:
        revoked = certificates.revoked(conn, agency)
    try:
        path = write_crl(folder, build_crl(agency, revoked))
    except OSError as exc:
        return CrlWritten(None, len(revoked), exc)
    return CrlWritten(path, len(revoked))


def agency_summary(engine: Engine, root: AgencyRoot, now: datetime):
    """How many devices hold a certificate of `root`, how many were issued and revoked."""
    with engine.connect() as conn:
        return certificates.summary(conn, root, now)


def write_root_certificate(target: Path, root: AgencyRoot) -> None:
    """The agency root's certificate (PEM) at `target`, whole or not at all; OSError when it cannot be."""
    write_durably(target, root.pem)
