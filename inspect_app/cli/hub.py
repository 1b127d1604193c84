"""`parkinspect hub …`: run the sync hub, enrol, list and revoke its devices, back it up and
restore it (docs/SYNC.md).

The hub database is its own (default `<data dir>/hub.db`, or a PostgreSQL URL), never a device's.
The hub is an optional extra (`pip install 'parkinspect[hub]'`): nothing here imports FastAPI,
uvicorn or psycopg until a hub command runs, and `cli.main` checks they are there first
(`hub_extra_missing`), so a laptop install gets a sentence, not a traceback. The hub is reached
through one module, inspect_app/hub/admin.py, imported inside each handler for that reason (it
loads the hub's libraries; this module is imported whenever the parser is built, the TUI's too).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from forms.i18n import t
from inspect_app import config
from inspect_app.cli.common import Parser

EXIT_OK, EXIT_BAD_INPUT = 0, 2
PASSPHRASE_ENV = "PARKINSPECT_AGENCY_PASSPHRASE"  # hub/agency.py's, named here to keep the hub extra unloaded
HUB_EXTRA_MODULES = ("fastapi", "uvicorn", "psycopg")  # what `parkinspect[hub]` brings


def hub_extra_missing() -> str | None:
    """The first module of the hub extra that cannot be imported, or None when all are there."""
    for name in HUB_EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


def add_parser(sub) -> None:
    hub = sub.add_parser("hub", help=t("hub.help"), description=t("hub.help"))
    hub.set_defaults(needs_hub_extra=True)  # every `hub …` command: checked by cli.main
    hub_sub = hub.add_subparsers(dest="hub_command", parser_class=Parser, required=True)

    serve = hub_sub.add_parser("serve", help=t("hub.serve_help"), description=t("hub.serve_help"))
    serve.add_argument("--db", dest="hub_db", metavar="URL", help=t("hub.opt_db"))
    serve.add_argument("--host", default="127.0.0.1", help=t("hub.opt_host"))
    serve.add_argument("--port", type=int, default=8765, help=t("hub.opt_port"))
    serve.add_argument("--max-clock-skew", dest="max_clock_skew", type=_skew_seconds, default=600.0,
                       metavar="SECONDS", help=t("hub.opt_max_clock_skew"))
    _agency_options(serve, "--agency-dir")
    serve.set_defaults(handler=run_hub_serve)

    device = hub_sub.add_parser("device", help=t("hub.device_help"), description=t("hub.device_help"))
    device_sub = device.add_subparsers(dest="device_command", parser_class=Parser, required=True)
    add = device_sub.add_parser("add", help=t("hub.device_add_help"), description=t("hub.device_add_help"))
    add.add_argument("name", help=t("hub.device_name"))
    add.add_argument("--park", action="append", default=[], metavar="CODE", help=t("hub.opt_park"))
    list_ = device_sub.add_parser("list", help=t("hub.device_list_help"), description=t("hub.device_list_help"))
    list_.add_argument("--limit", type=int, default=100, help=t("hub.opt_limit"))
    list_.add_argument("--offset", type=int, default=0, help=t("hub.opt_offset"))
    revoke = device_sub.add_parser("revoke", help=t("hub.device_revoke_help"),
                                   description=t("hub.device_revoke_help"))
    revoke.add_argument("name", help=t("hub.device_name"))
    _agency_options(revoke, "--agency-dir")
    rotate = device_sub.add_parser("rotate", help=t("hub.device_rotate_help"),
                                   description=t("hub.device_rotate_help"))
    rotate.add_argument("name", help=t("hub.device_name"))
    backup = hub_sub.add_parser("backup", help=t("hub.backup_help"), description=t("hub.backup_help"))
    backup.add_argument("file", help=t("hub.backup_file"))
    restore = hub_sub.add_parser("restore", help=t("hub.restore_help"), description=t("hub.restore_help"))
    restore.add_argument("file", help=t("hub.restore_file"))
    agency = hub_sub.add_parser("agency", help=t("hub.agency.help"), description=t("hub.agency.help"))
    agency_sub = agency.add_subparsers(dest="agency_command", parser_class=Parser, required=True)
    init = agency_sub.add_parser("init", help=t("hub.agency.init_help"), description=t("hub.agency.init_help"))
    init.add_argument("--name", required=True, help=t("hub.agency.opt_name"))
    init.add_argument("--short", required=True, help=t("hub.agency.opt_short"))
    init.add_argument("--force", action="store_true", help=t("hub.agency.opt_force"))
    _agency_options(init, "--dir")
    cert = agency_sub.add_parser("cert", help=t("hub.agency.cert_help"), description=t("hub.agency.cert_help"))
    cert.add_argument("-o", "--output", required=True, metavar="FILE.pem", help=t("hub.agency.opt_output"))
    cert.add_argument("--force", action="store_true", help=t("hub.agency.opt_output_force"))
    _agency_options(cert, "--dir", passphrase=False)
    show = agency_sub.add_parser("show", help=t("hub.agency.show_help"), description=t("hub.agency.show_help"))
    _agency_options(show, "--dir", passphrase=False)
    for command, handler in ((add, run_device_add), (list_, run_device_list), (revoke, run_device_revoke),
                             (rotate, run_device_rotate), (backup, run_hub_backup), (restore, run_hub_restore),
                             (init, run_agency_init), (cert, run_agency_cert), (show, run_agency_show)):
        command.add_argument("--hub-db", dest="hub_db", metavar="URL", help=t("hub.opt_db"))
        command.set_defaults(handler=handler)


def _agency_options(parser, folder_option: str, *, passphrase: bool = True) -> None:
    parser.add_argument(folder_option, dest="agency_dir", metavar="DIR", help=t("hub.agency.opt_dir"))
    if passphrase:
        parser.add_argument("--passphrase-env", dest="passphrase_env", metavar="VAR",
                            help=t("hub.agency.opt_passphrase_env", variable=PASSPHRASE_ENV))


def agency_folder(args) -> Path:
    """The agency's folder: --dir / --agency-dir, else `agency/` beside a SQLite hub database, else
    `<data dir>/agency` (a PostgreSQL hub). Never inside the database: a backup must not carry the key."""
    from inspect_app.hub import admin

    if getattr(args, "agency_dir", None):
        return Path(args.agency_dir).expanduser()
    return admin.default_agency_folder(hub_database(args)) or config.data_dir() / "agency"


def _passphrase(args) -> bytes | None:
    from inspect_app.hub import admin

    return admin.passphrase_from_env(getattr(args, "passphrase_env", None) or PASSPHRASE_ENV)


def _load_agency(args, *, passphrase: bool = True):
    """The agency root of this hub (None: none made); AgencyError when its files cannot be read."""
    from inspect_app.hub import admin

    return admin.load_agency(agency_folder(args), _passphrase(args) if passphrase else None)


def _existing_agency(args):
    """(the agency root without its key, None) or (None, exit code) after saying why there is none."""
    from inspect_app.hub import admin

    try:
        root = _load_agency(args, passphrase=False)
    except admin.AgencyError as exc:
        return None, _refuse(exc)
    if root is None:
        print(t("hub.agency.missing", folder=agency_folder(args)), file=sys.stderr)
        return None, EXIT_BAD_INPUT
    return root, EXIT_OK


def hub_database(args) -> str:
    if args.hub_db:
        return args.hub_db
    return f"sqlite:///{config.data_dir() / 'hub.db'}"  # its folder is made 0700 by open_engine


def _engine(args):
    from inspect_app.hub import admin

    url = hub_database(args)
    try:
        return admin.open_engine(url)
    except Exception as exc:  # a bad URL, an unreachable server, a folder that cannot be written
        print(t("hub.db_error", database=admin.shown_url(url) if "://" in url else url, reason=type(exc).__name__),
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
    from inspect_app.hub import admin

    url = hub_database(args)
    try:
        agency = _load_agency(args)
    except admin.AgencyError as exc:
        return _refuse(exc)
    if agency is not None and agency.private_key is None:  # it could neither certify nor sign a CRL
        print(t("hub.agency.key_locked", variable=args.passphrase_env or PASSPHRASE_ENV), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        app = admin.create_app(url, max_clock_skew_s=args.max_clock_skew, agency=agency)
    except Exception as exc:
        print(t("hub.db_error", database=admin.shown_url(url), reason=type(exc).__name__), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(t("hub.serving", host=args.host, port=args.port, database=admin.shown_url(url)), flush=True)
    print(_log_destination(), flush=True)
    if agency is not None:
        print(t("hub.agency.serving", name=agency.name, fingerprint=agency.fingerprint), flush=True)
        _write_crl_file(app.state.engine, agency, agency_folder(args))
    else:
        print(t("hub.agency.none_serving"), flush=True)
    admin.serve(app, host=args.host, port=args.port)
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
    from inspect_app.hub import admin

    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        hub_device, token = admin.enrol_device(engine, args.name, args.park)
    except admin.DeviceError as exc:
        return _refuse(exc)
    finally:
        engine.dispose()
    print(t("hub.device_added", name=hub_device.name))
    print(token)
    print(t("hub.token_note"))
    print(t("hub.device_notice_block", block=hub_device.notice_block))
    return EXIT_OK


def run_device_list(args, settings) -> int:
    from inspect_app.hub import admin

    if args.limit < 1 or args.offset < 0:
        print(t("hub.page_invalid"), file=sys.stderr)
        return EXIT_BAD_INPUT
    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        devices, total = admin.list_devices(engine, offset=args.offset, limit=args.limit)
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
    from inspect_app.hub import admin

    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        hub_device = admin.revoke_device(engine, args.name)
        print(t("hub.device_revoked", name=hub_device.name))
        _revocation_list(args, engine)
    except admin.DeviceError as exc:
        return _refuse(exc)
    finally:
        engine.dispose()
    return EXIT_OK


def _revocation_list(args, engine) -> None:
    """After a revoke: the agency's CRL signed again from the database's revocations and written to the
    agency folder — or, when the root's key cannot be opened here, the promise that the serving hub
    signs it (it does at its start, hub/crl.py). The token is revoked either way."""
    from inspect_app.hub import admin

    try:
        agency = _load_agency(args)
    except admin.AgencyError as exc:
        print(t(exc.key, **exc.values), file=sys.stderr)
        print(t("hub.agency.crl_pending"))
        return
    if agency is None:
        return
    if agency.private_key is None:
        print(t("hub.agency.crl_pending"))
        return
    _write_crl_file(engine, agency, agency_folder(args))


def _write_crl_file(engine, agency, folder: Path) -> None:
    from inspect_app.hub import admin

    written = admin.write_crl_file(engine, agency, folder)
    if written.error is not None:  # the served list comes from the database all the same (hub/crl.py)
        exc = written.error
        print(t("hub.agency.crl_write_failed", folder=folder, reason=exc.strerror or type(exc).__name__),
              file=sys.stderr, flush=True)
        return
    print(t("hub.agency.crl_written", file=written.path, revoked=written.revoked), flush=True)


def run_device_rotate(args, settings) -> int:
    from inspect_app.hub import admin

    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        hub_device, token = admin.rotate_token(engine, args.name)
    except admin.DeviceError as exc:
        return _refuse(exc)
    finally:
        engine.dispose()
    print(t("hub.device_rotated", name=hub_device.name))
    print(token)
    print(t("hub.token_note"))
    return EXIT_OK


def run_hub_backup(args, settings) -> int:
    from inspect_app.hub import admin

    return _copy_hub(args, admin.backup, failed="hub.backup_failed", done="hub.backup_done")


def run_hub_restore(args, settings) -> int:
    from inspect_app.hub import admin

    return _copy_hub(args, admin.restore, failed="hub.restore_failed", done="hub.restore_done")


def _copy_hub(args, operation, *, failed: str, done: str) -> int:
    """`hub backup` and `hub restore`: the same refusals, and one line saying what was copied."""
    from inspect_app.hub import admin

    url = hub_database(args)
    try:
        copied = operation(url, Path(args.file))
    except admin.DeviceError as exc:
        return _refuse(exc)
    except admin.COPY_ERRORS as exc:  # unreachable server, a folder that cannot be written
        print(t(failed, database=admin.shown_url(url), reason=type(exc).__name__), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(t(done, file=args.file, changes=copied.changes, devices=copied.devices,
            attachments=copied.attachments, epoch=copied.epoch))
    return EXIT_OK


# --- the agency root ---------------------------------------------------------------------------------


def run_agency_init(args, settings) -> int:
    from inspect_app.hub import admin

    passphrase = _passphrase(args)
    if args.passphrase_env and passphrase is None:  # asked for encryption, got nothing to encrypt with
        print(t("hub.agency.passphrase_missing", variable=args.passphrase_env), file=sys.stderr)
        return EXIT_BAD_INPUT
    folder = agency_folder(args)
    try:
        root = admin.init_agency(folder, name=args.name, short=args.short, passphrase=passphrase,
                                 force=args.force)
    except admin.AgencyError as exc:
        return _refuse(exc)
    print(t("hub.agency.created", name=root.name, short=root.short_name, folder=folder))
    print(t("hub.agency.fingerprint_line", fingerprint=root.fingerprint))
    print(t("hub.agency.key_encrypted", variable=args.passphrase_env or PASSPHRASE_ENV) if root.encrypted
          else t("hub.agency.key_plain", variable=PASSPHRASE_ENV))
    print(t("hub.agency.next_steps"))
    return EXIT_OK


def run_agency_cert(args, settings) -> int:
    from inspect_app.hub import admin

    root, refused = _existing_agency(args)
    if root is None:
        return refused
    target = Path(args.output)
    if target.exists() and not args.force:
        print(t("hub.agency.output_exists", file=target), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        admin.write_root_certificate(target, root)
    except OSError as exc:
        print(t("hub.agency.output_failed", file=target, reason=exc.strerror or type(exc).__name__),
              file=sys.stderr)
        return EXIT_BAD_INPUT
    print(t("hub.agency.cert_written", file=target, fingerprint=root.fingerprint))
    return EXIT_OK


def run_agency_show(args, settings) -> int:
    from datetime import UTC, datetime

    from inspect_app.hub import admin

    root, refused = _existing_agency(args)
    if root is None:
        return refused
    engine = _engine(args)
    if engine is None:
        return EXIT_BAD_INPUT
    try:
        counted = admin.agency_summary(engine, root, datetime.now(UTC))
    finally:
        engine.dispose()
    cert = root.certificate
    print(t("hub.agency.show_name", name=root.name, short=root.short_name))
    print(t("hub.agency.fingerprint_line", fingerprint=root.fingerprint))
    print(t("hub.agency.show_validity", start=cert.not_valid_before_utc.strftime("%Y-%m-%d"),
            end=cert.not_valid_after_utc.strftime("%Y-%m-%d")))
    print(t("hub.agency.show_key", folder=agency_folder(args),
            state=t("hub.agency.state_encrypted") if root.encrypted else t("hub.agency.state_plain")))
    print(t("hub.agency.show_devices", devices=counted.devices, issued=counted.issued, revoked=counted.revoked))
    return EXIT_OK
