"""Writing the office's settings back into config.toml without losing what a person wrote there.

The settings screen edits a few tables (`[agency]`, `[risk_flags]`); the file may also hold the
PDF font, the calendar, the time zone and comments an office left for the next person. tomlkit
parses the file into a document that keeps comments, order and formatting, only the keys given
change, and the whole file is replaced at once (written beside it, flushed, renamed: a power cut
leaves the old file or the new one, never half of each).
"""

from __future__ import annotations

from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from db.durable import write_durably
from db.errors import UserError

REMOVE = None  # a value meaning "take this key out" (the setting goes back to its default)


def update_config(path: Path, changes: dict[str, dict[str, object]]) -> None:
    """Set or remove keys table by table: `{"agency": {"name": "…", "court": None}}`.

    A nested dict updates a sub-table the same way (`"contact": {"phone": "…"}`); a table left
    empty by removals is taken out. Keys not named are kept as they are. A file that cannot be
    read as TOML is refused (UserError), never overwritten: it is the office's file.
    """
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        document = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise UserError("settings.errors.unreadable", path=str(path), reason=str(exc).splitlines()[0]) from exc
    for name, values in changes.items():
        _update(document, name, values)
    try:
        write_durably(path, tomlkit.dumps(document).encode("utf-8"))
    except OSError as exc:
        raise UserError("settings.errors.unwritable", path=str(path), reason=exc.strerror or str(exc)) from exc


def _update(container, name: str, values: dict[str, object]) -> None:
    existing = container.get(name)
    if not isinstance(existing, dict):
        if all(value is REMOVE or value == {} for value in values.values()):
            return  # nothing to set: no empty table added
        if name in container:
            del container[name]  # not a table (a typo such as `agency = "x"`): the table replaces it
        existing = tomlkit.table() if isinstance(container, tomlkit.TOMLDocument | Table) else tomlkit.inline_table()
        container[name] = existing
        existing = container[name]
    for key, value in values.items():
        if isinstance(value, dict):
            _update(existing, key, value)
        elif value is REMOVE:
            if key in existing:
                del existing[key]
        else:
            existing[key] = value
    if not existing:
        del container[name]
