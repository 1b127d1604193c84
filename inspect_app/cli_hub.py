"""`parkinspect hub …`: run the sync hub, enrol, list and revoke its devices, back it up and
restore it (docs/SYNC.md).

The hub database is its own (default `<data dir>/hub.db`, or a PostgreSQL URL), never a device's.
The hub is an optional extra (`pip install 'parkinspect[hub]'`): nothing here imports FastAPI,
uvicorn or psycopg until a hub command runs, and `cli.main` checks they are there first
(`hub_extra_missing`), so a laptop install gets a sentence, not a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from forms.i18n import t
from inspect_app import config

EXIT_OK, EXIT_BAD_INPUT = 0, 2
HUB_EXTRA_MODULES = ("fastapi", "uvicorn", "psycopg")  # what `parkinspect[hub]` brings


def hub_extra_missing() -> str | None:
    """The first module of the hub extra that cannot be imported, or None when all are there."""
    for name in HUB_EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


def add_hub_parser(sub, parser_class) -> None:
    hub = sub.add_parser("hub", help=t("hub.help"), description=t("hub.help"))
    hub.set_defaults(needs_hub_extra=True)  # every `hub …` command: checked by cli.main
    hub_sub = hub.add_subparsers(dest="hub_command", parser_class=parser_class, required=True)

    serve = hub_sub.add_parser("serve", help=t("hub.serve_help"), description=t("hub.serve_help"))
    serve.add_argument("--db", dest="hub_db", metavar="URL", help=t("hub.opt_db"))
    serve.add_argument("--host", default="127.0.0.1", help=t("hub.opt_host"))
    serve.add_argument("--port", type=int, default=8765, help=t("hub.opt_port"))
    serve.add_argument("--max-clock-skew", dest="max_clock_skew", type=_skew_seconds, default=600.0,
                       metavar="SECONDS", help=t("hub.opt_max_clock_skew"))
    serve.set_defaults(handler=run_hub_serve)

    device = hub_sub.add_parser("device", help=t("hub.device_help"), description=t("hub.device_help"))
    device_sub = device.add_subparsers(dest="device_command", parser_class=parser_class, required=True)
    add = device_sub.add_parser("add", help=t("hub.device_add_help"), description=t("hub.device_add_help"))
    add.add_argument("name", help=t("hub.device_name"))
    add.add_argument("--park", action="append", default=[], metavar="CODE", help=t("hub.opt_park"))
    list_ = device_sub.add_parser("list", help=t("hub.device_list_help"), description=t("hub.device_list_help"))
    list_.add_argument("--limit", type=int, default=100, help=t("hub.opt_limit"))
    list_.add_argument("--offset", type=int, default=0, help=t("hub.opt_offset"))
    revoke = device_sub.add_parser("revoke", help=t("hub.device_revoke_help"),
                                   description=t("hub.device_revoke_help"))
    revoke.add_argument("name", help=t("hub.device_name"))
    rotate = device_sub.add_parser("rotate", help=t("hub.device_rotate_help"),
                                   description=t("hub.device_rotate_help"))
    rotate.add_argument("name", help=t("hub.device_name"))
    backup = hub_sub.add_parser("backup", help=t("hub.backup_help"), description=t("hub.backup_help"))
    backup.add_argument("file", help=t("hub.backup_file"))
    restore = hub_sub.add_parser("restore", help=t("hub.restore_help"), description=t("hub.restore_help"))
    restore.add_argument("file", help=t("hub.restore_file"))
    for command, handler in ((add, run_device_add), (list_, run_device_list), (revoke, run_device_revoke),
                             (rotate, run_device_rotate), (backup, run_hub_backup), (restore, run_hub_restore)):
        command.add_argument("--hub-db", dest="hub_db", metavar="URL", help=t("hub.opt_db"))
        command.set_defaults(handler=handler)


def hub_database(args) -> str:
    if args.hub_db:
        return args.hub_db
    return f"sqlite:///{config.data_dir() / 'hub.db'}"  # its folder is made 0700 by open_engine


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    from inspect_app.hub.storage import normalise_url

    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def _engine(args):
    from inspect_app.hub.storage import open_engine

    url = hub_database(args)
    try:
        return open_engine(url)
    except Exception as exc:  # a bad URL, an unreachable server, a folder that cannot be written
        print(t("hub.db_error", database=_shown(url) if "://" in url else url, reason=type(exc).__name__),
              file=sys.stderr)
        return None


def _refuse(exc) -> int:
    print(t(exc.key, **exc.values), file=sys.stderr)
    return EXIT_BAD_INPUT


def _skew_seconds(text: str) -> float:
    """--max-clock-skew: a number of seconds, at least one (a hub refusing every stamp helps nobody)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 1 <= value <= 10 * 365 * 86400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(t("hub.bad_max_clock_skew", value=text))
    return value


