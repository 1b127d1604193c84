"""Admission screening (入园审查): an applicant checked against the park's entry rules, and the
park's decision recorded.

`read_applicant` reads an applicant from a .toml or .json file and checks it field by field
(forms/applicant.py); `screen_applicant` applies the entry rules in force (forms/entry_rules.py)
and returns every refusal with its reason and source; `decide` records the decision (admit or
refuse, who, when: table `entry_decision`, synced and append-only) and, for an admission, makes
the tenant in the same transaction through the ledger's own rules (forms/tenant.py `TenantInput`,
the park's unique credit code) — so a refused applicant writes no tenant, and an admission that
the ledger refuses writes no decision either.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import select

from db.errors import UserError
from db.models import EntryDecision
from db.store import Store
from forms.applicant import Applicant
from forms.checklist import TemplateError  # noqa: F401  (the screens' refusal of a bad rules file)
from forms.entry_rules import EntryRules, Refusal, load_entry_rules, screen
from forms.errors import field_messages
from forms.i18n import t
from forms.tenant import TenantInput
from inspect_app.services.ledger import write_tenant

DECISIONS = ("admit", "refuse")
MAX_FILE_BYTES = 256 * 1024  # an applicant is a few lines; anything larger is not one


@dataclass(frozen=True)
class Screening:
    applicant: Applicant
    rules: EntryRules
    refusals: list[Refusal]

    @property
    def admissible(self) -> bool:
        return not self.refusals


@dataclass(frozen=True)
class Decision:
    id: str
    decision: str
    tenant_id: str | None
    reasons: list[dict]


def field_label(name: str, lang: str | None = None) -> str:
    return t(f"entry.field.{name}", lang=lang)


def check_applicant(values: dict) -> tuple[Applicant | None, dict[str, str]]:
    """(the applicant, {}) or (None, field -> message in words): what a form shows under each field."""
    try:
        return Applicant.model_validate(values), {}
    except ValidationError as exc:
        return None, field_messages(exc)


def parse_applicant(values: object) -> Applicant:
    """An applicant from plain values; UserError naming every bad field in words."""
    if not isinstance(values, dict):
        raise UserError("entry.not_a_table")
    applicant, messages = check_applicant(values)
    if applicant is None:
        problems = [f"{field_label(name)}: {text}" if name in Applicant.model_fields
                    else t("entry.unknown_field", name=name) for name, text in messages.items()]
        raise UserError("entry.bad_applicant", problems="; ".join(problems))
    return applicant


def read_applicant(path: Path) -> Applicant:
    """The applicant a .toml or .json file describes (UTF-8; one table of fields)."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise UserError("entry.bad_suffix", file=str(path))
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserError("entry.file_unreadable", file=str(path), reason=exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise UserError("entry.file_too_large", file=str(path))
    try:
        text = data.decode("utf-8-sig")
        values = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        raise UserError("entry.file_not_parsed", file=str(path), reason=str(exc)[:200]) from None
    return parse_applicant(values)


def screen_applicant(applicant: Applicant, rules: EntryRules | None = None) -> Screening:
    rules = rules or load_entry_rules()
    return Screening(applicant, rules, screen(rules, applicant))


def decide(store: Store, park_id: str, screening: Screening, decision: str, *, note: str | None = None) -> Decision:
    """Record the park's decision on a screened applicant. Admitting one the rules refuse is itself
    refused (the reasons must be answered in the rules file, not by overruling them); admitting
    makes the tenant in the same transaction, or nothing is written."""
    if decision not in DECISIONS:
        raise UserError("entry.bad_decision", value=decision, choices=", ".join(DECISIONS))
    if note is not None and len(note) > 500:
        raise UserError("entry.note_too_long", max=500)
    if decision == "admit" and not screening.admissible:
        raise UserError("entry.admit_refused", count=len(screening.refusals))
    applicant = screening.applicant
    tenant_data = TenantInput.model_validate(applicant.tenant_values()) if decision == "admit" else None
    reasons = [refusal.as_record() for refusal in screening.refusals]
    with store.transaction() as session:
        tenant = write_tenant(session, park_id=park_id, data=tenant_data) if tenant_data is not None else None
        row = EntryDecision(
            park_id=park_id, applicant_name=applicant.name, credit_code=applicant.credit_code,
            industry_code=applicant.industry_code, process=applicant.process,
            fire_hazard_class=applicant.fire_hazard_class, planned_area_m2=applicant.area,
            planned_headcount=applicant.planned_headcount,
            commitment_tax_wan_per_mu=applicant.commitment_tax_wan_per_mu, decision=decision, reasons=reasons,
            rules_id=screening.rules.id, rules_version=screening.rules.version, note=note or None,
            decided_by=store.actor_id, tenant_id=tenant.id if tenant else None)
        session.add(row)
        session.flush()
        return Decision(row.id, decision, row.tenant_id, reasons)


def decisions(store: Store, park_id: str) -> list[EntryDecision]:
    """The park's entry decisions, newest first."""
    with store.read() as session:
        rows = session.exec(select(EntryDecision).where(EntryDecision.park_id == park_id,
                                                        EntryDecision.deleted == False)  # noqa: E712
                            .order_by(EntryDecision.decided_at.desc())).all()
        session.expunge_all()
        return list(rows)
