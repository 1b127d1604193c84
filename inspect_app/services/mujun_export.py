"""The 亩均效益 公示 sheet (.xlsx): one row per tenant with its figures, score, class, the ledger's
class and how the score was reached; a second sheet with each tenant's notice of the right to
object (the method, its version and the days allowed). Rows built here, written by exports/tabular.py."""

from __future__ import annotations

from pathlib import Path

from exports.tabular import write_xlsx_sheets
from forms.catalogues import label
from forms.i18n import t
from inspect_app.services.mujun import MujunResult

COLUMNS = ("no", "name", "credit_code", "scale", "land", "output", "tax", "power", "headcount", "score", "class",
           "official", "difference", "explanation")


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def sheets(result: MujunResult, lang: str | None = None) -> list[tuple[str, list[str], list[list]]]:
    method = result.method
    notice_rows, objection_rows = [], []
    for number, row in enumerate(result.rows, start=1):
        f, s = row.figures, row.score
        cls = s.cls or t("mujun.export.not_graded", lang=lang)
        notice_rows.append([
            number, row.name, row.credit_code, label("scale", f.scale, lang=lang), _round(s.land_mu),
            _round(f.output_wan), _round(f.tax_wan), _round(f.electricity_kwh, 0), f.headcount,
            _round(s.score, 1), cls, row.official_class, row.difference(lang),
            " ".join(row.explanation(method, lang)[:-1]),
        ])
        detail = (t(f"mujun.not_graded.{s.reason}", lang=lang) if s.reason else f"{s.score:.1f}")
        objection_rows.append([number, row.name, row.credit_code, cls, t(
            "mujun.export.objection_note", lang=lang, name=row.name, year=result.year, cls=cls, detail=detail,
            method=method.title(lang), version=method.version, days=method.objection_days)])
    headers = [t(f"mujun.export.col_{key}", lang=lang) for key in COLUMNS]
    objection_headers = [t(f"mujun.export.col_{key}", lang=lang) for key in ("no", "name", "credit_code", "class",
                                                                             "note")]
    return [(t("mujun.export.sheet_title", lang=lang), headers, notice_rows),
            (t("mujun.export.objection_sheet", lang=lang), objection_headers, objection_rows)]


def write_mujun_xlsx(result: MujunResult, path: Path, lang: str | None = None) -> int:
    """Write the sheet; the number of tenants in it."""
    write_xlsx_sheets(Path(path), sheets(result, lang))
    return len(result.rows)
