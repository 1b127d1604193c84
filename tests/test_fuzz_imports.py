"""Fuzz: the ledger and quarterly importers (issue 8, item 2).

Inputs are the shipped sample ledger (and a small quarterly workbook) damaged every way a file gets
damaged — cut short, bytes flipped, zip members dropped, replaced or filled with junk — and random
CSV text in random encodings. Every input ends in an import report or a UserError with a message in
both languages; a refusal writes nothing (every table counted before and after); nothing raises
anything else or runs past its time limit. Through the CLI: exit 2 and a message, no traceback.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from db.errors import UserError
from db.store import Store
from forms.i18n import catalogue
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services.ledger import save_tenant
from inspect_app.services.ledger_import import import_ledger
from inspect_app.services.quarterly_import import import_quarterly
from tests.conftest import add_park, tenant_values
from tests.fuzz import fresh_store, fuzz_settings, time_limit

SAMPLE = Path(__file__).with_name("data") / "ledger-sample.xlsx"
SAMPLE_BYTES = SAMPLE.read_bytes()
SECONDS = 20  # one import of a small damaged file; far more than a good one takes
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "big5", "shift_jis", "latin-1", "cp1252"]
LEDGER_WORDS = ["企业名称", "统一社会信用代码", "联系人", "联系电话", "楼栋", "租赁面积", "从业人数", "企业规模",
                "用途", "风险点", "租期起", "租期止", "规上", "规下", "生产", "仓储", "1200", "35", "2026-01-01",
                "13812345678", "合计", "=SUM(A1)", "'=1+1", "", " ", "\n", '"', ",", "\r\n"]
QUARTERLY_WORDS = ["企业名称", "信用代码", "季度", "产值（万元）", "用电量", "用水", "纳税额", "主要困难", "2026Q3",
                   "三季度", "1,200", "35万元", "-5", "1e400", "—", "年度", "9" * 5000]


def quarterly_workbook(names: list[str]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["企业名称", "季度", "产值（万元）", "用电量(kWh)", "用水(吨)", "纳税额（万元）", "主要困难"])
    for n, name in enumerate(names):
        sheet.append([name, "2026Q3", 100 + n, 12000, 300, 5, "招工难"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


QUARTERLY_BYTES = quarterly_workbook([tenant_values(n)["name"] for n in (1, 2)])


# --- damaged files ---------------------------------------------------------------------------------


def _rezip(original: bytes, members: dict[str, bytes | None]) -> bytes:
    """The workbook with some members replaced (bytes) or dropped (None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = members.get(info.filename, source.read(info.filename))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in members.items():
            if content is not None and name not in source.namelist():
                target.writestr(name, content)
    return out.getvalue()


@st.composite
def damaged_xlsx(draw, original: bytes) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "member", "junk"]))
    if how == "truncate":
        return original[: draw(st.integers(0, len(original) - 1))]
    if how == "flip":
        data = bytearray(original)
        for at in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8)):
            data[at] ^= draw(st.integers(1, 255))
        return bytes(data)
    with zipfile.ZipFile(io.BytesIO(original)) as book:
        names = book.namelist()
        name = draw(st.sampled_from([*names, "xl/worksheets/sheet2.xml"]))
        content = book.read(name) if name in names else b""
    if how == "member":  # the member dropped, cut short or with an XML byte changed
        change = draw(st.sampled_from(["drop", "cut", "byte"]))
        if change == "drop":
            return _rezip(original, {name: None})
        if change == "cut":
            return _rezip(original, {name: content[: draw(st.integers(0, max(0, len(content) - 1)))]})
        if not content:
            return _rezip(original, {name: b"<"})
        at = draw(st.integers(0, len(content) - 1))
        return _rezip(original, {name: content[:at] + draw(st.sampled_from([b"<", b">", b"&", b"\x00", b"\"", b"9"]))
                                 + content[at + 1:]})
    return _rezip(original, {name: draw(st.binary(max_size=300))})


@st.composite
def random_csv(draw, words: list[str]) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=600))
    cell = st.one_of(st.sampled_from(words), st.text(max_size=12))
    rows = draw(st.lists(st.lists(cell, max_size=12), max_size=15))
    text = "\n".join(",".join(row) for row in rows)
    return text.encode(draw(st.sampled_from(ENCODINGS)), "replace")


# --- checking one import ---------------------------------------------------------------------------


def table_counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}


def assert_translated(error: UserError) -> None:
    for lang in ("zh_CN", "en"):
        assert error.key in catalogue(lang), error.key
        assert error.message(lang)


def run_import(function, store, db_path: Path, path: Path, content: bytes, **options) -> None:
    path.write_bytes(content)
    before = table_counts(db_path)
    try:
        with time_limit(SECONDS):
            report = function(store, path, **options)
    except UserError as error:
        assert_translated(error)
        assert table_counts(db_path) == before
        return
    if not report.written:
        assert table_counts(db_path) == before
    for problem in report.problems:
        assert problem.reason


@pytest.fixture
def tenants(store, park):
    return [save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n))) for n in (1, 2)]


def _template(folder: Path, migrated_file: Path, tenants: int) -> Path:
    """The park PH-001 with `tenants` tenants (those of the `tenants` fixture), as a file to copy."""
    path = folder / "template.db"
    shutil.copyfile(migrated_file, path)
    store = Store.open(path)
    try:
        park = add_park(store)
        for n in range(1, tenants + 1):
            save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def park_template(tmp_path_factory, migrated_file) -> Path:
    return _template(tmp_path_factory.mktemp("park"), migrated_file, 0)


