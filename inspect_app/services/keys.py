"""This device's signing key and the certificates it trusts.

The key comes into being in one place, `create_key` (CLI `keys init`, the notice screen, the demo);
the names on the certificate come from the inspector profile unless the caller gives them, the
device id from the store. `keys import`, `show`, `trust`, `trusted` and `untrust` go through the
functions below too. Key files and formats: exports/signing/keys.py; the trusted folder:
exports/signing/trust.py. Refusals are SigningError (its `kind` and `values` name the message).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from db.errors import UserError
from db.store import Store
from exports.signing import (
    DeviceKey,
    KeyInfo,
    SigningError,
    TrustedFile,
    create_device_key,
    import_p12,
    key_info,
    load_device_key,
    matching_trusted,
    read_certificate,
    trust_certificate,
    trusted_files,
    untrust,
)
from forms.i18n import t
from inspect_app.services.profile import current_inspector

if TYPE_CHECKING:
    from cryptography import x509


def _names(store: Store, name: str | None, organisation: str | None) -> tuple[str, str | None]:

    inspector = current_inspector(store)
    if not name:
        name = inspector.name if inspector else t("signing.keys.default_name")
    if not organisation and inspector is not None:
        organisation = inspector.agency or None
    return name, organisation


def create_key(store: Store, directory: Path, *, name: str | None = None, organisation: str | None = None,
               force: bool = False) -> KeyInfo:
    """A new key with a self-signed certificate; KeyExistsError when one is there and not `force`."""
    name, organisation = _names(store, name, organisation)
    return create_device_key(directory, common_name=name, organisation=organisation, device_id=store.device_id,
                             force=force)


def ensure_device_key(store: Store, directory: Path, *, name: str | None = None,
                      organisation: str | None = None) -> tuple[DeviceKey, bool]:
    """This device's key, created first when there is none: (key, created). A damaged key: SigningError."""
    key = load_device_key(directory)
    if key is not None:
        return key, False
    create_key(store, directory, name=name, organisation=organisation)
    return load_device_key(directory), True


def import_key(directory: Path, file: str | Path, password: bytes | None, *, force: bool = False,
               ask_password: Callable[[], bytes] | None = None) -> KeyInfo:
    """This device's key and certificate from a PKCS#12 file. When the file will not open without
    a password and none was given, `ask_password` (a person at the keyboard) is asked once."""
    try:
        return import_p12(directory, file, password, force=force)
    except SigningError as exc:
        if exc.kind != "p12_invalid" or password is not None or ask_password is None:
            raise
    return import_p12(directory, file, ask_password(), force=force)


def device_key_info(directory: Path) -> KeyInfo | None:
    """What this device's certificate says, or None when there is no key; a damaged one: SigningError."""
    return key_info(directory)


# --- the certificates this machine trusts -------------------------------------------------------


def certificate_to_trust(path: str | Path) -> tuple[x509.Certificate, KeyInfo]:
    """The one certificate in a PEM or DER file and what it says, to show before trusting it."""
    cert = read_certificate(path)
    return cert, KeyInfo.from_certificate(cert)


def trust(directory: Path, cert: x509.Certificate) -> tuple[Path, bool]:
    """Copy `cert` into the trusted folder: (its file, whether it was trusted already)."""
    return trust_certificate(directory, cert)


def trusted_certificates(directory: Path) -> list[TrustedFile]:
    return trusted_files(directory)


def trusted_matching(directory: Path, prefix: str) -> list[TrustedFile]:
    """The trusted certificates whose fingerprint starts with `prefix` (16 to 64 hex digits)."""
    return matching_trusted(directory, prefix)


def untrust_all(entries: list[TrustedFile]) -> None:
    """Stop trusting each entry (the same certificate may sit in two files)."""
    for entry in entries:
        untrust(entry)


# --- for the screens: refusals as UserError, so that no screen handles key material itself -------


def has_device_key(directory: Path) -> bool:
    """Whether this device has its signing key in `directory`; a damaged one is refused (UserError)."""
    try:
        return load_device_key(directory) is not None
    except SigningError as exc:
        raise UserError(f"signing.error.{exc.kind}", **exc.values) from exc


def create_key_or_refuse(store: Store, directory: Path, *, organisation: str | None = None) -> KeyInfo:
    """`create_key`, its refusals (a key already there, a certificate without its key) as UserError.
    A folder that cannot be written still raises OSError: the screen names the folder and the reason."""
    try:
        return create_key(store, directory, organisation=organisation)
    except SigningError as exc:
        raise UserError(f"signing.error.{exc.kind}", **exc.values) from exc
