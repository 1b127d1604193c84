"""Checklist templates: the shipped files, every refusal with its file/line/field, local overrides, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.checklist import (
    BUILTIN_DIR,
    LEDGER_FIELDS,
    TEMPLATES_DIR_ENV,
    TemplateError,
    builtin_templates,
    find_template,
    load_template_file,
    load_templates,
    parse_template,
    version_key,
)
from forms.i18n import set_language
from inspect_app.cli import main

FIRE_SAFETY = BUILTIN_DIR / "fire_safety.toml"
FIRE_TEXT = FIRE_SAFETY.read_text(encoding="utf-8")
# domain.md, "Fire-safety checklist": the codes in order, and the items marked M (may be major)
DOMAIN_CODES = [
    f"{letter}{n:02d}"
    for letter, count in zip("ABCDEF", (5, 5, 6, 5, 5, 5), strict=True)
    for n in range(1, count + 1)
]
DOMAIN_MAJOR = {"A01", "A03", "A05", "B01", "C03", "C04", "E02", "E05"}


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):
    """No settings or local templates from the machine running the tests."""
    monkeypatch.delenv(TEMPLATES_DIR_ENV, raising=False)
    monkeypatch.delenv("PARKINSPECT_LANG", raising=False)
    monkeypatch.delenv("PARKINSPECT_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


# --- small factories ---------------------------------------------------------------------------


def line_of(text: str, start: str, occurrence: int = 1) -> int:
    """1-based number of the `occurrence`-th line that starts with `start`."""
    found = [n for n, line in enumerate(text.split("\n"), start=1) if line.startswith(start)]
    return found[occurrence - 1]


def item_key_line(text: str, item: int, key: str) -> int:
    """The line of `key =` inside the item-th [[items]] block (counted from 1)."""
    header = line_of(text, "[[items]]", item)
    lines = text.split("\n")
    for n in range(header + 1, len(lines) + 1):
        if lines[n - 1].startswith(f"{key} ="):
            return n
    raise AssertionError(key)


def replace_in_item(text: str, item: int, key: str, new_line: str) -> str:
    lines = text.split("\n")
    lines[item_key_line(text, item, key) - 1] = new_line
    return "\n".join(lines)


def problems_of(data: str | bytes, file: str = "t.toml") -> list:
    with pytest.raises(TemplateError) as caught:
        parse_template(data.encode("utf-8") if isinstance(data, str) else data, file)
    return caught.value.problems


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def new_version(text: str, version: str, title_zh: str | None = None) -> str:
    text = text.replace('version = "2026.1"', f'version = "{version}"', 1)
    if title_zh:
        text = text.replace('title_zh = "消防安全检查"', f'title_zh = "{title_zh}"', 1)
    return text


# --- the shipped templates ---------------------------------------------------------------------


def test_both_builtin_templates_load():
    templates = builtin_templates()
    assert set(templates) >= {"fire_safety", "ledger_verification"}
    assert templates["fire_safety"].version == "2026.1"
    assert templates["fire_safety"].kind == "fire_safety"
    assert templates["ledger_verification"].kind == "ledger_verification"


def test_fire_safety_holds_the_31_items_of_domain_md_in_order_with_their_major_flags():
    template = builtin_templates()["fire_safety"]
    assert list(template.codes()) == DOMAIN_CODES
    assert {item.code for item in template.items if item.major_possible} == DOMAIN_MAJOR
    assert template.applies_to == ("tenant", "common_area")
    assert template.categories() == ["使用性质", "疏散", "消防设施", "电气", "用火用危", "管理"]


def test_every_item_reads_in_both_languages():
    for template in builtin_templates().values():
        assert len(set(template.codes())) == len(template.items)
        for item in template.items:
            assert item.text("zh_CN") and item.text("en") and item.text("zh_CN") != item.text("en")
            assert item.category("en").isascii()


def test_texts_follow_the_current_language():
    template = builtin_templates()["fire_safety"]
    assert template.title() == "消防安全检查"
    assert template.item("B01").text() == "安全出口数量足够，未被锁闭、封堵"
    set_language("en")
    assert template.title() == "Fire-safety inspection"
    assert template.item("B01").text().startswith("Enough exits")


def test_deadlines_default_by_severity_unless_the_item_says_on_the_spot():
    template = builtin_templates()["fire_safety"]
    assert template.item("B01").deadline_days() == 0  # blocked exit: 当场整改
    assert template.item("C01").deadline_days() == 0  # expired extinguisher
    assert template.item("A02").deadline_days() == 15
    assert template.item("A01").deadline_days("major") == 60


def test_ledger_verification_checks_each_ledger_field_and_three_on_site_findings():
    template = builtin_templates()["ledger_verification"]
    assert template.applies_to == ("tenant",)
    assert {item.ledger_field for item in template.items if item.ledger_field} == set(LEDGER_FIELDS)
    findings = [item for item in template.items if item.ledger_field is None]
    assert [item.text() for item in findings] == [
        "未擅自改变厂房（仓库）使用性质",
        "无违章搭建（夹层、彩钢板棚、封闭雨棚）",
        "生产、储存场所内无人员住宿（无“三合一”）",
    ]
    assert all(item.major_possible for item in findings)


def test_a_template_records_the_hash_of_its_bytes():
    import hashlib

    assert builtin_templates()["fire_safety"].sha256 == hashlib.sha256(FIRE_SAFETY.read_bytes()).hexdigest()


# --- malformed files: file, line, field, in both languages -------------------------------------


def _syntax_error(text):
    lines = text.split("\n")
    lines[line_of(text, "title_zh =") - 1] = 'title_zh = "消防安全检查'  # no closing quote
    return "\n".join(lines), line_of(text, "title_zh ="), "title_zh"


def _missing_version(text):
    return text.replace('version = "2026.1"\n', ""), line_of(text, "id ="), "version"


def _typo_in_third_item(text):
    line = item_key_line(text, 3, "default_severity")
    return (
        replace_in_item(text, 3, "default_severity", 'defualt_severity = "general"'),
        line,
        "items[3].defualt_severity",
    )


def _duplicate_code(text):
    return replace_in_item(text, 2, "code", 'code = "A01"'), item_key_line(text, 2, "code"), "items[2].code"


def _bad_severity(text):
    return (
        replace_in_item(text, 5, "default_severity", 'default_severity = "serious"'),
        item_key_line(text, 5, "default_severity"),
        "items[5].default_severity",
    )


def _wrong_type(text):
    return (
        replace_in_item(text, 4, "major_possible", 'major_possible = "yes"'),
        item_key_line(text, 4, "major_possible"),
        "items[4].major_possible",
    )


def _empty_text(text):
    return (
        replace_in_item(text, 7, "text_en", 'text_en = "  "'),
        item_key_line(text, 7, "text_en"),
        "items[7].text_en",
    )


def _bad_version(text):
    return text.replace('version = "2026.1"', 'version = "v1"'), line_of(text, "version ="), "version"


def _deadline_as_bool(text):
    return (
        replace_in_item(text, 6, "default_deadline_days", "default_deadline_days = true"),
        item_key_line(text, 6, "default_deadline_days"),
        "items[6].default_deadline_days",
    )


MALFORMED = {
    # name: (make variant, kind, fragment of the zh message, fragment of the en message)
    "syntax error": (_syntax_error, "toml_syntax", "TOML 格式错误", "TOML syntax error"),
    "missing version": (_missing_version, "required", "缺少必填项", "Required"),
    "typo in the 3rd item": (
        _typo_in_third_item,
        "unknown_key_hint",
        "是否应为“default_severity”",
        'did you mean "default_severity"',
    ),
    "duplicate code": (
        _duplicate_code,
        "duplicate_code",
        "项目编号“A01”重复",
        'Item code "A01" is used twice',
    ),
    "bad severity": (
        _bad_severity,
        "bad_choice",
        "“serious”不是可选的值",
        '"serious" is not one of the choices',
    ),
    "wrong type": (
        _wrong_type,
        "wrong_type",
        "类型不对，应为：true 或 false",
        "Wrong type: expected true or false",
    ),
    "empty text": (_empty_text, "empty", "不能为空", "May not be empty"),
    "bad version": (_bad_version, "bad_version", "版本号“v1”无效", 'Version "v1" is not valid'),
    "deadline written as a boolean": (_deadline_as_bool, "wrong_type", "整数", "whole number"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_file_is_refused_with_its_line_and_field(name):
    make, kind, zh, en = MALFORMED[name]
    text, line, field = make(FIRE_TEXT)
    found = [p for p in problems_of(text, "fire_safety.toml") if p.kind == kind]
    assert [(p.file, p.line, p.field) for p in found] == [("fire_safety.toml", line, field)]
    problem = found[0]
    assert zh in problem.message_in("zh_CN")
    assert en in problem.message_in("en")
    assert str(problem) == f"fire_safety.toml:{line}: {field}: {problem.message}"


def test_the_typo_also_says_the_item_lacks_its_real_key_at_the_items_header():
    text, _, _ = _typo_in_third_item(FIRE_TEXT)
    problems = problems_of(text)
    assert ("required", line_of(FIRE_TEXT, "[[items]]", 3), "items[3].default_severity") in [
        (p.kind, p.line, p.field) for p in problems
    ]


def test_a_file_that_is_not_utf8_is_refused_at_the_first_bad_line():
    line = item_key_line(FIRE_TEXT, 5, "text")
    lines = FIRE_TEXT.split("\n")
    data = b"\n".join(
        entry.encode("gbk") if n == line else entry.encode("utf-8") for n, entry in enumerate(lines, start=1)
    )
    [problem] = problems_of(data)
    assert (problem.kind, problem.line) == ("not_utf8", line)
    assert "UTF-8" in problem.message_in("zh_CN") and "UTF-8" in problem.message_in("en")


def test_a_missing_file_is_a_template_error_not_an_os_error(tmp_path):
    with pytest.raises(TemplateError) as caught:
        load_template_file(tmp_path / "nope.toml")
    [problem] = caught.value.problems
    assert (problem.kind, problem.line) == ("file_missing", 0)
    assert str(problem) == f"{tmp_path / 'nope.toml'}: 文件不存在"


def test_every_problem_in_one_file_is_reported_at_once():
    text, _, _ = _bad_severity(FIRE_TEXT)
    text, _, _ = _wrong_type(text)
    text, _, _ = _duplicate_code(text)
    kinds = [p.kind for p in problems_of(text)]
    assert sorted(kinds) == ["bad_choice", "duplicate_code", "wrong_type"]


def test_a_byte_order_mark_and_windows_line_ends_are_accepted():
    data = b"\xef\xbb\xbf" + FIRE_TEXT.replace("\n", "\r\n").encode("utf-8")
    assert len(parse_template(data).items) == 31
    broken = _bad_severity(FIRE_TEXT)
    [problem] = problems_of(b"\xef\xbb\xbf" + broken[0].replace("\n", "\r\n").encode("utf-8"))
    assert problem.line == broken[1]


def test_a_fire_safety_item_may_not_name_a_ledger_field():
    text = FIRE_TEXT.replace('code = "A02"\n', 'code = "A02"\nledger_field = "headcount"\n')
    [problem] = problems_of(text)
    assert (problem.kind, problem.field, problem.line) == (
        "ledger_field_wrong_kind",
        "items[2].ledger_field",
        item_key_line(FIRE_TEXT, 2, "code") + 1,
    )


def test_a_major_default_needs_the_major_flag():
    text = replace_in_item(FIRE_TEXT, 2, "default_severity", 'default_severity = "major"')
    [problem] = problems_of(text)
    assert problem.kind == "major_not_possible"


def test_items_written_inline_point_at_the_items_line():
    text = (
        'id = "tiny"\nversion = "2026.1"\ntitle_zh = "小"\ntitle_en = "Tiny"\nkind = "fire_safety"\n'
        'applies_to = ["tenant"]\n'
        'items = [{code = "A01", category = "甲", category_en = "A", text = "文", text_en = "t", '
        'default_severity = "grave", major_possible = false}]\n'
    )
    [problem] = problems_of(text)
    assert (problem.line, problem.field, problem.kind) == (7, "items[1].default_severity", "bad_choice")


def test_a_multiline_string_does_not_confuse_the_line_count():
    text = FIRE_TEXT.replace(
        'text = "未擅自改变厂房、仓库使用性质"', 'text = """未擅自改变\ncode = "X99"\n厂房、仓库使用性质"""'
    )
    text = replace_in_item(text, 3, "default_severity", 'default_severity = "grave"')
    [problem] = problems_of(text)
    assert problem.line == item_key_line(FIRE_TEXT, 3, "default_severity") + 2


# --- nothing but TemplateError, whatever the bytes ---------------------------------------------

FRAGMENTS = [
    *FIRE_TEXT.split("\n")[55:90],
    "[[items]]",
    "[items]",
    "[items.extra]",
    "[other]",
    "[[other]]",
    "items = []",
    "items = [1, 2]",
    'items = [{code = "A01"}]',
    "code = 5",
    'code = "a01"',
    "version = 2026.1",
    'version = "2026.0"',
    'applies_to = ["tenant", 3]',
    'applies_to = "tenant"',
    "applies_to = []",
    'kind = "kitchen"',
    'text = """',
    '"""',
    "text = '''",
    "'''",
    "a.b.c = 1",
    '"quoted key" = 1',
    "default_deadline_days = -1",
    "default_deadline_days = 3.5",
    "major_possible = 1",
    "when = 1979-05-27",
    "x = inf",
    "[",
    "]",
    "=",
    "#",
    'id = "Fire Safety"',
    'ledger_field = "shoe_size"',
    'legal_basis = ""',
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_raise_nothing_but_template_error(data):
    try:
        parse_template(data, "random.toml")
    except TemplateError as exc:
        assert exc.problems
        lines = data.count(b"\n") + 1
        assert all(0 <= p.line <= lines for p in exc.problems)
        assert all(str(p) for p in exc.problems)  # every message translates


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40))
def test_random_toml_ish_text_raises_nothing_but_template_error(lines):
    text = "\n".join(lines)
    try:
        template = parse_template(text.encode("utf-8", "surrogatepass"), "random.toml")
    except TemplateError as exc:
        assert exc.problems
        assert all(0 <= p.line <= text.count("\n") + 1 for p in exc.problems)
        assert all(p.message_in("zh_CN") and p.message_in("en") for p in exc.problems)
    else:
        assert template.items


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_real_file_with_lines_dropped_or_doubled_raises_nothing_but_template_error(data):
    lines = FIRE_TEXT.split("\n")
    drop = data.draw(st.sets(st.integers(0, len(lines) - 1), max_size=6))
    double = data.draw(st.sets(st.integers(0, len(lines) - 1), max_size=3))
    changed = [line for n, line in enumerate(lines) if n not in drop for _ in range(2 if n in double else 1)]
    try:
        parse_template("\n".join(changed).encode("utf-8"))
    except TemplateError as exc:
        assert all(0 <= p.line <= len(changed) for p in exc.problems)


