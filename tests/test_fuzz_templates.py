"""Fuzz: checklist templates (issue 8, item 2), from the file on disk to `parkinspect templates check`.

tests/test_checklist.py already feeds parse_template random bytes and TOML-ish lines; here the
shipped templates themselves are damaged (bytes flipped, cut, lines swapped, junk spliced in) and
read from a file the way a data office clerk's edited copy would be: every outcome is a template or
a TemplateError whose every problem names the file and a line inside it and reads in both
languages; the CLI prints `FILE:LINE: …` lines and exits 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.checklist import TemplateError, load_template_file
from forms.i18n import catalogue
from inspect_app.cli import main
from tests.fuzz import fuzz_settings, time_limit

TEMPLATES = sorted((Path(__file__).parents[1] / "forms" / "templates").glob("*.toml"))
ORIGINALS = {path.name: path.read_bytes() for path in TEMPLATES}
JUNK = [b"[", b"]]", b"=", b'"', b"'''", b"\\u", b"\x00", b"\xff", b"\n", b"[[items]]\n", b"id = 1\n", b"\xe4\xb8",
        b"default_severity = \"fatal\"\n", b"version = 2026.1\n", b"x = [" * 50, b"# \n", b"\r", b"\t"]


@st.composite
def damaged_template(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(ORIGINALS)))
    data = bytearray(ORIGINALS[name])
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "cut", "splice", "swap_lines", "drop_line"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if how == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif how == "cut":
            del data[at:]
        elif how == "splice":
            data[at:at] = draw(st.one_of(st.sampled_from(JUNK), st.binary(max_size=20)))
        else:
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if how == "swap_lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                del lines[i]
            data = bytearray(b"\n".join(lines))
    return name, bytes(data)


@fuzz_settings(60)
@given(damaged=damaged_template())
def test_a_damaged_template_file_is_loaded_or_refused_with_file_and_line(tmp_path_factory, damaged):
    name, data = damaged
    path = tmp_path_factory.mktemp("input") / name
    path.write_bytes(data)
    try:
        with time_limit(10):
            template = load_template_file(path)
    except TemplateError as error:
        assert error.problems
        lines = data.count(b"\n") + 1
        for problem in error.problems:
            assert problem.file == str(path) and 0 <= problem.line <= lines, problem
            for lang in ("zh_CN", "en"):
                assert f"checklist.problem.{problem.kind}" in catalogue(lang)
                assert problem.message_in(lang)
    else:
        assert template.items


@fuzz_settings(8)
@given(damaged=damaged_template())
def test_templates_check_exits_2_with_file_and_line_or_0(tmp_path_factory, damaged):
    name, data = damaged
    path = tmp_path_factory.mktemp("input") / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()  # this input's output alone (capsys is one for all inputs)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["templates", "check", str(path)])
    assert code in (0, 2) and "Traceback" not in out.getvalue() + err.getvalue()
    if code == 2:
        assert out.getvalue().startswith(f"{path}")


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", ORIGINALS["fire_safety.toml"][:-40], b"[[items]]\n" * 3])
def test_templates_check_refuses_empty_binary_and_cut_files(tmp_path, capsys, data):
    path = tmp_path / "t.toml"
    path.write_bytes(data)
    assert main(["templates", "check", str(path)]) == 2
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{path}:")