@pytest.fixture(scope="module")
def tenants_template(tmp_path_factory, migrated_file) -> Path:
    return _template(tmp_path_factory.mktemp("tenants"), migrated_file, 2)


def import_fresh(function, template: Path, tmp_path_factory, name: str, content: bytes, **options) -> None:
    """One input imported into its own copy of the template: what an earlier input wrote (a report
    that imported some rows) never changes what this one finds, and "wrote nothing" is about it alone."""
    folder = tmp_path_factory.mktemp("input")
    with fresh_store(template, folder / "db") as store:
        run_import(function, store, store.path, folder / name, content, **options)


@fuzz_settings(40)
@given(content=damaged_xlsx(SAMPLE_BYTES))
@example(content=SAMPLE_BYTES[:5000])
@example(content=_rezip(SAMPLE_BYTES, {"xl/workbook.xml": None}))
def test_a_damaged_ledger_workbook_is_reported_or_refused(park_template, tmp_path_factory, content):
    import_fresh(import_ledger, park_template, tmp_path_factory, "ledger.xlsx", content)


@fuzz_settings(40)
@given(content=random_csv(LEDGER_WORDS))
@example(content=b"\xff\xfe\x00")
@example(content="企业名称,统一社会信用代码\n\"unclosed,1".encode())
def test_random_ledger_csv_in_any_encoding_is_reported_or_refused(park_template, tmp_path_factory, content):
    import_fresh(import_ledger, park_template, tmp_path_factory, "ledger.csv", content)


@fuzz_settings(30)
@given(content=damaged_xlsx(QUARTERLY_BYTES))
def test_a_damaged_quarterly_workbook_is_reported_or_refused(tenants_template, tmp_path_factory, content):
    import_fresh(import_quarterly, tenants_template, tmp_path_factory, "quarterly.xlsx", content,
                 park_code="PH-001")


@fuzz_settings(30)
@given(content=random_csv(QUARTERLY_WORDS))
def test_random_quarterly_csv_is_reported_or_refused(tenants_template, tmp_path_factory, content):
    import_fresh(import_quarterly, tenants_template, tmp_path_factory, "quarterly.csv", content, park_code="PH-001")


def test_the_undamaged_files_still_import(store, tenants, db_path, tmp_path):
    """The fuzzers' starting points are good files: what they refuse is the damage."""
    (tmp_path / "q.xlsx").write_bytes(QUARTERLY_BYTES)
    assert import_quarterly(store, tmp_path / "q.xlsx", park_code="PH-001").written
    (tmp_path / "l.xlsx").write_bytes(SAMPLE_BYTES)
    report = import_ledger(store, tmp_path / "l.xlsx", skip_invalid=True)
    assert report.written and report.problems


@pytest.mark.parametrize("content", [
    SAMPLE_BYTES[:-22], b"PK\x03\x04" + b"\x00" * 100,
    _rezip(SAMPLE_BYTES, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c r='A1' t='s'><v>99"}),
], ids=["no-end-record", "zip-header-only", "sheet-xml-cut"])
@pytest.mark.parametrize("command", [["ledger", "import"], ["quarterly", "import", "--park", "PH-001"]])
def test_the_cli_exits_2_with_a_message_on_a_damaged_file(store, park, db_path, tmp_path, capsys, content, command):
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(content)
    before = table_counts(db_path)
    code = main(["--db", str(db_path), *command[:2], str(path), *command[2:]])
    out = capsys.readouterr()
    assert code == 2
    assert (out.err + out.out).strip() and "Traceback" not in out.err + out.out
    assert table_counts(db_path) == before


def test_a_year_cell_of_5000_digits_is_a_refused_value_not_a_crash(store, tenants, db_path, tmp_path):
    """Found by the fuzzer: int() of a year of over 4300 digits raised ValueError out of the import."""
    path = tmp_path / "q.csv"
    path.write_text(f"企业名称,年度,季度,产值（万元）\n{tenants[0].name},{'9' * 5000},3,100\n", encoding="utf-8")
    before = table_counts(db_path)
    report = import_quarterly(store, path, park_code="PH-001")
    assert [p.kind for p in report.problems] == ["year_range"] and not report.written
    assert table_counts(db_path) == before


def test_a_workbook_whose_content_types_name_no_workbook_is_unreadable_not_an_oserror(store, tenants, db_path,
                                                                                      tmp_path):
    """Found by the long fuzz run: openpyxl raises OSError("File contains no valid workbook part")
    for a content problem; read_rows let every OSError through as if the disk had failed."""
    with zipfile.ZipFile(io.BytesIO(QUARTERLY_BYTES)) as book:
        types = book.read("[Content_Types].xml")
    broken = _rezip(QUARTERLY_BYTES, {"[Content_Types].xml": types.replace(b"sheet.main+xml", b"sheet.mainXxml")})
    for function, options in ((import_quarterly, {"park_code": "PH-001"}), (import_ledger, {})):
        path = tmp_path / "broken.xlsx"
        path.write_bytes(broken)
        before = table_counts(db_path)
        with pytest.raises(UserError) as refused:
            function(store, path, **options)
        assert refused.value.key == "import.unreadable_xlsx"
        assert table_counts(db_path) == before
