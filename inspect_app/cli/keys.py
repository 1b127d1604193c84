"""`parkinspect keys …` (this device's key, the trusted certificates) and `parkinspect verify`.

None of these needs a database except `keys init` (for the inspector's name and the device id):
an office PC trusts the agency root with `keys trust ROOT.pem` and verifies notices with no
database at all. Exit codes: 0 done / authentic, 1 a check failed (not authentic, nothing to
untrust), 2 bad input (unreadable file, not a certificate, malformed fingerprint).

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, Parser
from inspect_app.cli.common import fail as _fail
from inspect_app.cli.common import open_store as _store
from inspect_app.cli.common import print_result as _print

_FINGERPRINT = re.compile(r"[0-9a-f]{16,64}")


def add_parser(sub) -> None:
    keys = sub.add_parser("keys", help=t("signing.keys.help"), description=t("signing.keys.help"))
    keys_sub = keys.add_subparsers(dest="keys_command", parser_class=Parser, required=True)
    init = keys_sub.add_parser("init", help=t("signing.keys.init_help"), description=t("signing.keys.init_help"))
    init.add_argument("--name", help=t("signing.keys.init_name"))
    init.add_argument("--force", action="store_true", help=t("signing.keys.init_force"))
    init.add_argument("--json", action="store_true", help=t("signing.keys.json"))
    init.set_defaults(handler=run_keys_init)
    imp = keys_sub.add_parser("import", help=t("signing.keys.import_help"), description=t("signing.keys.import_help"))
    imp.add_argument("file", help=t("signing.keys.import_file"))
    imp.add_argument("--password-env", metavar="VAR", help=t("signing.keys.import_password_env"))
    imp.add_argument("--force", action="store_true", help=t("signing.keys.import_force"))
    imp.add_argument("--json", action="store_true", help=t("signing.keys.json"))
    imp.set_defaults(handler=run_keys_import)
    show = keys_sub.add_parser("show", help=t("signing.keys.show_help"), description=t("signing.keys.show_help"))
    show.add_argument("--json", action="store_true", help=t("signing.keys.json"))
    show.set_defaults(handler=run_keys_show)
    trust = keys_sub.add_parser("trust", help=t("signing.trust.help"), description=t("signing.trust.help"))
    trust.add_argument("file", help=t("signing.trust.file"))
    trust.add_argument("--yes", action="store_true", help=t("signing.trust.yes"))
    trust.add_argument("--json", action="store_true", help=t("signing.keys.json"))
    trust.set_defaults(handler=run_keys_trust)
    trusted = keys_sub.add_parser("trusted", help=t("signing.trust.list_help"),
                                  description=t("signing.trust.list_help"))
    trusted.add_argument("--json", action="store_true", help=t("signing.keys.json"))
    trusted.set_defaults(handler=run_keys_trusted)
    untrust = keys_sub.add_parser("untrust", help=t("signing.trust.untrust_help"),
                                  description=t("signing.trust.untrust_help"))
    untrust.add_argument("fingerprint", help=t("signing.trust.untrust_fingerprint"))
    untrust.add_argument("--json", action="store_true", help=t("signing.keys.json"))
    untrust.set_defaults(handler=run_keys_untrust)

    verify = sub.add_parser("verify", help=t("signing.verify.help"), description=t("signing.verify.help"))
    verify.add_argument("file", nargs="?", help=t("signing.verify.file"))
    verify.add_argument("--qr", metavar="TEXT", help=t("signing.verify.qr"))
    verify.add_argument("--json", action="store_true", help=t("signing.verify.json"))
    verify.set_defaults(handler=run_verify)


def local_time(moment, *, seconds: bool = False) -> str:
    """An instant as a person reads it: in the documents' zone (China time), with its offset; with
    seconds where two instants of the same minute are compared (signed before or after revocation)."""
    from forms.china_time import local

    if moment is None:
        return t("signing.verify.unknown_time")
    shown = local(moment)
    offset = shown.strftime("%z")  # +0800
    clock = f"{shown:%H:%M:%S}" if seconds else f"{shown:%H:%M}"
    return f"{shown:%Y-%m-%d} {clock} (UTC{offset[:3]}:{offset[3:]})"


def _key_text(key: str, info, directory: Path) -> str:
    values = info.as_json()
    values.update(not_before=local_time(info.not_before), not_after=local_time(info.not_after))
    return t(key, directory=directory, **values)


def _signing_refusal(exc) -> int:
    return _fail(f"signing.error.{exc.kind}", **exc.values)


# --- this device's key ---------------------------------------------------------------------------


def run_keys_init(args, settings) -> int:
    from inspect_app.services.keys import SigningError, create_key

    directory = settings.keys_dir
    store = _store(settings)
    try:
        info = create_key(store, directory, name=args.name, force=args.force)
    except SigningError as exc:
        return _signing_refusal(exc)
    except OSError as exc:
        return _fail("cli.write_failed", file=directory, reason=exc.strerror or exc)
    finally:
        store.close()
    _print(args, {"directory": str(directory), **info.as_json()}, _key_text("signing.keys.created", info, directory))
    return EXIT_OK


def run_keys_import(args, settings) -> int:
    import os

    from inspect_app.services.keys import SigningError, import_key

    password = None
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            return _fail("signing.keys.password_env_missing", name=args.password_env)
        password = value.encode("utf-8")
    directory = settings.keys_dir
    try:
        info = import_key(directory, args.file, password, force=args.force,
                          ask_password=_ask_password if sys.stdin.isatty() else None)
    except SigningError as exc:
        return _signing_refusal(exc)
    except OSError as exc:
        return _fail("cli.write_failed", file=directory, reason=exc.strerror or exc)
    _print(args, {"directory": str(directory), **info.as_json()}, _key_text("signing.keys.imported", info, directory))
    return EXIT_OK


def _ask_password() -> bytes:
    """An encrypted file and a person at the keyboard: ask, without echo."""
    import getpass

    return getpass.getpass(t("signing.keys.password_prompt")).encode("utf-8")


def run_keys_show(args, settings) -> int:
    from inspect_app.services.keys import SigningError, device_key_info

    directory = settings.keys_dir
    try:
        info = device_key_info(directory)
    except SigningError as exc:
        return _signing_refusal(exc)
    if info is None:
        _print(args, {"directory": str(directory), "key": None}, t("signing.keys.none", directory=directory))
        return EXIT_CHECK_FAILED
    _print(args, {"directory": str(directory), **info.as_json()}, _key_text("signing.keys.show", info, directory))
    return EXIT_OK


# --- trusted certificates ----------------------------------------------------------------------


def _trusted_line(info) -> str:
    kind = t("signing.trust.kind_ca" if info.ca else "signing.trust.kind_cert")
    return t("signing.trust.line", subject=info.subject, fingerprint=info.fingerprint, kind=kind,
             not_after=local_time(info.not_after))


def run_keys_trust(args, settings) -> int:
    """Show the certificate, ask when a person is there (unless --yes), copy it into trusted/."""
    from inspect_app.services.keys import SigningError, certificate_to_trust, trust

    try:
        cert, info = certificate_to_trust(args.file)
    except SigningError as exc:
        return _signing_refusal(exc)
    if not args.json:
        print(_trusted_line(info))
        if not info.ca:
            print(t("signing.trust.not_ca"))
    if not args.yes and not args.json and sys.stdin.isatty():
        answer = input(t("signing.trust.confirm"))
        if answer.strip().lower() not in ("y", "yes", "是", "好"):
            print(t("signing.trust.declined"))
            return EXIT_CHECK_FAILED
    directory = settings.keys_dir
    try:
        path, already = trust(directory, cert)
    except OSError as exc:
        return _fail("cli.write_failed", file=directory, reason=exc.strerror or exc)
    text = t("signing.trust.already" if already else "signing.trust.added", file=path)
    _print(args, {"file": str(path), "already_trusted": already, **info.as_json()}, text)
    return EXIT_OK


def run_keys_trusted(args, settings) -> int:
    from inspect_app.services.keys import trusted_certificates

    directory = settings.keys_dir
    entries = trusted_certificates(directory)
    if args.json:
        _print(args, {"directory": str(directory),
                      "trusted": [{"file": str(e.path), **e.info.as_json()} for e in entries]}, "")
        return EXIT_OK
    if not entries:
        print(t("signing.trust.none", directory=directory / "trusted"))
        return EXIT_OK
    for entry in entries:
        print(_trusted_line(entry.info))
    return EXIT_OK


def run_keys_untrust(args, settings) -> int:
    from inspect_app.services.keys import trusted_matching, untrust_all

    prefix = args.fingerprint.strip().lower().replace(":", "")
    if not _FINGERPRINT.fullmatch(prefix):
        return _fail("signing.trust.bad_fingerprint", fingerprint=args.fingerprint)
    matches = trusted_matching(settings.keys_dir, prefix)
    if not matches:
        print(t("signing.trust.unknown", fingerprint=prefix), file=sys.stderr)
        return EXIT_CHECK_FAILED
    if len({m.info.fingerprint for m in matches}) > 1:
        print(t("signing.trust.ambiguous", fingerprint=prefix, count=len(matches)), file=sys.stderr)
        for match in matches:
            print(_trusted_line(match.info), file=sys.stderr)
        return EXIT_CHECK_FAILED
    try:
        untrust_all(matches)  # the same certificate may sit in two files
    except OSError as exc:
        return _fail("cli.write_failed", file=matches[0].path, reason=exc.strerror or exc)
    info = matches[0].info
    _print(args, {"removed": info.as_json(), "files": [str(m.path) for m in matches]},
           t("signing.trust.removed", subject=info.subject, fingerprint=info.fingerprint))
    return EXIT_OK


# --- verify --------------------------------------------------------------------------------------


def _or_dash(value) -> str:
    return str(value) if value not in (None, "") else "—"


def _fact_lines(result, from_qr: bool) -> list[str]:
    """The facts of an authentic notice, one per line, to compare with the paper."""
    facts = result.facts
    if facts is None:
        return []
    if facts.deadline_range and len(facts.deadlines) == 2:
        deadlines = t("signing.facts.deadline_range", first=facts.deadlines[0], last=facts.deadlines[1])
    else:
        deadlines = t("signing.facts.separator").join(facts.deadlines) if facts.deadlines else "—"
    kind = t(f"signing.kind.{facts.kind}") if facts.kind else t("signing.kind.unknown")
    short = (result.fingerprint or "")[:16]
    lines = [
        t("signing.facts.kind", kind=kind),
        t("signing.facts.number", number=_or_dash(facts.number)),
        t("signing.facts.agency", agency=_or_dash(facts.agency)),
        t("signing.facts.signer", device=_or_dash(facts.signer), fingerprint=short,
          inspectors=t("signing.facts.separator").join(facts.inspectors) or "—"),
        t("signing.facts.issued", time=local_time(facts.issued_at or result.signed_at)),
        t("signing.facts.addressee", name=_or_dash(facts.addressee), credit_code=_or_dash(facts.credit_code)),
        t("signing.facts.hazards", count=_or_dash(facts.hazards), deadlines=deadlines),
    ]
    if result.revoked_at is not None:
        lines.append(t("signing.facts.revoked_since", time=local_time(result.revoked_at, seconds=True)))
    if from_qr:
        lines.append(t("signing.facts.qr_scope"))
    return ["  " + line for line in lines]


def _refusal_text(result) -> str:
    """Not authentic: the reason, and who signed as far as it is known."""
    short = (result.fingerprint or "")[:16]
    root_short = (result.root or "")[:16]
    if result.reason == "unknown_key" and result.signer:
        return t("signing.verify.not_trusted", signer=result.signer, fingerprint=result.fingerprint,
                 root=_or_dash(result.root_name), root_fingerprint=_or_dash(result.root))
    if result.reason == "unknown_key":  # a QR code whose signer and root are both unknown here
        return t("signing.verify.qr_not_trusted", fingerprint=short, root_fingerprint=_or_dash(root_short))
    if result.reason == "signer_unknown":
        return t("signing.verify.signer_unknown", fingerprint=short, root=_or_dash(result.root_name),
                 root_fingerprint=_or_dash(root_short))
    if result.reason == "revoked":
        return t("signing.verify.revoked", signer=_or_dash(result.signer), fingerprint=_or_dash(result.fingerprint),
                 since=local_time(result.revoked_at, seconds=True), signed=local_time(result.signed_at, seconds=True))
    text = t("signing.verify.not_authentic", reason=t(f"signing.reason.{result.reason}"))
    if result.signer:
        text += "\n  " + t("signing.verify.signer_was", signer=result.signer, fingerprint=result.fingerprint)
    return text


def _generated(d: dict, result) -> str:
    """When a signed document says it was generated, else when it was signed (China time)."""
    from datetime import datetime

    try:
        generated = local_time(datetime.fromisoformat(d["generated_at"])) if d.get("generated_at") else None
    except ValueError:
        generated = None
    return generated or local_time(result.signed_at)


def _issuer_lines(d: dict, result) -> list[str]:
    """A signed document's agency and signing device, and since when its key is revoked if it is."""
    lines = ["  " + t("signing.dossier.agency", agency=_or_dash(d.get("agency"))),
             "  " + t("signing.dossier.signer", device=_or_dash(d.get("signer")),
                      fingerprint=(result.fingerprint or "")[:16])]
    if result.revoked_at is not None:
        lines.append("  " + t("signing.facts.revoked_since", time=local_time(result.revoked_at, seconds=True)))
    return lines


