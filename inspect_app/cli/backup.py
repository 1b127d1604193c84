"""`parkinspect backup FILE` and `parkinspect restore BACKUP`: a consistent copy of the database with
its photos, and putting such a copy back in place of the database (db/backup.py).

`backup` brings the file to the current schema first and refuses to overwrite a file without
`--force` or to copy the database onto itself.

The database is the one `--db` / PARKINSPECT_DB / the default names. `restore` is refused (exit 2,
nothing changed) for a file that is not a ParkInspect database or fails SQLite's integrity check, while
the app or another command has the database open, and when a sync hub already holds changes the
backup lacks. The replaced file is kept beside it as `<name>.before-restore-<timestamp>.bak`. The
photos the backup names come back from `<backup>.attachments/` into the attachments folder.

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, print_photo_copy
from inspect_app.cli.common import fail as _fail


def add_parser(sub) -> None:
    backup = sub.add_parser("backup", help=t("cli.backup_help"), description=t("cli.backup_help"))
    backup.add_argument("file", help=t("cli.backup_file"))
    backup.add_argument("--force", action="store_true", help=t("cli.backup_force"))
    backup.set_defaults(handler=run_backup)
    restore = sub.add_parser("restore", help=t("maintenance.restore_help"),
                             description=t("maintenance.restore_help"))
    restore.add_argument("backup", metavar="BACKUP", help=t("maintenance.restore_file"))
    restore.set_defaults(handler=run_restore)


def run_restore(args, settings) -> int:
    from inspect_app.services.backups import RestoreRefused, restore_database

    backup = Path(args.backup).expanduser()
    try:
        restored = restore_database(backup, settings.db_path)
    except RestoreRefused as refused:
        return _fail(refused.key, **refused.values)
    except OSError as exc:
        return _fail("maintenance.restore_failed", db=settings.db_path, reason=exc.strerror or exc)
    print(t("maintenance.restore_done", file=backup, db=settings.db_path))
    if restored.kept is not None:
        print(t("maintenance.restore_kept", file=restored.kept))
    print_photo_copy(restored.photos)
    return EXIT_OK


def run_backup(args, settings) -> int:
    from inspect_app.services.backups import backup_database

    target = Path(args.file)
    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    if target.exists() and not args.force:
        return _fail("cli.backup_exists", file=target)
    if target.resolve() == settings.db_path.resolve():
        return _fail("cli.backup_same_file")
    try:
        photos = backup_database(settings.db_path, target)
    except OSError as exc:  # disk full, a read-only folder, a photo that cannot be read
        return _fail("cli.write_failed", file=target, reason=exc.strerror or exc)
    print(t("cli.backup_done", file=target))
    print_photo_copy(photos)
    return EXIT_OK