def run_hub_serve(args, settings) -> int:
    import uvicorn

    from inspect_app.hub.app import create_app

    url = hub_database(args)
    try:
        app = create_app(url, max_clock_skew_s=args.max_clock_skew)
    except Exception as exc:
        print(t("hub.db_error", database=_shown(url), reason=type(exc).__name__), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(t("hub.serving", host=args.host, port=args.port, database=_shown(url)), flush=True)
    print(_log_destination(), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False)
    return EXIT_OK


def _log_destination() -> str:
    """Where the hub's own log goes: the app's log file (config.setup_logging), or this terminal
    when none could be opened. uvicorn's server and access lines go to the terminal either way."""
    log_file = config.log_file()
    if log_file is not None:
        return t("hub.log_file", file=log_file)
    hub_log = logging.getLogger("inspect_app.hub")
    hub_log.addHandler(logging.StreamHandler(sys.stderr))
    hub_log.setLevel(logging.INFO)
    return t("hub.log_stderr")


def run_device_add(args, settings) -> int:
    from inspect_app.hub.storage import DeviceError, enrol_device

    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        hub_device, token = enrol_device(engine, args.name, args.park)
    except DeviceError as exc:
        return _refuse(exc)
    finally:
        engine.dispose()
    print(t("hub.device_added", name=hub_device.name))
    print(token)
    print(t("hub.token_note"))
    print(t("hub.device_notice_block", block=hub_device.notice_block))
    return EXIT_OK


def run_device_list(args, settings) -> int:
    from inspect_app.hub.storage import list_devices

    if args.limit < 1 or args.offset < 0:
        print(t("hub.page_invalid"), file=sys.stderr)
        return EXIT_BAD_INPUT
    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        devices, total = list_devices(engine, offset=args.offset, limit=args.limit)
    finally:
        engine.dispose()
    for hub_device in devices:
        status = t("hub.status_revoked") if hub_device.revoked_at else t("hub.status_active")
        parks = ", ".join(hub_device.parks) if hub_device.parks else t("hub.all_parks")
        print(t("hub.device_line", name=hub_device.name, status=status, device_id=hub_device.device_id or "-",
                parks=parks, created=hub_device.created_at.strftime("%Y-%m-%d")))
    print(t("hub.list_page", first=args.offset + 1 if devices else 0, last=args.offset + len(devices), total=total))
    return EXIT_OK


def run_device_revoke(args, settings) -> int:
    from inspect_app.hub.storage import DeviceError, revoke_device

    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        hub_device = revoke_device(engine, args.name)
    except DeviceError as exc:
        return _refuse(exc)
    finally:
        engine.dispose()
    print(t("hub.device_revoked", name=hub_device.name))
    return EXIT_OK


def run_device_rotate(args, settings) -> int:
    from inspect_app.hub.storage import DeviceError, rotate_token

    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        hub_device, token = rotate_token(engine, args.name)
    except DeviceError as exc:
        return _refuse(exc)
    finally:
        engine.dispose()
    print(t("hub.device_rotated", name=hub_device.name))
    print(token)
    print(t("hub.token_note"))
    return EXIT_OK


def run_hub_backup(args, settings) -> int:
    from inspect_app.hub.backup import backup

    return _copy_hub(args, backup, failed="hub.backup_failed", done="hub.backup_done")


def run_hub_restore(args, settings) -> int:
    from inspect_app.hub.backup import restore

    return _copy_hub(args, restore, failed="hub.restore_failed", done="hub.restore_done")


def _copy_hub(args, operation, *, failed: str, done: str) -> int:
    """`hub backup` and `hub restore`: the same refusals, and one line saying what was copied."""
    from sqlalchemy.exc import SQLAlchemyError

    from inspect_app.hub.storage import DeviceError

    url = hub_database(args)
    try:
        copied = operation(url, Path(args.file))
    except DeviceError as exc:
        return _refuse(exc)
    except (OSError, SQLAlchemyError) as exc:  # unreachable server, a folder that cannot be written
        print(t(failed, database=_shown(url), reason=type(exc).__name__), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(t(done, file=args.file, changes=copied.changes, devices=copied.devices,
            attachments=copied.attachments, epoch=copied.epoch))
    return EXIT_OK
