"""Signed notice PDFs: one notice, a batch of them, beside a bare reportlab page; a table or JSON.

    python benchmarks/notices.py [--count 50] [--warmup 3] [--batch 1000] [--processes 2] [--json]

Metrics (docs/PERFORMANCE.md, section "Notices", has the figures):

baseline_page_ms     bare reportlab canvas pages (A4) drawing the same text as the notice, page by page
                     and line by line, in the same CJK font (embedded subset): no layout, no QR, no
                     signatures
notice_ms            one 隐患整改通知书 of two hazards in its two parts (交被检查单位, 存根), as issuing
                     makes it: canonical JSON, the QR payload signed with the device key
                     (make_qr_payload), render_document, PAdES signature (sign_pdf) — the database
                     transaction is not included
notice_render_ms     the render_document part of notice_ms alone (QR drawn, content embedded)
notice_sign_ms       the sign_pdf part of notice_ms alone
notice_ratio         median notice_ms / median baseline_page_ms
notice25_ms          the same for a notice of 25 hazards (several pages per part)
batch_wall_s         wall time of --batch notices over a pool of --processes worker processes (each
                     loads the key and the font once; reportlab's font state is not thread-safe)
batch_notices_per_s  --batch / batch_wall_s
batch_notice_ms      median time per notice inside the workers during the batch
batch_processes      worker processes used

Single-notice figures are medians over --count runs after --warmup unmeasured ones, the baseline
page and the notice timed alternately; every notice has its own number (and so its own content
hash, QR and signature). The key is a fresh ECDSA P-256
device key in a scratch folder, as `parkinspect keys init` makes. The text of the baseline page is
the notice's own text as `pdftotext -layout` reads it (poppler-utils), else the content's values.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exports.notice_content import SCHEMA, canonical_json  # noqa: E402

UNITS = {"baseline_page_ms": "ms", "notice_ms": "ms", "notice_render_ms": "ms", "notice_sign_ms": "ms",
         "notice_ratio": "x", "notice25_ms": "ms", "batch_wall_s": "s", "batch_notices_per_s": "/s", "batch_notice_ms": "ms",
         "batch_processes": ""}
TARGETS = {"notice_ms": "<= 100", "notice_ratio": "<= 5", "notice25_ms": "<= 250", "batch_notice_ms": "<= 100"}


def notice_content(sequence: int, hazard_count: int = 2) -> dict:
    """A rectification notice of two hazards, numbered `sequence`; with
    `hazard_count` the two hazards repeated to that many."""
    hazards = [
        {"no": 1, "description": "安全出口被锁闭，疏散通道堆放纸箱等杂物", "location": "一层东侧安全出口",
         "severity": "major", "legal_basis": "《中华人民共和国消防法》第二十八条",
         "responsible": "王建国", "responsible_phone": "13857312345",
         "measures": "立即清除堆放物品，拆除安全出口锁具，保持疏散通道畅通", "funds_yuan": 0,
         "funds_reason": "清理整理物品，不产生费用", "deadline": "2026-12-10",
         "contingency_plan": "整改期间加强防火巡查，每日不少于两次，并在现场增配灭火器4具",
         "photos": [], "outcome": None},
        {"no": 2, "description": "灭火器压力不足，部分已过有效期", "location": "仓库", "severity": "general",
         "legal_basis": "《中华人民共和国消防法》第十六条", "responsible": "王建国",
         "responsible_phone": "13857312345", "measures": "更换过期灭火器，按规范重新配置",
         "funds_yuan": 1200, "funds_reason": None, "deadline": "2026-12-17",
         "contingency_plan": "更换前由相邻区域调配灭火器，专人值守", "photos": [], "outcome": None},
    ]
    return {
        "schema": SCHEMA, "kind": "rectification", "number": f"平经信安整〔2026〕A07-{sequence:04d}号",
        "revision": 1, "supersedes": None, "issued_at": "2026-11-26T10:15:00+08:00",
        "agency": {"name": "平湖市经济和信息化局", "short": "平经信安整",
                   "basis": ["《中华人民共和国消防法》第十六条、第二十八条", "《浙江省消防条例》"],
                   "reinspection_note": "整改期限届满后，我单位将组织复查。"},
        "addressee": {"name": "平湖市恒达精密机械有限公司", "credit_code": "91330482MA2BCDEF1X",
                      "address": "平湖市当湖街道 新华小微企业园 3号楼 201", "person_in_charge": "李明"},
        "park": {"code": "PH-001", "name": "新华小微企业园"},
        "inspection": {"date": "2026-11-26", "checklist": "消防安全检查表",
                       "inspectors": [{"name": "张伟", "id_number": "浙执3304820123"},
                                      {"name": "陈静", "id_number": "浙执3304820456"}]},
        "hazards": [dict(hazards[n % 2], no=n + 1) for n in range(hazard_count)], "deadline": "2026-12-17",
        "references": None, "results": None,
    }


# --- one notice ---------------------------------------------------------------------------------


def make_notice(content: dict, key) -> tuple[bytes, float, float]:
    """The signed PDF as issuing makes it (notices._finish); also the render and sign times in s."""
    from datetime import datetime

    from exports.notice_pdf import render_document
    from exports.signing import make_qr_payload, sign_pdf

    canonical = canonical_json(content)
    qr = make_qr_payload(content["number"], canonical, key, signed_at=datetime.fromisoformat(content["issued_at"]))
    start = time.perf_counter()
    unsigned = render_document(content, qr_payload=qr)
    rendered = time.perf_counter()
    signed = sign_pdf(unsigned, key)
    return signed, rendered - start, time.perf_counter() - rendered


def page_text(pdf: bytes, content: dict) -> list[list[str]]:
    """The notice's text, page by page and line by line, for the baseline pages."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, timeout=60)
        if done.returncode == 0:
            pages = done.stdout.decode("utf-8", "replace").split("\f")
            pages = [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]
            return [page for page in pages if page]
    lines: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif value not in (None, ""):
            lines.append(str(value))

    walk(content)
    return [lines, lines]  # the notice prints its content twice: one page per part