def test_deep_nesting_is_a_template_error():
    [problem] = problems_of("a = " + "[" * 5000 + "]" * 5000)
    assert problem.kind == "too_deep"


# --- versions and the local templates directory ------------------------------------------------


def test_versions_compare_as_numbers():
    assert version_key("2026.10") > version_key("2026.9") > version_key("2025.12")
    with pytest.raises(ValueError):
        version_key("2026")


def test_two_versions_of_one_template_coexist_and_each_can_be_found(tmp_path):
    local = tmp_path / "templates"
    write(local, "fire_safety_2026_2.toml", new_version(FIRE_TEXT, "2026.2", "消防安全检查（第二版）"))
    loaded = load_templates(local)
    assert loaded.problems == ()
    assert loaded.versions("fire_safety") == ["2026.1", "2026.2"]
    assert find_template("fire_safety", "2026.1", templates_dir=local).title() == "消防安全检查"
    assert find_template("fire_safety", "2026.2", templates_dir=local).title() == "消防安全检查（第二版）"
    assert find_template("fire_safety", templates_dir=local).version == "2026.2"  # newest
    assert find_template("fire_safety", "2024.1", templates_dir=local) is None
    assert find_template("fire_safety").version == "2026.1"  # built-ins alone


def test_a_broken_local_file_does_not_hide_the_valid_ones(tmp_path):
    local = tmp_path / "templates"
    broken = write(local, "a_broken.toml", _typo_in_third_item(new_version(FIRE_TEXT, "2026.3"))[0])
    write(local, "b_good.toml", new_version(FIRE_TEXT, "2026.2"))
    write(local, "c_not_toml.toml", "这不是 TOML = = =")
    loaded = load_templates(local)
    assert loaded.versions("fire_safety") == ["2026.1", "2026.2"]
    assert loaded.get("ledger_verification") is not None
    assert {p.file for p in loaded.problems} == {str(broken), str(local / "c_not_toml.toml")}


