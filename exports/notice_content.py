"""The canonical content of an issued document, and its hash.

What a notice says is a plain dict (built by inspect_app/services/notices.py from the database);
its canonical form is UTF-8 JSON with sorted keys and no whitespace. The hash of those bytes is
what the QR code carries and what the device key signs; the PDF embeds the same bytes as the file
`notice.json`, so `verify` can check that the printed page, the embedded content and the
signature agree. Change this format only with a new SCHEMA value: old notices must stay verifiable.

Version 2 (`parkinspect.notice/2`, written now). Every date is the China date (forms/china_time.py;
`Asia/Shanghai` unless configured), every date-time ISO 8601 with its offset (`+08:00`); money in
yuan as a number; optional values are null. Keys present in every kind:

{
  "schema": "parkinspect.notice/2",
  "kind": "rectification" | "reinspection_opinion" | "inspection_record",
  "number": "平经信安整责改〔2026〕第H001-0012号",   # the kind's own series: 责改 / 复查 / 检记
                                                    # (configurable); older notices keep their numbers
  "revision": 1, "supersedes": null | "<earlier number of the same document>",
  "issued_at": "2026-11-26T10:15:00+08:00",        # China time; the database keeps it in UTC
  "agency": {"name": "...", "short": "平经信安整",
             "basis": ["《中华人民共和国消防法》第十六条", ...],   # the agency's configured default basis
             "reinspection_note": "整改期限届满后，我单位将组织复查。",
             "contact": null | {"address": ..., "phone": ..., "person": ...},
             "rights_notice": null | "<行政复议 60 days / 行政诉讼 6 months, the bodies named>",
                                               # null when [agency] administrative_organ = false
             "consequence": "<what follows non-rectification>"},
  "addressee": {"name": "...", "credit_code": "..." | null,
                "address": "平湖市新埭镇智能装备小微企业园 3号楼 301",  # district, street, park said once
                "person_in_charge": "..." | null},
  "park": {"code": "...", "name": "..."},
  "inspection": null | {...},      # by kind, below
  "reinspection": null | {...},    # reinspection_opinion only
  "hazards": [...],                # rectification and reinspection_opinion; [] for a record
  "deadline": "2026-12-10" | null, # rectification: the latest hazard deadline (each hazard has its own)
  "references": null | "<number>", # reinspection_opinion: the rectification notice it answers
  "results": null | [...]          # inspection_record only
}

kind "rectification" (隐患整改通知书):
  "inspection": {"date": "2026-11-26",               # China date the inspection started
                 "checklist": "消防安全检查",          # the checklist's title (not a legal basis)
                 "inspectors": [{"name": "...", "id_number": "..."}],
                 "basis": ["《中华人民共和国消防法》", ...]}  # 检查依据: the template's `legal_basis`,
                     # else the distinct legal basis of the failed items, else agency.basis
                 (null for hazards recorded without an inspection)
  "hazards": [{"no": 1, "description": "...", "location": "...", "severity": "general" | "major",
               "legal_basis": "..." | null,          # the item's own basis
               "responsible": "...", "responsible_phone": "...", "measures": "...",
               "funds_yuan": 0, "funds_reason": "..." | null,
               "deadline": "2026-12-10",             # never before the issue date (refused)
               "contingency_plan": "...", "photos": ["<sha256>", ...], "outcome": null,
               "repeat": 2}]                        # only on a repeat: the how-many-th finding of its
                                                    # item at the tenant after an earlier one was closed
  "deadline": the latest of the hazards' deadlines; the hazards' own deadlines are the authority.

kind "reinspection_opinion" (复查意见书):
  "inspection": null                                  # the original inspection is not this document's
  "reinspection": {"date": "2026-12-12",              # the latest re-inspection (复查) date
                   "dates": ["2026-12-11", "2026-12-12"],  # every 复查 date the opinion covers
                   "inspectors": [{"name": "...", "id_number": "..."}]},  # who re-inspected
  "references": "平经信安整责改〔2026〕第H001-0012号",   # the rectification notice answered
  "hazards": as for rectification, with "outcome": null (not re-inspected yet) |
             {"result": "rectified" | "not_rectified" | "escalated", "date": "2026-12-12",
              "evidence": "..." | null, "new_deadline": "..." | null}  # never before the issue date

kind "inspection_record" (检查记录), numbered in its own series, no rectification number:
  "inspection": {"date", "checklist", "inspectors" (every inspector, with ID numbers), "basis" (as above,
                 from the failed results),
                 "started_at": "2026-11-26T09:30:00+08:00", "finished_at": "2026-11-26T10:05:00+08:00" | null,
                 "accompanied_by": "..." | null}     # the unit's person who accompanied the inspection
  "results": [{"code": "A01", "category": "...", "text": "...", "outcome": "pass"|"fail"|"na",
               "note": "..." | null}]

Version 1 (`parkinspect.notice/1`) is what notices issued before carry, and they keep verifying
(their canonical bytes are stored and embedded): `issued_at` in UTC, numbers without the kind word
(`平经信安整〔2026〕A07-0012号`), `inspection` = {date, checklist, inspectors} for every kind (for an
opinion the original inspection's), no `reinspection` key, no `inspection.basis`.
"""

from __future__ import annotations

import hashlib
import json

SCHEMA = "parkinspect.notice/2"
KINDS = ("rectification", "reinspection_opinion", "inspection_record")
EMBEDDED_FILE_NAME = "notice.json"
QR_INFO_KEY = "/ParkInspectQR"  # document-info entry holding the QR payload text


def canonical_json(content: dict) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def content_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()
