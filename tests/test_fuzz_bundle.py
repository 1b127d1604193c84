"""Fuzz: `sync import-bundle` (issue 8, item 2) with a real exported bundle, damaged.

Damage at the byte level (cut, bytes flipped: the zip or a hash check must catch it), at the member
level (dropped, added, replaced) and inside changes.jsonl with the manifest's hashes and counts
made to match again — a change with a field removed, a value of the wrong type, a date that is
not one — which only the format checks and the merge can refuse. Every import ends in a summary or
a UserError with a message in both languages; a refusal writes nothing (every table and the
photo folder compared before and after); never another exception, never a hang.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.errors import UserError
from forms.i18n import catalogue
from inspect_app.cli import main
from inspect_app.sync.bundle import CHANGES, MANIFEST, export_bundle, import_bundle
from tests.fuzz import fresh_store, fuzz_settings, time_limit
from tests.sync_fixtures import Devices
from tests.test_sync_bundle import make_office, office, stored_files  # noqa: F401 - fixtures


@pytest.fixture
def exported(office, tmp_path):  # noqa: F811
    a, b = office
    path = tmp_path / "a.bundle.zip"
    export_bundle(a, path)
    return b, path.read_bytes()


def members_of(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as source:
        return {name: source.read(name) for name in source.namelist()}


def zipped(members: dict[str, bytes], *, rehash: bool) -> bytes:
    """A bundle of these members; with `rehash`, a manifest whose hashes and counts match them."""
    try:
        manifest = json.loads(members[MANIFEST]) if rehash else None
    except (KeyError, ValueError):  # the manifest itself was dropped or replaced
        manifest = None
    if isinstance(manifest, dict):
        files = {n: d for n, d in members.items() if n != MANIFEST}
        manifest["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
        lines = [line for line in files.get(CHANGES, b"").decode("utf-8", "replace").splitlines() if line.strip()]
        manifest["counts"] = {"changes": len(lines), "attachments": len(files) - (CHANGES in files)}
        members = {**members, MANIFEST: json.dumps(manifest).encode()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


json_value = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(10**20, 10**30), st.floats(),
                       st.text(max_size=20), st.lists(st.integers(), max_size=3),
                       st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
                       st.sampled_from(["2026-13-45", "not a date", "", "0" * 40, "tenant", "insert", "update",
                                        "1764150000000.00003.ffff", {"base64": "!!"}]))


@st.composite
def damaged_bundle(draw, original: bytes) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "drop", "add", "replace", "change", "change"]))
    if how == "truncate":
        return original[: draw(st.integers(0, len(original) - 1))]
    if how == "flip":
        data = bytearray(original)
        for at in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=4)):
            data[at] ^= draw(st.integers(1, 255))
        return bytes(data)
    members = members_of(original)
    rehash = draw(st.booleans())
    name = draw(st.sampled_from(sorted(members)))
    if how == "drop":
        del members[name]
    elif how == "add":
        members[draw(st.sampled_from(["attachments/" + "0" * 64 + ".png", "extra.txt", "../evil"]))] = draw(
            st.binary(max_size=50))
    elif how == "replace":
        members[name] = draw(st.binary(max_size=200))
    else:  # one change of changes.jsonl altered, the file still JSON lines
        lines = members[CHANGES].decode("utf-8").splitlines()
        at = draw(st.integers(0, len(lines) - 1))
        change = json.loads(lines[at])
        target = change["payload"] if draw(st.booleans()) and change["payload"] else change
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.integers(0, 3)) == 0:
            del target[key]
        else:
            target[key] = draw(json_value)
        lines[at] = json.dumps(change, ensure_ascii=False)
        members[CHANGES] = "\n".join(lines).encode("utf-8")
        rehash = True
    return zipped(members, rehash=rehash)


def state(store) -> tuple[dict[str, int], list[str]]:
    with sqlite3.connect(store.path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
    return counts, stored_files(store)


def run_import(store, path: Path, content: bytes) -> None:
    path.write_bytes(content)
    before = state(store)
    try:
        with time_limit(20):
            import_bundle(store, path)
    except UserError as error:
        for lang in ("zh_CN", "en"):
            assert error.key in catalogue(lang) and error.message(lang)
        assert state(store) == before


@pytest.fixture(scope="module")
def exported_once(tmp_path_factory) -> tuple[Path, bytes]:
    """`exported` made once for the module: device B's closed file (to copy per input) and A's bundle."""
    folder = tmp_path_factory.mktemp("office")
    devices = Devices(folder)
    try:
        a, b = make_office(devices, folder)
        export_bundle(a, folder / "a.bundle.zip")
        return b.path, (folder / "a.bundle.zip").read_bytes()
    finally:
        devices.close()


@fuzz_settings(40)
@given(data=st.data())
def test_a_damaged_bundle_is_refused_whole_or_imported(exported_once, tmp_path_factory, data):
    """Each input is imported into its own copy of device B: one that imported (a change altered
    into another valid one) never leaves B holding rows the next input would find."""
    b_file, original = exported_once
    folder = tmp_path_factory.mktemp("input")
    with fresh_store(b_file, folder / "b") as b:
        assert stored_files(b) == []  # B starts with no photos: the copy lacks none
        run_import(b, folder / "damaged.zip", data.draw(damaged_bundle(original)))


def test_the_undamaged_bundle_imports(exported, tmp_path):
    b, original = exported
    (tmp_path / "good.zip").write_bytes(original)
    summary = import_bundle(b, tmp_path / "good.zip")
    assert summary.result.applied and summary.attachments_added == 1


@pytest.mark.parametrize("how", ["cut", "flipped", "jsonl-garbage"])
def test_the_cli_refuses_a_damaged_bundle_with_exit_2_and_a_message(exported, tmp_path, capsys, how):
    b, original = exported
    if how == "cut":
        content = original[: len(original) // 2]
    elif how == "flipped":
        content = original[:40] + bytes([original[40] ^ 0xFF]) + original[41:]
    else:
        content = zipped({**members_of(original), CHANGES: b"{not json\n"}, rehash=True)
    path = tmp_path / "damaged.zip"
    path.write_bytes(content)
    before = state(b)
    code = main(["--db", str(b.path), "sync", "import-bundle", str(path)])
    out = capsys.readouterr()
    assert code == 2 and (out.out + out.err).strip() and "Traceback" not in out.out + out.err
    assert state(b) == before



def _with_first_change(original: bytes, alter) -> bytes:
    members = members_of(original)
    lines = members[CHANGES].decode("utf-8").splitlines()
    change = json.loads(lines[0])
    alter(change)
    members[CHANGES] = "\n".join([json.dumps(change, ensure_ascii=False), *lines[1:]]).encode("utf-8")
    return zipped(members, rehash=True)


@pytest.mark.parametrize("alter", [
    lambda c: c.update(hlc=None),  # AttributeError in the clock parser
    lambda c: c["payload"].update(name=["a", "list"]),  # sqlite3.ProgrammingError halfway through the page
    lambda c: c["payload"].update(created_at="not a date"),  # ValueError in the decoder
    lambda c: c["payload"].update(land_area_mu=10**30),  # OverflowError: past SQLite's 64-bit integers
    lambda c: c.update(device_seq=2**63),  # found by the long run: OverflowError storing the inbox row
    lambda c: c.update(device_seq=float("1e400")),  # int(inf): OverflowError in the format check
], ids=["hlc-null", "list-for-text", "word-for-datetime", "int-past-64-bits", "seq-past-64-bits", "seq-inf"])
def test_found_by_the_fuzzer_a_change_of_the_wrong_shape_refuses_the_bundle(exported, tmp_path, alter):
    b, original = exported
    path = tmp_path / "bad.zip"
    path.write_bytes(_with_first_change(original, alter))
    before = state(b)
    with pytest.raises(UserError) as refused:
        import_bundle(b, path)
    assert refused.value.key == "sync.bundle_corrupt"
    assert state(b) == before


def test_found_by_the_fuzzer_a_corrupt_deflate_stream_is_unreadable_not_a_zlib_error(exported, tmp_path):
    b, original = exported
    with zipfile.ZipFile(io.BytesIO(original)) as source:
        info = source.getinfo(CHANGES)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(original)
    data[start] = 0xFF  # the first deflate block header: "invalid block type"
    path = tmp_path / "bad.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(UserError) as refused:
        import_bundle(b, path)
    assert refused.value.key == "sync.bundle_unreadable"


def test_found_by_the_long_run_a_header_naming_an_unknown_zip_version_is_unreadable(exported, tmp_path):
    """zipfile raises NotImplementedError ("zip file version 8.4") for it."""
    b, original = exported
    data = bytearray(original)
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 84  # "version needed to extract" of the first member
    path = tmp_path / "bad.zip"
    path.write_bytes(bytes(data))
    before = state(b)
    with pytest.raises(UserError) as refused:
        import_bundle(b, path)
    assert refused.value.key == "sync.bundle_unreadable"
    assert state(b) == before