def test_the_environment_names_the_local_directory(tmp_path, monkeypatch):
    local = tmp_path / "from_env"
    write(local, "fire.toml", new_version(FIRE_TEXT, "2027.1"))
    monkeypatch.setenv(TEMPLATES_DIR_ENV, str(local))
    assert find_template("fire_safety").version == "2027.1"
    assert find_template("fire_safety", "2026.1").version == "2026.1"


def test_a_local_file_replaces_a_builtin_of_the_same_id_and_version(tmp_path):
    local = tmp_path / "templates"
    write(local, "fire.toml", new_version(FIRE_TEXT, "2026.1", "园区消防检查"))
    assert find_template("fire_safety", "2026.1", templates_dir=local).title() == "园区消防检查"
    assert builtin_templates()["fire_safety"].title() == "消防安全检查"  # the cache is untouched


def test_two_local_files_with_one_id_and_version_keep_the_first_and_report_the_second(tmp_path):
    local = tmp_path / "templates"
    write(local, "a.toml", new_version(FIRE_TEXT, "2026.2", "甲"))
    write(local, "b.toml", new_version(FIRE_TEXT, "2026.2", "乙"))
    loaded = load_templates(local)
    assert loaded.get("fire_safety", "2026.2").title() == "甲"
    [problem] = loaded.problems
    assert (problem.kind, problem.file) == ("duplicate_template", str(local / "b.toml"))


