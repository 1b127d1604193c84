"""The self-assessment form of a park's star rating: .xlsx (exports/tabular.py) or PDF
(exports/stars_pdf.py), from the same rows in words."""

from __future__ import annotations

from pathlib import Path

from exports.tabular import atomic_target, write_xlsx_sheets
from forms.i18n import current_language, t
from inspect_app.services.stars import StarAssessment

PERCENT_SOURCES = ("mujun_ab_share", "vacancy_rate", "above_share", "hazard_closure_rate")


def figure_text(source: str, value: float | None, lang: str | None = None) -> str:
    if value is None:
        return t("stars.figure_unknown", lang=lang)
    if source in PERCENT_SOURCES:
        return f"{value * 100:.1f}%"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def summary_lines(assessment: StarAssessment, lang: str | None = None) -> list[str]:
    """Two lines: the total, the star and the points to the next; where the figures come from."""
    criteria = assessment.criteria
    nxt = assessment.next_star
    key = "stars.summary" if assessment.star else "stars.summary_none"
    standing = [t(key, lang=lang, total=f"{assessment.total:.1f}", star=assessment.star)]
    standing.append(t("stars.top", lang=lang) if nxt is None
                    else t("stars.gap", lang=lang, star=nxt[0], points=f"{nxt[1]:.1f}"))
    return [("；" if (lang or current_language()) == "zh_CN" else "; ").join(standing),
            t("stars.figures_from", lang=lang, quarter=assessment.quarter.label(lang),
              criteria=criteria.title(lang), version=criteria.version)]


def dimension_rows(assessment: StarAssessment, lang: str | None = None) -> list[list]:
    return [[d.dimension.name(lang), round(d.points, 1), round(d.maximum, 1), round(d.open_points, 1)]
            for d in assessment.dimensions]


def item_rows(assessment: StarAssessment, lang: str | None = None) -> list[list]:
    names = {d.code: d.name(lang) for d in assessment.criteria.dimensions}
    rows = []
    for score in assessment.items:
        item = score.item
        if score.automatic:
            how = t("stars.how_auto", lang=lang, source=t(f"stars.source.{item.source}", lang=lang),
                    figure=figure_text(item.source, score.figure, lang))
        elif score.entered:
            how = t("stars.how_typed", lang=lang, evidence=score.evidence or "—")
        else:
            how = t("stars.how_missing", lang=lang)
        rows.append([item.code, names.get(item.dimension, item.dimension), item.text(lang), round(item.points, 1),
                     round(score.points, 1), how])
    return rows


def _headers(keys: tuple[str, ...], lang: str | None) -> list[str]:
    return [t(f"stars.col_{key}", lang=lang) for key in keys]


DIMENSION_KEYS = ("dimension", "points", "maximum", "open")
ITEM_KEYS = ("code", "dimension", "item", "maximum", "points", "basis")


def write_stars_file(assessment: StarAssessment, path: Path, lang: str | None = None) -> None:
    """.pdf → the PDF form; anything else → .xlsx (summary, dimensions, items)."""
    path = Path(path)
    park = assessment.park
    title = t("stars.form_title", lang=lang, code=park.code, name=park.name, year=assessment.year)
    lines = summary_lines(assessment, lang)
    dimensions, items = dimension_rows(assessment, lang), item_rows(assessment, lang)
    if path.suffix.lower() == ".pdf":
        from exports.stars_pdf import render_stars_pdf  # reportlab: only for a PDF

        data = render_stars_pdf(title, lines, [
            (_headers(DIMENSION_KEYS, lang), [[str(v) for v in row] for row in dimensions], [0.4, 0.2, 0.2, 0.2]),
            (_headers(ITEM_KEYS, lang), [[str(v) for v in row] for row in items],
             [0.08, 0.14, 0.3, 0.08, 0.08, 0.32])], lang=lang or current_language())
        with atomic_target(path) as temporary:
            temporary.write_bytes(data)
        return

    write_xlsx_sheets(path, [
        (t("stars.sheet_summary", lang=lang), [title], [[line] for line in lines]),
        (t("stars.sheet_dimensions", lang=lang), _headers(DIMENSION_KEYS, lang), dimensions),
        (t("stars.sheet_items", lang=lang), _headers(ITEM_KEYS, lang), items),
    ])
