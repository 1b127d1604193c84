"""`parkinspect review …`: the office's review before a notice leaves, and a laptop's submission.

  review policy [--require none|major|all]   show or set (office) which 整改通知书 need approval
  review list [--json] [--all]               the queue: pending requests (--all: every state)
  review approve ID [--comment TEXT]         office: the laptop may issue the notice
  review return ID --comment TEXT            office: back to the inspector with the comment
  review changes INSPECTION_ID --comment TEXT   office: ask for corrections on a finished inspection
  review submit HAZARD_ID …                  laptop: submit the prepared notice for review

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from forms import china_time
from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, Parser, print_result, with_store


def add_parser(sub) -> None:
    review = sub.add_parser("review", help=t("review.cli.help"), description=t("review.cli.help"))
    review_sub = review.add_subparsers(dest="review_command", parser_class=Parser, required=True)

    policy = review_sub.add_parser("policy", help=t("review.cli.policy_help"), description=t("review.cli.policy_help"))
    policy.add_argument("--require", choices=("none", "major", "all"), help=t("review.cli.opt_require"))
    policy.set_defaults(handler=run_policy)

    listing = review_sub.add_parser("list", help=t("review.cli.list_help"), description=t("review.cli.list_help"))
    listing.add_argument("--json", action="store_true", help=t("review.cli.opt_json"))
    listing.add_argument("--all", action="store_true", help=t("review.cli.opt_all"))
    listing.set_defaults(handler=run_list)

    approve = review_sub.add_parser("approve", help=t("review.cli.approve_help"),
                                    description=t("review.cli.approve_help"))
    approve.add_argument("id")
    approve.add_argument("--comment", help=t("review.cli.opt_comment"))
    approve.set_defaults(handler=run_approve)

    back = review_sub.add_parser("return", help=t("review.cli.return_help"), description=t("review.cli.return_help"))
    back.add_argument("id")
    back.add_argument("--comment", required=True, help=t("review.cli.opt_comment"))
    back.set_defaults(handler=run_return)

    changes = review_sub.add_parser("changes", help=t("review.cli.changes_help"),
                                    description=t("review.cli.changes_help"))
    changes.add_argument("inspection")
    changes.add_argument("--comment", required=True, help=t("review.cli.opt_comment"))
    changes.set_defaults(handler=run_changes)

    submit = review_sub.add_parser("submit", help=t("review.cli.submit_help"), description=t("review.cli.submit_help"))
    submit.add_argument("hazards", nargs="+", metavar="HAZARD_ID")
    submit.set_defaults(handler=run_submit)


def run_policy(args, settings) -> int:
    def work(store) -> int:
        from inspect_app.services import notice_review

        rule = notice_review.set_policy(store, args.require) if args.require else notice_review.policy(store)
        print(t("review.cli.policy", rule=rule, meaning=t(f"review.policy.{rule}")))
        return EXIT_OK
    return with_store(settings, work)


def run_list(args, settings) -> int:
    states = ("pending", "approved", "returned", "open", "resolved") if args.all else ("pending", "open")

    def work(store) -> int:
        from inspect_app.services import notice_review

        rows = notice_review.review_queue(store, states=states)
        lines = []
        for row in rows:
            lines.append(t("review.cli.row", id=row.id, kind=t(f"review.kind.{row.kind}"),
                           state=t(f"review.state.{row.state}"), park=row.park_code,
                           tenant=row.tenant or t("review.common_areas"), hazards=len(row.hazards),
                           photos=sum(h.photos for h in row.hazards),
                           when=china_time.local(row.prepared_at).strftime("%Y-%m-%d %H:%M")))
            if row.comment:
                lines.append("  " + t("review.cli.comment", comment=row.comment))
            if row.changed:
                lines.append("  " + t("review.changed_warning"))
            for hazard in row.hazards:
                lines.append("  " + t("review.cli.hazard", severity=t(f"choices.severity.{hazard.severity}"),
                                      location=hazard.location, description=hazard.description,
                                      person=hazard.five["responsible_person"] or "-",
                                      deadline=hazard.five["deadline"] or "-"))
        print_result(args, {"requests": [r.as_json() for r in rows]},
                     "\n".join(lines) if lines else t("review.cli.empty"))
        return EXIT_OK
    return with_store(settings, work)


def run_approve(args, settings) -> int:
    def work(store) -> int:
        from inspect_app.services import notice_review

        notice_review.approve(store, args.id, args.comment)
        print(t("review.cli.approved", id=args.id))
        return EXIT_OK
    return with_store(settings, work)


def run_return(args, settings) -> int:
    def work(store) -> int:
        from inspect_app.services import notice_review

        notice_review.return_request(store, args.id, args.comment)
        print(t("review.cli.returned", id=args.id))
        return EXIT_OK
    return with_store(settings, work)


def run_changes(args, settings) -> int:
    def work(store) -> int:
        from inspect_app.services import notice_review

        request_id = notice_review.request_changes(store, args.inspection, args.comment)
        print(t("review.cli.changes_requested", id=request_id))
        return EXIT_OK
    return with_store(settings, work)


def run_submit(args, settings) -> int:
    def work(store) -> int:
        from inspect_app.services import notice_review

        request_id = notice_review.submit_for_review(store, args.hazards, china_time.today())
        print(t("review.cli.submitted", id=request_id))
        return EXIT_OK
    return with_store(settings, work)