def test_a_missing_local_directory_is_a_problem_and_the_builtins_still_load(tmp_path):
    loaded = load_templates(tmp_path / "nowhere")
    assert [p.kind for p in loaded.problems] == ["dir_unreadable"]
    assert loaded.get("fire_safety", "2026.1") is not None


# --- parkinspect templates check ---------------------------------------------------------------


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_accepts_a_valid_template(capsys):
    code, out, _ = run(capsys, "templates", "check", str(FIRE_SAFETY))
    basis = "、".join(builtin_templates()["fire_safety"].legal_basis)
    assert (code, out.strip()) == (0, f"模板有效：消防安全检查 2026.1，31 项\n检查依据：{basis}")
    code, out, _ = run(capsys, "--lang", "en", "templates", "check", str(FIRE_SAFETY))
    assert (code, out.strip()) == (0, f"Template valid: Fire-safety inspection 2026.1, 31 items\nLegal basis: {basis}")


@pytest.mark.parametrize(
    ("lang", "message"), [("zh", "未知的键“defualt_severity”"), ("en", 'Unknown key "defualt_severity"')]
)
def test_cli_names_file_line_and_field_of_each_problem(capsys, tmp_path, lang, message):
    text, line, field = _typo_in_third_item(FIRE_TEXT)
    path = write(tmp_path, "typo.toml", text)
    code, out, _ = run(capsys, "--lang", lang, "templates", "check", str(path))
    assert code == 2
    assert f"{path}:{line}: {field}: {message}" in out.splitlines()[1]
    assert f"{path}:{line_of(FIRE_TEXT, '[[items]]', 3)}: items[3].default_severity: " in out.splitlines()[0]


