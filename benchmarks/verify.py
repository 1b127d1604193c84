"""`parkinspect verify FILE.pdf` as an office runs it: a fresh process, the agency root trusted, no database.

    python benchmarks/verify.py [--count 10] [--json]

Metrics (docs/PERFORMANCE.md, section "Verifying a notice", has the figures):

verify_cli_ms     wall time of `python -m inspect_app verify FILE.pdf` in a new process (start-up,
                  imports, reading the keys folder, verifying, printing), median over --count runs;
                  the notice is signed by a device certificate the agency root issued, the chain is
                  embedded, the root is in the scratch keys folder's trusted/, a CRL of the root is
                  in revoked/
verify_cli_cpu_ms the CPU time (user + system) of that process, median: what the wall time comes to
                  on an idle machine; on a loaded one (other jobs on the same cores) wall time grows
verify_pdf_ms     verify_pdf alone in this process (warm), median over --count runs
startup_ms        `python -m inspect_app --help` in a new process, for comparison
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNITS = {"verify_cli_ms": "ms", "verify_cli_cpu_ms": "ms", "verify_pdf_ms": "ms", "startup_ms": "ms"}
TARGETS = {"verify_cli_ms": "<= 300", "verify_cli_cpu_ms": "<= 300"}


def agency_notice(folder: Path) -> tuple[Path, Path]:
    """(keys folder of an office that trusts the root, a genuine notice PDF), as tests/test_signing_chain.py makes them."""
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives import serialization

    from benchmarks.notices import notice_content
    from exports.notice_content import canonical_json
    from exports.notice_pdf import render_document
    from exports.signing import load_device_key, make_qr_payload, sign_pdf
    from tests.test_signing_chain import enrolled_keys, make_crl, make_root

    root_key, root_cert = make_root()
    device = enrolled_keys(folder / "device", root_key, root_cert)
    content = notice_content(1)
    content["issued_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    key = load_device_key(device)
    canonical = canonical_json(content)
    qr = make_qr_payload(content["number"], canonical, key, signed_at=datetime.fromisoformat(content["issued_at"]))
    pdf = folder / "notice.pdf"
    pdf.write_bytes(sign_pdf(render_document(content, qr_payload=qr), key))
    office = folder / "office"
    (office / "trusted").mkdir(parents=True)
    (office / "trusted" / "agency.pem").write_bytes(root_cert.public_bytes(serialization.Encoding.PEM))
    (office / "revoked").mkdir()
    other = 12345  # a CRL that lists another device: read and checked on every run
    (office / "revoked" / "agency.crl").write_bytes(make_crl(root_key, root_cert, other, datetime.now(UTC)))
    return office, pdf


def timed_process(argv: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run that must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0,):
        raise SystemExit(f"{argv} exited {done.returncode}: {done.stdout.decode()} {done.stderr.decode()}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(count: int) -> dict[str, float]:
    from exports.signing import TrustStore, verify_pdf

    with tempfile.TemporaryDirectory(prefix="parkinspect-verify-") as scratch:
        office, pdf = agency_notice(Path(scratch))
        env = {**os.environ, "PARKINSPECT_KEYS_DIR": str(office), "PYTHONPATH": str(ROOT),
               "PARKINSPECT_DB": str(Path(scratch) / "none.db"), "XDG_CONFIG_HOME": str(Path(scratch) / "config")}
        command = [sys.executable, "-m", "inspect_app"]
        timed_process([*command, "verify", str(pdf)], env)  # warm the OS file cache
        cli = [timed_process([*command, "verify", str(pdf)], env) for _ in range(count)]
        startup = [timed_process([*command, "--help"], env)[0] for _ in range(count)]
        data, trust = pdf.read_bytes(), TrustStore.from_directory(office)
        if verify_pdf(data, trust).status != "authentic":
            raise SystemExit("the benchmark notice does not verify")
        warm = []
        for _ in range(count):
            start = time.perf_counter()
            verify_pdf(data, trust)
            warm.append(time.perf_counter() - start)
    return {"verify_cli_ms": statistics.median(wall for wall, _ in cli) * 1000,
            "verify_cli_cpu_ms": statistics.median(cpu for _, cpu in cli) * 1000,
            "verify_pdf_ms": statistics.median(warm) * 1000, "startup_ms": statistics.median(startup) * 1000}


def table(results: dict[str, float], args) -> str:
    lines = [f"Verify: median of {args.count} ({os.cpu_count()} CPUs)", f"{'metric':<16}{'value':>10}  unit  target"]
    for name, value in results.items():
        lines.append(f"{name:<18}{value:>10.1f}  {UNITS[name]:<4}  {TARGETS.get(name, '')}".rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="runs timed (median)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    results = measure(args.count)
    print(json.dumps({k: round(v, 1) for k, v in results.items()}) if args.json else table(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
