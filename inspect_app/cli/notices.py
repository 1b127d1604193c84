"""`parkinspect notices …`: issue, export, print, number and list notices, and record their service.

`notices issue --kind rectification|opinion|record` issues one document as the TUI does: the
hazards by id (`parkinspect hazards --json` lists them), the rectification notice an opinion
answers by number, the inspection a record is of by id; or, for a person who knows none of these,
`--tenant CREDIT_CODE` (with `--park CODE` when the code is in several parks) picks that tenant's
open hazards without a notice, its latest rectification notice, or its latest finished inspection.

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_OK, Parser, fail, print_result
from inspect_app.cli.common import open_store as _store

# The CLI's short kind names and the kinds of services/notices.py.
ISSUE_KINDS = {"rectification": "rectification", "opinion": "reinspection_opinion", "record": "inspection_record"}


def add_parser(sub) -> None:
    notices = sub.add_parser("notices", help=t("cli.notices_help"), description=t("cli.notices_help"))
    notices_sub = notices.add_subparsers(dest="notices_command", parser_class=Parser, required=True)

    issue = notices_sub.add_parser("issue", help=t("cli.notices_issue_help"), description=t("cli.notices_issue_help"))
    issue.add_argument("--kind", required=True, choices=tuple(ISSUE_KINDS), help=t("cli.notices_issue_kind"))
    issue.add_argument("--hazard", action="append", default=[], metavar="ID", help=t("cli.notices_issue_hazard"))
    issue.add_argument("--notice", metavar="NUMBER", help=t("cli.notices_issue_notice"))
    issue.add_argument("--inspection", metavar="ID", help=t("cli.notices_issue_inspection"))
    issue.add_argument("--tenant", metavar="CREDIT_CODE", help=t("cli.notices_issue_tenant"))
    issue.add_argument("--park", metavar="CODE", help=t("cli.notices_issue_park"))
    issue.add_argument("--accompanied-by", metavar="NAME", help=t("cli.notices_issue_accompanied"))
    issue.add_argument("-o", "--output", metavar="DIR", help=t("cli.notices_issue_output"))
    issue.add_argument("--json", action="store_true", help=t("cli.notices_issue_json"))
    issue.set_defaults(handler=run_notices_issue)

    export = notices_sub.add_parser("export", help=t("cli.notices_export_help"),
                                    description=t("cli.notices_export_help"))
    export.add_argument("-o", "--output", required=True, help=t("cli.notices_export_dir"))
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help=t("cli.notices_all"))
    which.add_argument("numbers", nargs="*", default=[], metavar="NUMBER", help=t("cli.notices_number"))
    export.set_defaults(handler=run_notices_export)

    print_ = notices_sub.add_parser("print", help=t("cli.notices_print_help"), description=t("cli.notices_print_help"))
    print_.add_argument("number", help=t("cli.notices_number"))
    print_.set_defaults(handler=run_notices_print)

    block = notices_sub.add_parser("block", help=t("cli.notices_block_help"), description=t("cli.notices_block_help"))
    block.add_argument("code", nargs="?", help=t("cli.notices_block_code"))
    block.set_defaults(handler=run_notices_block)

    serve = notices_sub.add_parser("serve", help=t("cli.notices_serve_help"), description=t("cli.notices_serve_help"))
    serve.add_argument("number", help=t("cli.notices_number"))
    serve.add_argument("--method", required=True, help=t("cli.notices_serve_method"))
    serve.add_argument("--recipient", required=True, help=t("cli.notices_serve_recipient"))
    serve.add_argument("--on", required=True, dest="served_on", metavar="DATE", help=t("cli.notices_serve_on"))
    serve.add_argument("--refused", action="store_true", help=t("cli.notices_serve_refused"))
    serve.add_argument("--witness", help=t("cli.notices_serve_witness"))
    serve.add_argument("--photo", metavar="FILE", help=t("cli.notices_serve_photo"))
    serve.add_argument("--note", help=t("cli.notices_serve_note"))
    serve.set_defaults(handler=run_notices_serve)

    list_ = notices_sub.add_parser("list", help=t("cli.notices_list_help"), description=t("cli.notices_list_help"))
    list_.add_argument("--late", action="store_true", help=t("cli.notices_list_late"))
    list_.add_argument("--park", metavar="CODE", help=t("cli.notices_list_park"))
    list_.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    list_.set_defaults(handler=run_notices_list)


def _refuse(exc) -> int:
    print(exc.message(), file=sys.stderr)
    return EXIT_BAD_INPUT


# Which option names the subject of each kind (besides --tenant), and the options no kind but that one takes.
SUBJECT_OPTION = {"rectification": "hazard", "opinion": "notice", "record": "inspection"}


def run_notices_issue(args, settings) -> int:
    """Issue one document; print its number and where its PDF is. Every refusal writes nothing."""
    from datetime import UTC, datetime

    from db.errors import UserError
    from inspect_app.services import notices

    own = SUBJECT_OPTION[args.kind]
    given = {name for name in SUBJECT_OPTION.values() if getattr(args, name)}
    if given - {own} or (args.accompanied_by is not None and args.kind != "record"):
        return fail(f"cli.notices_issue_options_{args.kind}")
    if (own in given) == bool(args.tenant):  # exactly one way to name the subject
        return fail(f"cli.notices_issue_options_{args.kind}")
    if args.park and not args.tenant:
        return fail("cli.notices_issue_park_without_tenant")
    if not settings.db_path.exists():
        return fail("cli.db_missing", db=settings.db_path)
    store = _store(settings)
    try:
        subject = _issue_subject(store, args)
        if isinstance(subject, int):
            return subject
        agency = notices.agency_from_config(settings.agency, notices.agency_default(store))
        common = {"agency": agency, "keys_dir": settings.keys_dir, "now": datetime.now(UTC), "font": settings.pdf_font}
        if args.kind == "rectification":
            issued = notices.issue_rectification_notice(store, hazard_ids=subject, **common)
        elif args.kind == "opinion":
            issued = notices.issue_reinspection_opinion(store, notice_number=subject, **common)
        else:
            issued = _issue_record(store, subject, args.accompanied_by, common)
    except UserError as exc:
        store.close()
        return _refuse(exc)
    try:
        # Issued and stored whatever happens next: a folder that cannot be written is said after
        # the number, never as if nothing had been issued.
        written = notices.export_notices(store, Path(args.output), [issued.number]) if args.output else []
        problem = None
    except (UserError, OSError) as exc:
        written, problem = [], exc.message() if isinstance(exc, UserError) else (exc.strerror or str(exc))
    finally:
        store.close()
    where = str(written[0]) if written else None
    text = [t("cli.notices_issued", document=t(f"cli.notices_kind_{args.kind}"), number=issued.number)]
    text.append(t("cli.notices_issued_file", path=where) if where
                else t("cli.notices_issued_stored", number=issued.number))
    payload = {"number": issued.number, "kind": issued.kind, "id": issued.id,
               "issued_at": issued.issued_at.isoformat(timespec="seconds"), "pdf_sha256": issued.pdf_sha256,
               "file": where}
    print_result(args, payload, "\n".join(text))
    if problem is not None:
        print(t("cli.notices_issued_not_written", folder=args.output, reason=problem), file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _issue_record(store, inspection_id: str, accompanied_by: str | None, common: dict):
    """The record, with the accompanying person stored first (the record prints the stored name);
    when the record is then refused, the name is put back as it was: a refusal writes nothing."""
    from db.errors import UserError
    from inspect_app.services.inspections import parse_accompanied_by, set_accompanied_by
    from inspect_app.services.keys import has_device_key
    from inspect_app.services.notice_drafts import record_draft, record_problem
    from inspect_app.services.notices import issue_inspection_record

    if accompanied_by is None:
        return issue_inspection_record(store, inspection_id=inspection_id, **common)
    parse_accompanied_by(accompanied_by)
    draft = record_draft(store, inspection_id)
    # The usual refusals first, before the name is stored: not finished, no key on this device.
    if (problem := record_problem(draft)) is not None:
        raise problem
    if not has_device_key(common["keys_dir"]):
        raise UserError("errors.no_signing_key")
    before = draft.accompanied_by
    set_accompanied_by(store, inspection_id, accompanied_by)
    try:
        return issue_inspection_record(store, inspection_id=inspection_id, **common)
    except UserError:
        set_accompanied_by(store, inspection_id, before)
        raise


def _issue_subject(store, args):
    """The hazard ids, notice number or inspection id the document is about; an exit code when
    a tenant named by its credit code has nothing of that kind (a refusal already printed)."""
    from forms import china_time
    from inspect_app.services import notice_drafts

    if not args.tenant:
        return _named_subject(store, args)
    tenants = notice_drafts.tenants_by_credit_code(store, args.tenant, args.park)
    if not tenants:
        return fail("cli.notices_issue_tenant_missing", code=args.tenant)
    if len(tenants) > 1:
        return fail("cli.notices_issue_tenant_ambiguous", code=args.tenant, count=len(tenants))
    tenant = tenants[0]
    if args.kind == "record":
        found = notice_drafts.latest_finished_inspection(store, tenant.id)
        return found if found else fail("cli.notices_issue_no_inspection", tenant=tenant.name)
    if args.kind == "opinion":
        found = notice_drafts.latest_rectification_notice(store, tenant.id)
        return found if found else fail("cli.notices_issue_no_notice", tenant=tenant.name)
    from inspect_app.services.hazards import UNRESOLVED, HazardQuery, list_hazards

    rows, _total = list_hazards(store, HazardQuery(park_id=tenant.park_id, tenant_id=tenant.id, status=UNRESOLVED,
                                                   limit=1000, today=china_time.today()))
    found = [row.id for row in rows if row.tenant_id == tenant.id and row.notice_number is None]
    return found if found else fail("cli.notices_issue_no_hazards", tenant=tenant.name)


def _named_subject(store, args):
    """The subject as given by id or number, each checked to exist (a typo is named back)."""
    from db.errors import UserError
    from inspect_app.services import notice_drafts

    if args.kind == "rectification":
        hazard_ids = list(dict.fromkeys(h.strip() for h in args.hazard))
        missing = notice_drafts.missing_hazards(store, hazard_ids)
        return fail("cli.notices_issue_hazard_missing", ids=", ".join(missing)) if missing else hazard_ids
    if args.kind == "record":
        try:
            notice_drafts.record_draft(store, args.inspection.strip())
        except UserError:
            return fail("cli.notices_issue_inspection_missing", id=args.inspection)
        return args.inspection.strip()
    return args.notice.strip()


def run_notices_export(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.notices import all_numbers, export_notices

    store = _store(settings)
    try:
        numbers = all_numbers(store) if args.all else args.numbers
        if not numbers:
            print(t("cli.notices_none"), file=sys.stderr)
            return EXIT_BAD_INPUT
        written = export_notices(store, Path(args.output), numbers)
    except UserError as exc:
        return _refuse(exc)
    finally:
        store.close()
    for path in written:
        print(path)
    print(t("cli.notices_exported", count=len(written), folder=args.output))
    return EXIT_OK


def run_notices_print(args, settings) -> int:
    import tempfile

    from db.errors import UserError
    from inspect_app.services.notices import export_notices, print_pdf

    store = _store(settings)
    try:
        [path] = export_notices(store, Path(tempfile.mkdtemp(prefix="parkinspect-print-")), [args.number])
        how = print_pdf(path)
    except UserError as exc:
        return _refuse(exc)
    finally:
        store.close()
    print(t("cli.notices_printed", number=args.number, how=how))
    return EXIT_OK


def run_notices_block(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.notices import block_and_origin, set_device_block

    store = _store(settings)
    try:
        if args.code:
            set_device_block(store, args.code)
        block, origin = block_and_origin(store)
    except UserError as exc:
        return _refuse(exc)
    finally:
        store.close()
    print(t("cli.notices_block_is", block=block))
    print(t(f"cli.notices_block_origin_{origin}"))
    return EXIT_OK


def run_notices_serve(args, settings) -> int:
    from db.errors import UserError
    from forms import china_time
    from inspect_app.services.notice_service import ServiceInvalid, ServicePhotoFailed, record_service

    values = {"method": args.method, "recipient": args.recipient, "served_on": args.served_on,
              "refused": args.refused, "witness": args.witness, "note": args.note}
    store = _store(settings)
    try:
        row = record_service(store, args.number, values, today=china_time.today(), photo=args.photo,
                             calendar=settings.calendar, strip_metadata=settings.strip_photo_metadata)
    except ServiceInvalid as exc:
        print(t("cli.notices_serve_refused_values"), file=sys.stderr)
        for field, message in exc.messages.items():
            name = t(f"tui.notice_service.fields.{field}") if field else ""
            print(t("cli.notices_serve_field", field=name, message=message), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ServicePhotoFailed as exc:  # recorded; only the photo's copy failed
        _print_served(exc.row)
        return _refuse(exc)
    except UserError as exc:
        return _refuse(exc)
    finally:
        store.close()
    _print_served(row)
    return EXIT_OK


def _print_served(row) -> None:
    from forms.catalogues import label

    service = row.service
    print(t("cli.notices_served", number=row.number, method=label("service_method", service.method),
            date=service.served_on.isoformat(), recipient=service.recipient))
    if row.state == "served_late":
        print(t("cli.notices_served_late", deadline=row.deadline.isoformat()))


def run_notices_list(args, settings) -> int:
    import json

    from forms import china_time
    from inspect_app.services.ledger import find_park
    from inspect_app.services.notice_service import list_notices

    store = _store(settings)
    try:
        park_id = None
        if args.park:
            park = find_park(store, args.park)
            if park is None:
                print(t("cli.park_missing", code=args.park), file=sys.stderr)
                return EXIT_BAD_INPUT
            park_id = park.id
        rows = list_notices(store, today=china_time.today(), park_id=park_id, late_only=args.late,
                            calendar=settings.calendar)
    finally:
        store.close()
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print(t("cli.notices_list_none"))
        return EXIT_OK
    print(_notices_table(rows))
    return EXIT_OK


def _notices_table(rows) -> str:
    """Plain text for a terminal; CJK characters count two cells wide."""
    from rich.cells import cell_len

    from inspect_app.services.notice_service import kind_text, service_text

    headings = [t(f"tui.notices.col_{key}") for key in ("number", "kind", "addressee", "issued", "service")]
    table = [headings] + [[row.number, kind_text(row.kind), row.addressee, row.issued_on.isoformat(),
                           service_text(row)] for row in rows]
    widths = [max(cell_len(line[i]) for line in table) for i in range(len(headings))]
    return "\n".join("  ".join(cell + " " * (width - cell_len(cell)) for cell, width in zip(line, widths, strict=True))
                     .rstrip() for line in table)

