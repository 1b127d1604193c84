"""`parkinspect dossier`: 一企一档, a signed PDF of everything the office holds on one tenant.

    parkinspect dossier --tenant CREDIT_CODE [--park CODE] -o FILE.pdf   one tenant
    parkinspect dossier --park CODE -o FOLDER                            every tenant of a park

Signed with this device's key like a notice (`parkinspect verify FILE.pdf` checks it); without a
key the refusal says how to get one. Bad input is refused with exit 2 and writes nothing
(inspect_app/services/dossier.py).

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, print_result, with_store_writing
from inspect_app.cli.common import fail as _fail


def add_parser(sub) -> None:
    dossier = sub.add_parser("dossier", help=t("dossier.cli.help"), description=t("dossier.cli.help"))
    dossier.add_argument("--tenant", metavar="CREDIT_CODE", help=t("dossier.cli.opt_tenant"))
    dossier.add_argument("--park", metavar="CODE", help=t("dossier.cli.opt_park"))
    dossier.add_argument("-o", "--output", metavar="FILE|FOLDER", required=True, help=t("dossier.cli.opt_output"))
    dossier.add_argument("--json", action="store_true", help=t("signing.keys.json"))
    dossier.set_defaults(handler=run_dossier)


def _as_json(written) -> dict:
    return {"file": str(written.path), "tenant": written.tenant, "credit_code": written.credit_code,
            "inspections": written.inspections, "notices": written.notices}


def run_dossier(args, settings) -> int:
    from inspect_app.services import dossier

    if not args.tenant and not args.park:
        return _fail("dossier.error.no_target")
    target = Path(args.output).expanduser()
    if args.tenant and target.suffix.lower() != ".pdf":
        return _fail("dossier.error.not_pdf", file=target)
    office = {"keys_dir": settings.keys_dir, "agency_table": settings.agency, "thresholds": settings.risk_flags,
              "calendar": settings.calendar, "font": settings.pdf_font}

    def write(store) -> int:
        if args.tenant:
            tenant = dossier.find_tenant(store, args.tenant, args.park)
            written = dossier.write_dossier(store, tenant.id, target, lang=settings.language, **office)
            print_result(args, _as_json(written), t("dossier.cli.done", file=written.path, name=written.tenant,
                                                    credit_code=written.credit_code,
                                                    inspections=written.inspections, notices=written.notices))
            return EXIT_OK
        files = dossier.write_park_dossiers(store, args.park, target, lang=settings.language, **office)
        print_result(args, {"folder": str(target), "files": [_as_json(w) for w in files]},
                     t("dossier.cli.batch_done", count=len(files), folder=target))
        return EXIT_OK

    return with_store_writing(settings, target, write)