def test_cli_json_lists_the_problems(capsys, tmp_path):
    text, line, field = _duplicate_code(FIRE_TEXT)
    path = write(tmp_path, "dup.toml", text)
    code, out, _ = run(capsys, "templates", "check", str(path), "--json")
    payload = json.loads(out)
    assert code == 2 and payload["valid"] is False
    assert [(p["line"], p["field"]) for p in payload["problems"]] == [(line, field)]
    code, out, _ = run(capsys, "templates", "check", str(FIRE_SAFETY), "--json")
    assert code == 0
    assert json.loads(out) | {"file": ""} == {
        "file": "",
        "valid": True,
        "id": "fire_safety",
        "version": "2026.1",
        "title": "消防安全检查",
        "items": 31,
        "legal_basis": list(builtin_templates()["fire_safety"].legal_basis),
        "problems": [],
    }


@pytest.mark.parametrize("case", ["missing", "gbk", "syntax", "directory"])
def test_cli_exits_2_on_a_file_it_cannot_read(capsys, tmp_path, case):
    path = tmp_path / "t.toml"
    if case == "gbk":
        path.write_bytes(FIRE_TEXT.encode("gbk"))
    elif case == "syntax":
        path.write_text(_syntax_error(FIRE_TEXT)[0], encoding="utf-8")
    elif case == "directory":
        path.mkdir()
    code, out, _ = run(capsys, "templates", "check", str(path))
    assert code == 2
    assert out.startswith(str(path))
    assert out.splitlines()[-1] == "模板无效：发现 1 个问题"


def test_cli_without_a_file_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["templates", "check"])
    assert exited.value.code == 2