def _dossier_text(result) -> str:
    """An authentic 一企一档: what it is and holds, who signed it."""
    d = result.dossier
    return "\n".join([t("signing.dossier.authentic", name=_or_dash(d.get("name")),
                        credit_code=_or_dash(d.get("credit_code")), time=_generated(d, result),
                        inspections=d.get("inspections", 0), notices=d.get("notices", 0),
                        hazards=d.get("hazards", 0)),
                      *_issuer_lines(d, result)])


def _certificate_text(result) -> str:
    """An authentic 园区经营信息证明: whose, which park, what it shows, who signed it."""
    d = result.certificate
    return "\n".join([t("certificate.verify.authentic", name=_or_dash(d.get("name")),
                        credit_code=_or_dash(d.get("credit_code")), park=_or_dash(d.get("park")),
                        time=_generated(d, result), quarters=d.get("quarters", 0), hazards=d.get("hazards", 0)),
                      *_issuer_lines(d, result)])


def run_verify(args, settings) -> int:
    """0 authentic, 1 not authentic, 2 unreadable input."""
    from inspect_app.services.verify import AUTHENTIC, UNREADABLE, verify_document, verify_qr_text

    if (args.file is None) == (args.qr is None):
        return _fail("signing.verify.need_one")
    if args.qr is not None:
        result = verify_qr_text(settings.keys_dir, args.qr)
    else:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            return _fail("signing.verify.file_unreadable", file=args.file, reason=exc.strerror or exc)
        result = verify_document(settings.keys_dir, data)
    reason = t(f"signing.reason.{result.reason}")
    if result.status == AUTHENTIC and result.dossier is not None:
        text = _dossier_text(result)
    elif result.status == AUTHENTIC and result.certificate is not None:
        text = _certificate_text(result)
    elif result.status == AUTHENTIC:
        text = "\n".join([t("signing.verify.authentic", number=result.number),
                          *_fact_lines(result, from_qr=args.qr is not None)])
    elif result.status == UNREADABLE:
        text = t("signing.verify.unreadable", reason=reason)
    else:
        text = _refusal_text(result)
    _print(args, {**result.as_json(), "message": reason}, text)
    if result.status == AUTHENTIC:
        return EXIT_OK
    return EXIT_BAD_INPUT if result.status == UNREADABLE else EXIT_CHECK_FAILED
