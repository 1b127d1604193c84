"""`parkinspect restore BACKUP`: put a backup in place of the database (db/backup.py restore_file).

The database is the one `--db` / PARKINSPECT_DB / the default names. Refused (exit 2, nothing
changed) for a file that is not a ParkInspect database or fails SQLite's integrity check, while
the app or another command has the database open, and when a sync hub already holds changes the
backup lacks. The replaced file is kept beside it as `<name>.before-restore-<timestamp>.bak`. The
photos the backup names come back from `<backup>.attachments/` into the attachments folder.
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli_common import EXIT_OK, print_photo_copy
from inspect_app.cli_common import fail as _fail


def add_restore_parser(sub, parser_class) -> None:
    restore = sub.add_parser("restore", help=t("maintenance.restore_help"),
                             description=t("maintenance.restore_help"))
    restore.add_argument("backup", metavar="BACKUP", help=t("maintenance.restore_file"))
    restore.set_defaults(handler=run_restore)


def run_restore(args, settings) -> int:
    from db.attachment_files import folder_beside
    from db.backup import RestoreRefused, attachments_of_backup, restore_file

    backup = Path(args.backup).expanduser()
    try:
        restored = restore_file(backup, settings.db_path)
    except RestoreRefused as refused:
        return _fail(refused.key, **refused.values)
    except OSError as exc:
        return _fail("maintenance.restore_failed", db=settings.db_path, reason=exc.strerror or exc)
    print(t("maintenance.restore_done", file=backup, db=settings.db_path))
    if restored.kept is not None:
        print(t("maintenance.restore_kept", file=restored.kept))
    print_photo_copy(restored.photos, attachments_of_backup(backup), folder_beside(settings.db_path))
    return EXIT_OK
