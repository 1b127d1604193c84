"""`parkinspect check`, `backup` and `ledger export` run in-process: exit codes and what people read."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from db.models import Notice
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services.ledger import save_tenant
from tests.conftest import tenant_values

NOTICE_NUMBER = "平经信安整〔2026〕A07-0001号"


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):
    """No settings from the machine running the tests: no config file, env language or log dir."""
    monkeypatch.delenv("PARKINSPECT_DB", raising=False)
    monkeypatch.delenv("PARKINSPECT_LANG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def run(capsys, db_path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_tenants(store, park, numbers) -> list[str]:
    return [
        save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n))).id
        for n in numbers
    ]


def add_notice(store, park) -> None:
    content = json.dumps({"number": NOTICE_NUMBER, "hazards": ["疏散通道堵塞"]}, ensure_ascii=False)
    pdf = b"%PDF-1.7 stand-in"
    with store.transaction() as session:
        session.add(
            Notice(number=NOTICE_NUMBER, kind="rectification", park_id=park.id, device_block="A07", year=2026,
                   sequence=1, content_json=content, content_sha256=_sha256(content.encode("utf-8")), pdf=pdf,
                   pdf_sha256=_sha256(pdf))
        )  # fmt: skip


def raw_sql(db_path: Path, sql: str, *params) -> None:
    """A write around the app (as a person with a SQLite tool could do)."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def rows(db_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --- check ------------------------------------------------------------------------------------


def test_check_passes_on_a_good_database(store, park, db_path, capsys):
    add_tenants(store, park, [1, 2])
    add_notice(store, park)
    code, out, _ = run(capsys, db_path, "check")
    assert code == 0
    assert "数据库检查通过" in out
    assert "园区 1 个，企业 2 家" in out and "通知书 1 份" in out


def test_check_json_is_one_object(store, park, db_path, capsys):
    add_tenants(store, park, [1])
    code, out, _ = run(capsys, db_path, "check", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    assert report["counts"]["parks"] == 1 and report["counts"]["tenants"] == 1
    assert report["counts"]["changes"] > 0


def test_check_names_a_notice_whose_content_was_altered(store, park, db_path, capsys):
    add_notice(store, park)
    raw_sql(db_path, "UPDATE notice SET content_sha256 = ? WHERE number = ?", "0" * 64, NOTICE_NUMBER)
    code, out, _ = run(capsys, db_path, "check")
    assert code == 1
    assert "数据库检查发现问题" in out
    assert NOTICE_NUMBER in out


def test_check_names_a_notice_whose_pdf_was_altered(store, park, db_path, capsys):
    add_notice(store, park)
    raw_sql(db_path, "UPDATE notice SET pdf = ? WHERE number = ?", b"%PDF-1.7 forged", NOTICE_NUMBER)
    code, out, _ = run(capsys, db_path, "--lang", "en", "check")
    assert code == 1
    assert f"Notice {NOTICE_NUMBER}: the PDF" in out


def test_check_finds_a_tenant_written_around_the_change_log(store, park, db_path, capsys):
    tenant_id, _ = add_tenants(store, park, [1, 2])
    raw_sql(db_path, "DELETE FROM change_log WHERE table_name = 'tenant' AND row_id = ?", tenant_id)
    code, out, _ = run(capsys, db_path, "check")
    assert code == 1
    assert "平湖测试精密机械有限公司1" in out and "平湖测试精密机械有限公司2" not in out


def test_check_finds_a_dangling_reference(store, park, db_path, capsys):
    add_tenants(store, park, [1])
    conn = sqlite3.connect(db_path)  # foreign keys are off in a plain connection
    conn.execute("UPDATE tenant SET park_id = 'no-such-park'")
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, db_path, "check")
    assert code == 1 and "park" in out


def test_check_reports_a_file_that_is_not_a_database(tmp_path, capsys):
    bogus = tmp_path / "notes.db"
    bogus.write_bytes("这不是数据库".encode() * 200)
    code, out, _ = run(capsys, bogus, "check")
    assert code == 1 and "无法读取数据库文件" in out


def test_check_does_not_change_the_file(store, park, db_path, capsys):
    add_tenants(store, park, [1])
    store.close()  # everything checkpointed into the main file
    before = (db_path.read_bytes(), db_path.stat().st_mtime_ns)
    assert run(capsys, db_path, "check")[0] == 0
    assert (db_path.read_bytes(), db_path.stat().st_mtime_ns) == before


def test_check_of_a_missing_file_is_bad_input(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "nowhere.db", "check")
    assert code == 2 and "数据库文件不存在" in err
    assert not (tmp_path / "nowhere.db").exists()


