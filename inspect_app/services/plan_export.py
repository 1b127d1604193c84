"""A plan's files: the 公示 list of its draw and its completion report (.xlsx or PDF, by suffix)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from db.errors import UserError
from db.store import Store
from exports.plan_lists import SUFFIXES, ListDocument, write_list
from forms.i18n import t
from inspect_app.services.plan_draw import FACTORS
from inspect_app.services.plan_tasks import STATUSES, plan_status
from inspect_app.services.plans import plan_view


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise UserError("plans.bad_suffix", file=path.name)


def _font_for(path: Path, font: tuple[Path | None, int | str | None]):
    if path.suffix.lower() != ".pdf":
        return None
    from exports.fonts import (
        pdf_font,  # reportlab: loaded when a document is written, not when its screen opens
    )

    return pdf_font(*font)


def weights_text(weights: dict) -> str:
    return t("plans.list_separator").join(f"{t(f'plans.factor.{name}')} {weights.get(name, 0):g}"
                                          for name in FACTORS)


def publish(store: Store, name: str, path: Path, *, font: tuple[Path | None, int | str | None] = (None, None)) -> int:
    """Write the 公示 list of the plan's draw; the number of tenants listed. `font`: the office's
    PDF font (Settings.pdf_font), (None, None) the bundled one."""
    _check_suffix(path)
    view = plan_view(store, name)
    if view.seed is None:
        raise UserError("plans.not_drawn", name=name)
    facts = [(t("plans.export.period"), view.period), (t("plans.export.parks"), "、".join(view.parks)),
             (t("plans.export.window"), f"{view.window_start.isoformat()} — {view.complete_by.isoformat()}"),
             (t("plans.export.seed"), view.seed), (t("plans.export.register_sha256"), view.register_sha256),
             (t("plans.export.counts"), t("plans.export.counts_value", candidates=view.candidates,
                                          drawn=len(view.rows), excluded=view.excluded_reinspection)),
             (t("plans.export.weights"), weights_text(view.weights)),
             (t("plans.export.drawn_at"), view.drawn_at or "")]
    headers = [t(f"plans.export.col.{c}") for c in ("no", "park", "tenant", "credit_code", "inspectors", "window")]
    rows = [[r.position, r.park_name, r.tenant_name, r.credit_code, "、".join(r.inspectors),
             f"{r.window_start.isoformat()} — {r.complete_by.isoformat()}"] for r in view.rows]
    document = ListDocument(title=t("plans.export.publish_title", name=view.name), facts=facts, headers=headers,
                            rows=rows, footer=t("plans.export.rerun", name=view.name, seed=view.seed))
    write_list(path, document, _font_for(path, font))
    return len(rows)


def report(store: Store, name: str, path: Path, *, today: date | None = None,
           font: tuple[Path | None, int | str | None] = (None, None)) -> int:
    """Write the plan's completion report: per inspector, per park, then every task; tasks listed.
    `font`: as publish."""
    _check_suffix(path)
    status = plan_status(store, name, today=today)
    headers = [t("plans.export.col.who")] + [t(f"plans.status.{s}") for s in STATUSES] + [t("plans.export.col.total")]
    rows = []
    for group, tallies in (("plans.export.by_inspector", status.by_inspector), ("plans.export.by_park", status.by_park)):
        rows.append([t(group)] + [""] * (len(STATUSES) + 1))
        for who, tally in tallies.items():
            rows.append([who] + [tally.counts.get(s, 0) for s in STATUSES] + [tally.total])
    rows.append([t("plans.export.all")] + [status.total.counts.get(s, 0) for s in STATUSES] + [status.total.total])
    facts = [(t("plans.export.as_of"), status.today.isoformat())]
    document = ListDocument(title=t("plans.export.report_title", name=name), facts=facts, headers=headers, rows=rows,
                            footer=t("plans.export.tasks_line", count=len(status.tasks)))
    write_list(path, document, _font_for(path, font))
    return len(status.tasks)
