"""This device's signing key: the one place it comes into being (CLI `keys init`, the notice screen, the demo).

The names on the certificate come from the inspector profile unless the caller gives them; the
device id from the store. Key files and formats: exports/signing/keys.py.
"""

from __future__ import annotations

from pathlib import Path

from db.errors import UserError
from db.store import Store
from exports.signing import DeviceKey, KeyInfo, SigningError, create_device_key, load_device_key
from forms.i18n import t


def _names(store: Store, name: str | None, organisation: str | None) -> tuple[str, str | None]:
    from inspect_app.services.profile import current_inspector

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