# --- backup -----------------------------------------------------------------------------------


def test_backup_copy_holds_the_same_rows(store, park, db_path, tmp_path, capsys):
    add_tenants(store, park, [1, 2, 3])
    target = tmp_path / "copies" / "backup.db"
    code, out, _ = run(capsys, db_path, "backup", str(target))
    assert code == 0 and str(target) in out
    query = "SELECT id, name, credit_code, hlc FROM tenant ORDER BY id"
    assert rows(target, query) == rows(db_path, query)
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert rows(target, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file


def test_backup_refuses_to_overwrite_without_force(store, park, db_path, tmp_path, capsys):
    add_tenants(store, park, [1])
    target = tmp_path / "backup.db"
    target.write_bytes(b"yesterday's backup")
    code, _, err = run(capsys, db_path, "backup", str(target))
    assert code == 2 and "--force" in err
    assert target.read_bytes() == b"yesterday's backup"
    assert run(capsys, db_path, "backup", str(target), "--force")[0] == 0
    assert rows(target, "SELECT count(*) FROM tenant") == [(1,)]


def test_backup_while_tenants_are_written_is_a_consistent_prefix(store, park, db_path, tmp_path, capsys):
    """Another connection keeps saving tenants; the copy holds exactly the first k of them, each logged."""
    written: list[str] = []
    stop = threading.Event()
    enough_before_backup = threading.Event()

    def keep_writing() -> None:
        n = 1
        while not stop.is_set():
            written.extend(add_tenants(store, park, [n]))
            n += 1
            if n > 20:
                enough_before_backup.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert enough_before_backup.wait(timeout=30)
        target = tmp_path / "live-backup.db"
        code, _, _ = run(capsys, db_path, "backup", str(target))
        written_at_end_of_backup = len(written)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert code == 0
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    copied = [row[0] for row in rows(target, "SELECT id FROM tenant")]
    assert 20 <= len(copied) <= written_at_end_of_backup
    assert sorted(copied) == sorted(written[: len(copied)])
    unlogged = rows(target, "SELECT id FROM tenant AS t WHERE NOT EXISTS (SELECT 1 FROM change_log AS c "
                            "WHERE c.table_name = 'tenant' AND c.row_id = t.id AND c.op = 'insert')")  # fmt: skip
    assert unlogged == []
    assert run(capsys, target, "check")[0] == 0


# --- ledger export ----------------------------------------------------------------------------


def test_ledger_export_writes_the_file_and_says_how_many_rows(store, park, db_path, tmp_path, capsys):
    add_tenants(store, park, [1, 2])
    target = tmp_path / "台账.xlsx"
    code, out, _ = run(capsys, db_path, "ledger", "export", "-o", str(target), "--park", "PH-001")
    assert code == 0 and target.exists()
    assert "已导出 2 行" in out


def test_ledger_export_refuses_an_unknown_suffix(store, park, db_path, tmp_path, capsys):
    target = tmp_path / "ledger.ods"
    code, _, err = run(capsys, db_path, "ledger", "export", "-o", str(target))
    assert code == 2 and ".ods" in err
    assert not target.exists()


def test_ledger_export_refuses_an_unknown_park(store, park, db_path, tmp_path, capsys):
    target = tmp_path / "ledger.csv"
    code, _, err = run(capsys, db_path, "ledger", "export", "-o", str(target), "--park", "XX-404")
    assert code == 2 and "XX-404" in err
    assert not target.exists()


# --- language ---------------------------------------------------------------------------------


def test_messages_are_english_with_lang_en(store, park, db_path, tmp_path, capsys):
    add_tenants(store, park, [1])
    code, out, _ = run(capsys, db_path, "--lang", "en", "check")
    assert code == 0 and "Database check passed" in out and "1 tenants" in out
    code, _, err = run(capsys, db_path, "--lang", "en", "ledger", "export", "-o", str(tmp_path / "x.txt"))
    assert code == 2 and "Unsupported file type .txt" in err
    target = tmp_path / "b.db"
    target.write_bytes(b"x")
    code, _, err = run(capsys, db_path, "--lang", "en", "backup", str(target))
    assert code == 2 and "already exists" in err


def test_unknown_park_message_is_english_with_lang_en(store, park, db_path, tmp_path, capsys):
    code, _, err = run(capsys, db_path, "--lang", "en", "ledger", "export", "-o", str(tmp_path / "x.csv"),
                       "--park", "XX-404")  # fmt: skip
    assert code == 2 and "No park has the code XX-404" in err