def baseline_page(pages: list[list[str]]) -> bytes:
    """Bare A4 canvas pages drawing `pages` of lines in the notices' font: the cost of reportlab itself."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from exports.fonts import pdf_font

    font = pdf_font().name
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1, initialFontName=font)
    for lines in pages:
        size = 9 if len(lines) <= 70 else 720 / len(lines)
        page.setFont(font, size)
        y = A4[1] - 50
        for line in lines:
            page.drawString(60, y, line)
            y -= size * 1.2
        page.showPage()
    page.save()
    return buffer.getvalue()


def pages(pdf: bytes) -> int:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


# --- the batch ----------------------------------------------------------------------------------

_worker_key = None


def _worker_init(keys_dir: str) -> None:
    global _worker_key
    from exports.fonts import pdf_font
    from exports.signing import load_device_key

    _worker_key = load_device_key(keys_dir)
    pdf_font()


def _worker_notice(sequence: int) -> tuple[int, float]:
    start = time.perf_counter()
    pdf, _, _ = make_notice(notice_content(sequence), _worker_key)
    return len(pdf), time.perf_counter() - start


def run_batch(keys_dir: Path, count: int, processes: int) -> tuple[float, list[float]]:
    context = multiprocessing.get_context("spawn" if sys.platform != "linux" else "fork")
    with context.Pool(processes, initializer=_worker_init, initargs=(str(keys_dir),)) as pool:
        pool.map(_worker_notice, range(1, processes + 1))  # workers up and warm before the clock starts
        start = time.perf_counter()
        results = pool.map(_worker_notice, range(1, count + 1), chunksize=max(1, count // (processes * 20)))
        wall = time.perf_counter() - start
    assert all(size > 0 for size, _ in results)
    return wall, [seconds for _, seconds in results]


# --- main ---------------------------------------------------------------------------------------


def measure(count: int, warmup: int, batch: int, processes: int) -> dict[str, float]:
    from exports.notice_pdf import read_embedded
    from exports.signing import TrustStore, create_device_key, load_device_key, verify_pdf

    with tempfile.TemporaryDirectory(prefix="parkinspect-bench-") as scratch:
        keys_dir = Path(scratch) / "keys"
        create_device_key(keys_dir, common_name="基准测试设备", device_id="bench")
        key = load_device_key(keys_dir)
        first, _, _ = make_notice(notice_content(1), key)
        check = verify_pdf(first, TrustStore.from_directory(keys_dir), read_embedded)
        if check.status != "authentic":
            raise SystemExit(f"the benchmark notice does not verify: {check.reason}")
        if pages(first) < 2:
            raise SystemExit(f"the benchmark notice has {pages(first)} page, not two parts")
        lines = page_text(first, notice_content(1))
        for _ in range(warmup):
            baseline_page(lines)
            make_notice(notice_content(1), key)
        baseline, totals, renders, signs = [], [], [], []
        for sequence in range(1, count + 1):
            # interleaved, so that both see the same load on a shared machine ("in the same run")
            baseline.append(timed(baseline_page, lines))
            start = time.perf_counter()
            _, render, sign = make_notice(notice_content(sequence), key)
            totals.append(time.perf_counter() - start)
            renders.append(render)
            signs.append(sign)
        results = {
            "baseline_page_ms": statistics.median(baseline) * 1000,
            "notice_ms": statistics.median(totals) * 1000,
            "notice_render_ms": statistics.median(renders) * 1000,
            "notice_sign_ms": statistics.median(signs) * 1000,
        }
        results["notice_ratio"] = results["notice_ms"] / results["baseline_page_ms"]
        long_times = []
        for sequence in range(1, max(2, count // 5) + 1):
            start = time.perf_counter()
            make_notice(notice_content(sequence, hazard_count=25), key)
            long_times.append(time.perf_counter() - start)
        results["notice25_ms"] = statistics.median(long_times) * 1000
        if batch > 0:
            wall, per_notice = run_batch(keys_dir, batch, processes)
            results.update(batch_wall_s=wall, batch_notices_per_s=batch / wall,
                           batch_notice_ms=statistics.median(per_notice) * 1000, batch_processes=processes)
    return results


def table(results: dict[str, float], args) -> str:
    lines = [f"Notices: median of {args.count} after {args.warmup} warm-up; batch of {args.batch} "
             f"over {args.processes} processes ({os.cpu_count()} CPUs)",
             f"{'metric':<22}{'value':>12}  unit  target"]
    for name, value in results.items():
        shown = f"{value:.0f}" if name == "batch_processes" else f"{value:.2f}"
        lines.append(f"{name:<22}{shown:>12}  {UNITS[name]:<4}  {TARGETS.get(name, '')}".rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="single notices timed (median)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured runs first")
    parser.add_argument("--batch", type=int, default=1000, help="notices in the batch (0: no batch)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes for the batch")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.count < 1 or args.warmup < 0 or args.batch < 0 or args.processes < 1:
        parser.error("--count and --processes must be at least 1; --warmup and --batch not negative")
    results = measure(args.count, args.warmup, args.batch, args.processes)
    print(json.dumps({k: round(v, 3) for k, v in results.items()}) if args.json else table(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
