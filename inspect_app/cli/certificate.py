"""`parkinspect certificate`: a signed 园区经营信息证明 for a tenant's bank.

    parkinspect certificate --tenant CREDIT_CODE [--park CODE] -o FILE.pdf

Issued only when the tenant agreed (`bank_consent` in the ledger); signed with this device's key
like a notice, so `parkinspect verify FILE.pdf` checks it. Refusals exit 2 and write nothing
(inspect_app/services/certificate.py).

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, print_result, with_store_writing
from inspect_app.cli.common import fail as _fail


def add_parser(sub) -> None:
    cert = sub.add_parser("certificate", help=t("certificate.cli.help"), description=t("certificate.cli.help"))
    cert.add_argument("--tenant", metavar="CREDIT_CODE", required=True, help=t("certificate.cli.opt_tenant"))
    cert.add_argument("--park", metavar="CODE", help=t("certificate.cli.opt_park"))
    cert.add_argument("-o", "--output", metavar="FILE.pdf", required=True, help=t("certificate.cli.opt_output"))
    cert.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    cert.set_defaults(handler=run_certificate)


def run_certificate(args, settings) -> int:
    from inspect_app.services import certificate
    from inspect_app.services.dossier import find_tenant

    target = Path(args.output).expanduser()
    if target.suffix.lower() != ".pdf":
        return _fail("certificate.bad_suffix")

    def write(store) -> int:
        tenant = find_tenant(store, args.tenant, args.park)
        content = certificate.write_certificate(store, tenant.id, target, keys_dir=settings.keys_dir,
                                                lang=settings.language, agency_table=settings.agency,
                                                font=settings.pdf_font)
        payload = {"file": str(target), "tenant": content["tenant"]["name"],
                   "credit_code": content["tenant"]["credit_code"], "quarters": len(content["quarters"]),
                   "hazards": len(content["hazards"])}
        print_result(args, payload, t("certificate.cli.done", file=target, name=payload["tenant"],
                                      credit_code=payload["credit_code"]))
        return EXIT_OK

    return with_store_writing(settings, target, write)
