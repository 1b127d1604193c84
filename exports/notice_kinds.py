"""The body of each document kind: 隐患整改通知书, 复查意见书, 消防安全检查记录.

- rectification: the hazard table with the five implementations (header repeated on every page),
  the order with its legal basis and the deadline stated once — the single date when every hazard
  has the same, "see the table" when they differ — then the re-inspection and consequence notes.
  Two parts (交被检查单位, 存根).
- reinspection_opinion: each hazard's re-inspection outcome, the conclusions; signed by the
  re-inspectors on the re-inspection date when the content names them. Two parts.
- inspection_record: every checklist result, the counts; one part, no salutation, signed by both
  inspectors and the unit's accompanying person, with the inspection time from–to.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from exports.notice_layout import DocumentBuilder, people, table_style, widths
from exports.notice_text import merge_basis, money, text


class Rectification(DocumentBuilder):
    def hazard_table(self):
        s = self.s
        head = [self.p(self.we(k), s.head) for k in
                ("col.no", "col.description", "col.location", "col.severity", "col.five")]
        sub = [self.p(self.we(k), s.head) for k in
               ("col.responsible", "col.measures", "col.funds", "col.deadline", "col.contingency")]
        rows: list[list] = [[*head, "", "", "", ""], ["", "", "", "", *sub]]
        hazards = self.c.get("hazards") or []
        for h in hazards:
            description = text(h.get("description"))
            if isinstance(h.get("repeat"), int) and h["repeat"] > 1:  # came back after an earlier one was closed
                description += f'<br/><font color="#B00000">{self.we("repeat", count=h["repeat"])}</font>'
            if h.get("legal_basis"):
                description += (f'<br/><font size="7" color="#555555">'
                                f'{self.we("basis", basis=h["legal_basis"])}</font>')
            responsible = text(h.get("responsible"))
            if h.get("responsible_phone"):
                responsible += f"<br/>{text(h['responsible_phone'])}"
            funds = money(h.get("funds_yuan"))
            if h.get("funds_reason"):
                funds += f'<br/><font size="7.5">（{text(h["funds_reason"])}）</font>'
            severity = self.w(f"severity.{h.get('severity')}") if h.get("severity") in ("general", "major") \
                else h.get("severity")
            rows.append([
                self.p(text(h.get("no")), s.cell_center), self.p(description, s.cell),
                self.p(text(h.get("location")), s.cell), self.p(text(severity), s.cell_center),
                self.p(responsible, s.cell), self.p(text(h.get("measures")), s.cell),
                self.p(funds, s.cell_center), self.p(self.date_cell(h.get("deadline")), s.cell_center),
                self.p(text(h.get("contingency_plan")), s.cell),
            ])
        spans = [("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (2, 1)),
                 ("SPAN", (3, 0), (3, 1)), ("SPAN", (4, 0), (8, 0))]
        if not hazards:
            rows.append([self.p(self.we("no_items"), s.cell_center), "", "", "", "", "", "", "", ""])
            spans.append(("SPAN", (0, 2), (-1, 2)))
        # the funds column fits "1,234,567.25", the responsible one a mobile number, the deadline "12月11日"
        parts = (6, 25, 12.5, 9, 21, 23.5, 19.5, 17.5, 23) if self.lang != "en" else \
            (6, 20, 13, 14, 21, 22, 19.5, 18.5, 23)  # English: "general", "2026-12-11" are wider
        table = self.table(rows, colWidths=widths(*parts), repeatRows=2, splitInRow=1)
        table.setStyle(table_style(2, spans))
        return table

    def body(self):
        s = self.s
        hazards = self.c.get("hazards") or []
        story = [self.p(self.we("body.rectification"), s.indent), Spacer(1, 2 * mm), self.hazard_table(),
                 Spacer(1, 3 * mm)]
        basis = merge_basis([*(self.agency.get("basis") or []), *(h.get("legal_basis") for h in hazards)],
                            self.w("sep"))
        order = self.we("basis_line", basis=basis) if basis else ""
        deadlines = {h.get("deadline") for h in hazards if h.get("deadline")}
        if len(deadlines) > 1:  # the dates are in the table: state none here
            order += self.we("order_table")
        else:
            single = next(iter(deadlines)) if deadlines else self.c.get("deadline")
            order += self.we("order", deadline=self.date(single))
        note = text(self.agency.get("reinspection_note") or self.w("reinspection_note"))
        if self.agency.get("consequence"):  # one paragraph: what happens when the deadline has passed
            note += text(self.agency["consequence"])
        last = [self.p(order, s.indent), self.p(note, s.indent)]
        return story, last


class ReinspectionOpinion(DocumentBuilder):
    @property
    def reinspection(self) -> dict:
        return self.c.get("reinspection") or {}

    def when_row(self):
        if self.reinspection.get("date"):
            return self.w("inspection.reinspection_date"), self.date(self.reinspection["date"])
        return super().when_row()

    def signers(self):
        if self.reinspection.get("inspectors"):
            return "reinspectors", people(self.reinspection["inspectors"])
        return super().signers()

    def body(self):
        s = self.s
        hazards = self.c.get("hazards") or []
        head = [self.p(self.we(k), s.head) for k in
                ("col.no", "col.description", "col.location", "col.deadline", "col.outcome_date",
                 "col.outcome", "col.evidence")]
        rows: list[list] = [head]
        for h in hazards:
            outcome = h.get("outcome") or {}
            result = outcome.get("result")
            if not outcome:
                label = self.w("outcome.none")
            elif result in ("rectified", "not_rectified", "escalated"):
                label = self.w(f"outcome.{result}")
            else:
                label = result
            evidence = text(outcome.get("evidence")) if outcome else "—"
            if outcome.get("new_deadline"):
                evidence += "<br/>" + self.we("new_deadline", deadline=self.date(outcome["new_deadline"]))
            rows.append([
                self.p(text(h.get("no")), s.cell_center),
                self.p(text(h.get("description")) + f'<br/><font size="7" color="#555555">'
                       f'{text(h.get("measures"))}</font>', s.cell),
                self.p(text(h.get("location")), s.cell), self.p(self.date_cell(h.get("deadline")), s.cell_center),
                self.p(self.date_cell(outcome.get("date")), s.cell_center), self.p(text(label), s.cell_center),
                self.p(evidence, s.cell),
            ])
        if not hazards:
            rows.append([self.p(self.we("no_items"), s.cell_center), "", "", "", "", "", ""])
        table = self.table(rows, colWidths=widths(7, 44, 16, 16, 16, 14.5, 43), repeatRows=1, splitInRow=1)
        table.setStyle(table_style(1, [("SPAN", (0, 1), (-1, 1))] if not hazards else []))
        intro = self.we("body.reinspection", references=self.c.get("references") or "—")
        story = [self.p(intro, s.indent), Spacer(1, 2 * mm), table, Spacer(1, 3 * mm)]
        results = [(h.get("outcome") or {}).get("result") for h in hazards]
        last = []
        if results and all(r == "rectified" for r in results):
            last.append(self.p(self.we("conclusion.all_rectified"), s.indent))
        open_deadlines = [(h.get("outcome") or {}).get("new_deadline") for h in hazards
                          if (h.get("outcome") or {}).get("result") == "not_rectified"]
        if open_deadlines:
            deadline = max((d for d in open_deadlines if d), default=None)
            words = self.we("conclusion.not_rectified", deadline=self.date(deadline))
            if self.agency.get("consequence"):
                words += text(self.agency["consequence"])
            last.append(self.p(words, s.indent))
        if "escalated" in results:
            last.append(self.p(self.we("conclusion.escalated"), s.indent))
        return story, last


class InspectionRecord(DocumentBuilder):
    parts = (None,)
    salutation = False  # a record states what was found; it addresses nobody
    rights = False  # not a decision: nothing to appeal

    def accompanying(self) -> list:
        person = self.inspection.get("accompanied_by")
        if isinstance(person, dict):
            person = person.get("name")
        elif isinstance(person, list):
            person = self.w("sep").join(str(p.get("name") if isinstance(p, dict) else p) for p in person if p)
        s = self.s
        return [Spacer(1, 2 * mm), self.p(self.we("accompanied_by"), s.sign),
                self.p(f"{text(person) if person else '＿' * 6}　{self.we('signature')}{self.we('colon')}________",
                       s.sign_line)]

    def body(self):
        s = self.s
        results = self.c.get("results") or []
        name = (self.c.get("addressee") or {}).get("name") or ""
        intro = self.we("body.inspection_record", date=self.date(self.inspection.get("date")), name=name)
        rows: list[list] = [[self.p(self.we(k), s.head) for k in
                             ("col.code", "col.category", "col.item", "col.result", "col.note")]]
        fails = []
        for r in results:
            outcome = r.get("outcome")
            label = self.w(f"result.{outcome}") if outcome in ("pass", "fail", "na") else (outcome or "—")
            if outcome == "fail":
                fails.append(len(rows))
            rows.append([self.p(text(r.get("code")), s.cell_center), self.p(text(r.get("category")), s.cell),
                         self.p(text(r.get("text")), s.cell), self.p(text(label), s.cell_center),
                         self.p(text(r.get("note")) if r.get("note") else "", s.cell)])
        extra = [("BACKGROUND", (3, i), (3, i), colors.Color(0.93, 0.93, 0.93)) for i in fails]
        if not results:
            rows.append([self.p(self.we("no_items"), s.cell_center), "", "", "", ""])
            extra.append(("SPAN", (0, 1), (-1, 1)))
        table = self.table(rows, colWidths=widths(9, 16, 78, 13, 49), repeatRows=1, splitInRow=1)
        table.setStyle(table_style(1, extra))
        counts = {k: sum(1 for r in results if r.get("outcome") == k) for k in ("pass", "fail", "na")}
        story = [self.p(intro, s.indent), Spacer(1, 2 * mm), table, Spacer(1, 3 * mm)]
        last = [self.p(self.we("summary", total=len(results), passed=counts["pass"], failed=counts["fail"],
                               na=counts["na"]), s.indent)]
        if counts["fail"]:
            last.append(self.p(self.we("summary_fail"), s.indent))
        return story, last


BUILDERS = {"rectification": Rectification, "reinspection_opinion": ReinspectionOpinion,
            "inspection_record": InspectionRecord}
