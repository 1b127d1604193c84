"""A signed document written to a file: the device's signing key (refused without one), the PDF
signed with it (PAdES) and the file written whole or not at all.

The 一企一档 (services/dossier.py) and the 园区经营信息证明 (services/certificate.py) are written
here; the notices (services/notices.py) take their key here and export their stored, already
signed files with `write_file`.
"""

from __future__ import annotations

from pathlib import Path

from db.errors import UserError
from exports.tabular import atomic_target

Font = tuple[Path | None, int | str | None]  # the office's PDF font (Settings.pdf_font); (None, None): the bundled one


def signing_key(keys_dir: Path):
    """This device's signing key; refused (UserError) when the device has none."""
    from exports.signing import load_device_key  # pyHanko: only when a document is signed

    key = load_device_key(keys_dir)
    if key is None:
        raise UserError("errors.no_signing_key")
    return key


def write_file(target: Path, data: bytes) -> None:
    """`data` at `target`, whole or not at all (a temporary file beside it, renamed)."""
    with atomic_target(target) as temporary:
        Path(temporary).write_bytes(data)


def write_signed(target: Path, unsigned_pdf: bytes, key) -> None:
    """Sign `unsigned_pdf` with `key` and write it to `target` (whole or not at all)."""
    # pyHanko: loaded when a document is written, not when the ledger opens.
    from exports.signing import sign_pdf

    write_file(target, sign_pdf(unsigned_pdf, key))
