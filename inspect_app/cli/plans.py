"""`parkinspect plan …`: 双随机 inspection plans on the office's device, and `plan tasks` anywhere.

  plan create NAME --period 2027Q1 --parks P1,P2 (--ratio 0.1 | --count 20) [--weight class_a=3 …]
              [--inspectors ID|NAME,…] [--per-task 2] [--recuse-own-street] [--start D] [--complete-by D]
  plan recuse --inspector ID|NAME (--tenant CREDIT_CODE | --street 街道) --reason TEXT
  plan draw PLAN --seed S          refuses a second draw; prints the seed, register hash and counts
  plan show PLAN [--json]
  plan publish PLAN -o FILE.xlsx|.pdf   the 公示 list, with the seed and hash to re-run it
  plan verify PLAN --seed S        re-runs the draw from the kept register: exit 0 same, 1 not
  plan status PLAN [--json] [--today D]
  plan report PLAN -o FILE.xlsx|.pdf [--today D]
  plan tasks [--mine] [--json] [--today D]   this device's tasks by park, building and floor

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from db.errors import UserError
from forms.i18n import t
from inspect_app.cli.common import EXIT_CHECK_FAILED, EXIT_OK, Parser, print_result, with_store


def add_parser(sub) -> None:
    plan = sub.add_parser("plan", help=t("plans.cli.help"), description=t("plans.cli.help"))
    plan_sub = plan.add_subparsers(dest="plan_command", parser_class=Parser, required=True)

    create = plan_sub.add_parser("create", help=t("plans.cli.create_help"), description=t("plans.cli.create_help"))
    create.add_argument("name")
    create.add_argument("--period", required=True, metavar="2027Q1", help=t("plans.cli.opt_period"))
    create.add_argument("--parks", required=True, metavar="CODE,CODE", help=t("plans.cli.opt_parks"))
    amount = create.add_mutually_exclusive_group(required=True)
    amount.add_argument("--ratio", type=float, help=t("plans.cli.opt_ratio"))
    amount.add_argument("--count", type=int, help=t("plans.cli.opt_count"))
    create.add_argument("--weight", action="append", default=[], metavar="FACTOR=N", help=t("plans.cli.opt_weight"))
    create.add_argument("--inspectors", metavar="ID|NAME,…", help=t("plans.cli.opt_inspectors"))
    create.add_argument("--per-task", type=int, default=2, help=t("plans.cli.opt_per_task"))
    create.add_argument("--recuse-own-street", action="store_true", help=t("plans.cli.opt_recuse_street"))
    create.add_argument("--start", type=date.fromisoformat, metavar="YYYY-MM-DD", help=t("plans.cli.opt_start"))
    create.add_argument("--complete-by", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help=t("plans.cli.opt_complete_by"))
    create.set_defaults(handler=run_create)

    recuse = plan_sub.add_parser("recuse", help=t("plans.cli.recuse_help"), description=t("plans.cli.recuse_help"))
    recuse.add_argument("--inspector", required=True, help=t("plans.cli.opt_inspector"))
    what = recuse.add_mutually_exclusive_group(required=True)
    what.add_argument("--tenant", metavar="CREDIT_CODE", help=t("plans.cli.opt_tenant"))
    what.add_argument("--street", help=t("plans.cli.opt_street"))
    recuse.add_argument("--reason", required=True, help=t("plans.cli.opt_reason"))
    recuse.set_defaults(handler=run_recuse)

    draw = plan_sub.add_parser("draw", help=t("plans.cli.draw_help"), description=t("plans.cli.draw_help"))
    draw.add_argument("plan")
    draw.add_argument("--seed", required=True, help=t("plans.cli.opt_seed"))
    draw.set_defaults(handler=run_draw)

    show = plan_sub.add_parser("show", help=t("plans.cli.show_help"), description=t("plans.cli.show_help"))
    show.add_argument("plan")
    show.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    show.set_defaults(handler=run_show)

    for name, handler in (("publish", run_publish), ("report", run_report)):
        command = plan_sub.add_parser(name, help=t(f"plans.cli.{name}_help"), description=t(f"plans.cli.{name}_help"))
        command.add_argument("plan")
        command.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.xlsx|FILE.pdf")
        if name == "report":
            command.add_argument("--today", type=date.fromisoformat, metavar="YYYY-MM-DD", help=t("plans.cli.opt_today"))
        command.set_defaults(handler=handler)

    verify = plan_sub.add_parser("verify", help=t("plans.cli.verify_help"), description=t("plans.cli.verify_help"))
    verify.add_argument("plan")
    verify.add_argument("--seed", required=True, help=t("plans.cli.opt_seed"))
    verify.set_defaults(handler=run_verify)

    status = plan_sub.add_parser("status", help=t("plans.cli.status_help"), description=t("plans.cli.status_help"))
    status.add_argument("plan")
    status.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    status.add_argument("--today", type=date.fromisoformat, metavar="YYYY-MM-DD", help=t("plans.cli.opt_today"))
    status.set_defaults(handler=run_status)

    tasks = plan_sub.add_parser("tasks", help=t("plans.cli.tasks_help"), description=t("plans.cli.tasks_help"))
    tasks.add_argument("--mine", action="store_true", help=t("plans.cli.opt_mine"))
    tasks.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    tasks.add_argument("--today", type=date.fromisoformat, metavar="YYYY-MM-DD", help=t("plans.cli.opt_today"))
    tasks.set_defaults(handler=run_tasks)


def _weights(pairs: list[str]) -> dict:
    weights = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise UserError("plans.bad_weight", name=name.strip(), value=value, max=100) from None
    return weights


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


def run_create(args, settings) -> int:
    from inspect_app.services.plans import PlanInput, create_plan

    def work(store) -> int:
        plan = create_plan(store, PlanInput(
            name=args.name, period=args.period, park_codes=_split(args.parks) or [], ratio=args.ratio,
            count=args.count, weights=_weights(args.weight), inspectors=_split(args.inspectors),
            per_task=args.per_task, recuse_own_street=args.recuse_own_street, window_start=args.start,
            complete_by=args.complete_by))
        print(t("plans.cli.created", name=plan.name, period=plan.period, parks=len(plan.park_ids),
                inspectors=len(plan.inspector_ids), start=plan.window_start, end=plan.complete_by))
        return EXIT_OK
    return with_store(settings, work)


def run_recuse(args, settings) -> int:
    from inspect_app.services.plans import add_recusal

    def work(store) -> int:
        rows = add_recusal(store, inspector=args.inspector, reason=args.reason, credit_code=args.tenant,
                           street=args.street)
        print(t("plans.cli.recused", count=len(rows)))
        return EXIT_OK
    return with_store(settings, work)


def run_draw(args, settings) -> int:
    from inspect_app.services.plans import draw_plan

    def work(store) -> int:
        outcome = draw_plan(store, args.plan, args.seed, thresholds=settings.risk_flags)
        print(t("plans.cli.drawn", name=outcome.plan.name, seed=outcome.seed, sha256=outcome.register_sha256,
                candidates=outcome.candidates, drawn=len(outcome.drawn), excluded=outcome.excluded_reinspection))
        return EXIT_OK
    return with_store(settings, work)


def run_show(args, settings) -> int:
    from inspect_app.services.plan_export import weights_text
    from inspect_app.services.plans import plan_view

    def work(store) -> int:
        view = plan_view(store, args.plan)
        amount = t("plans.cli.amount_ratio", ratio=f"{view.ratio:g}") if view.ratio is not None else \
            t("plans.cli.amount_count", count=view.count)
        lines = [t("plans.cli.show_head", name=view.name, period=view.period, parks="、".join(view.parks),
                   amount=amount, start=view.window_start, end=view.complete_by),
                 t("plans.cli.show_weights", weights=weights_text(view.weights)),
                 t("plans.cli.show_inspectors", names="、".join(view.inspectors), per_task=view.per_task,
                   street=t("plans.cli.yes") if view.recuse_own_street else t("plans.cli.no"))]
        if view.seed is None:
            lines.append(t("plans.cli.show_not_drawn"))
        else:
            lines.append(t("plans.cli.show_draw", seed=view.seed, sha256=view.register_sha256,
                           candidates=view.candidates, drawn=len(view.rows), at=view.drawn_at))
            lines += [f"{r.position:>4}  {r.park_code}  {r.tenant_name}  {r.credit_code}  {'、'.join(r.inspectors)}"
                      for r in view.rows]
        print_result(args, view.as_json(), "\n".join(lines))
        return EXIT_OK
    return with_store(settings, work)


def run_publish(args, settings) -> int:
    from inspect_app.services.plan_export import publish

    def work(store) -> int:
        count = publish(store, args.plan, args.output, font=settings.pdf_font)
        print(t("plans.cli.written", file=args.output, count=count))
        return EXIT_OK
    return with_store(settings, work)


def run_report(args, settings) -> int:
    from inspect_app.services.plan_export import report

    def work(store) -> int:
        count = report(store, args.plan, args.output, today=args.today, font=settings.pdf_font)
        print(t("plans.cli.written", file=args.output, count=count))
        return EXIT_OK
    return with_store(settings, work)


def run_verify(args, settings) -> int:
    from inspect_app.services.plans import verify_draw

    def work(store) -> int:
        outcome = verify_draw(store, args.plan, args.seed)
        if not outcome.register_ok:
            print(t("plans.cli.verify_register_changed", sha256=outcome.register_sha256))
            return EXIT_CHECK_FAILED
        if outcome.matches:
            print(t("plans.cli.verify_ok", seed=args.seed, sha256=outcome.register_sha256, drawn=outcome.drawn))
            return EXIT_OK
        print(t("plans.cli.verify_differs", seed=args.seed, sha256=outcome.register_sha256))
        return EXIT_CHECK_FAILED
    return with_store(settings, work)


def _tally_line(who: str, tally) -> str:
    from inspect_app.services.plan_tasks import STATUSES

    counts = "  ".join(f"{t(f'plans.status.{s}')} {tally.counts.get(s, 0)}" for s in STATUSES)
    return f"{who}: {counts}  ({t('plans.export.col.total')} {tally.total})"


def run_status(args, settings) -> int:
    from inspect_app.services.plan_tasks import plan_status

    def work(store) -> int:
        status = plan_status(store, args.plan, today=args.today)
        lines = [t("plans.cli.status_head", name=status.plan, today=status.today), _tally_line(t("plans.export.all"),
                                                                                               status.total),
                 t("plans.export.by_inspector")]
        lines += ["  " + _tally_line(who, tally) for who, tally in status.by_inspector.items()]
        lines.append(t("plans.export.by_park"))
        lines += ["  " + _tally_line(who, tally) for who, tally in status.by_park.items()]
        print_result(args, status.as_json(), "\n".join(lines))
        return EXIT_OK
    return with_store(settings, work)


def run_tasks(args, settings) -> int:
    from inspect_app.services.plan_tasks import device_tasks

    def work(store) -> int:
        rows = device_tasks(store, inspector_id=store.actor_id if args.mine else None, today=args.today)
        payload = [{"id": r.id, "plan": r.plan_name, "park": r.park_name, "building": r.building, "floor": r.floor,
                    "unit_no": r.unit_no, "tenant": r.tenant_name, "credit_code": r.credit_code,
                    "inspectors": r.inspectors, "window_start": r.window_start.isoformat(),
                    "complete_by": r.complete_by.isoformat(), "status": r.status,
                    "inspection_id": r.inspection_id} for r in rows]
        lines = [t("plans.cli.task_line", park=r.park_name, building=r.building or "-",
                   floor=r.floor if r.floor is not None else "-", unit=r.unit_no or "-", tenant=r.tenant_name,
                   start=r.window_start, end=r.complete_by, status=t(f"plans.status.{r.status}"),
                   inspectors="、".join(r.inspectors)) for r in rows] or [t("plans.cli.no_tasks")]
        print_result(args, {"tasks": payload}, "\n".join(lines))
        return EXIT_OK
    return with_store(settings, work)


