"""The canonical content of an issued document, and its hash.

What a notice says is a plain dict (built by inspect_app/services/notices.py from the database);
its canonical form is UTF-8 JSON with sorted keys and no whitespace. The hash of those bytes is
what the QR code carries and what the device key signs; the PDF embeds the same bytes as the file
`notice.json`, so `verify` can check that the printed page, the embedded content and the
signature agree. Change this format only with a new SCHEMA value: old notices must stay verifiable.

Shape (all dates ISO 8601; money in yuan as a number; optional values are null):
{
  "schema": "parkinspect.notice/1",
  "kind": "rectification" | "reinspection_opinion" | "inspection_record",
  "number": "平经信安整〔2026〕A07-0012号", "revision": 1, "supersedes": null | "<earlier number>",
  "issued_at": "2026-11-26T10:15:00+08:00",
  "agency": {"name": "...", "short": "平经信安整", "basis": ["《中华人民共和国消防法》第十六条", ...],
             "reinspection_note": "整改期限届满后，我单位将组织复查。",
             # since issuing writes them (older content lacks them; the PDF prints what is there):
             "contact": null | {"address": ..., "phone": ..., "person": ...},
             "rights_notice": null | "<行政复议 60 days / 行政诉讼 6 months, the bodies named>",
             "consequence": "<what follows non-rectification>"},
  "addressee": {"name": "...", "credit_code": "...", "address": "...", "person_in_charge": "..."},
  "park": {"code": "...", "name": "..."},
  "inspection": {"date": "2026-11-26", "checklist": "...", "inspectors": [{"name": "...", "id_number": "..."}]},
  "hazards": [{"no": 1, "description": "...", "location": "...", "severity": "general" | "major",
               "legal_basis": "..." | null, "responsible": "...", "responsible_phone": "...",
               "measures": "...", "funds_yuan": 0, "funds_reason": "..." | null,
               "deadline": "2026-12-10", "contingency_plan": "...", "photos": ["<sha256>", ...],
               "outcome": null | {"result": "rectified" | "not_rectified" | "escalated",
                                  "date": "...", "evidence": "...", "new_deadline": "..." | null}}],
  "deadline": "2026-12-10" | null,
  "references": null | "<the notice a re-inspection opinion answers>",
  "results": null | [{"code": "A01", "category": "...", "text": "...", "outcome": "pass"|"fail"|"na", "note": "..."}]
}
"""

from __future__ import annotations

import hashlib
import json

SCHEMA = "parkinspect.notice/1"
KINDS = ("rectification", "reinspection_opinion", "inspection_record")
EMBEDDED_FILE_NAME = "notice.json"
QR_INFO_KEY = "/ParkInspectQR"  # document-info entry holding the QR payload text


def canonical_json(content: dict) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def content_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()
