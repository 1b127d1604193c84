"""The translation catalogues: every language says everything zh_CN says, with the same blanks."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from forms.catalogues import CHOICE_LISTS, code_for_label, label
from forms.i18n import (
    DEFAULT_LANGUAGE,
    LOCALES_DIR,
    available_languages,
    catalogue,
    normalise_language,
    set_language,
    t,
)
from forms.tenant import TENANT_FIELDS

LANGUAGES = available_languages()
OTHER_LANGUAGES = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_chinese_and_english_catalogues_exist():
    assert {"zh_CN", "en"} <= set(LANGUAGES)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_language_has_the_same_catalogue_files_as_chinese(lang):
    reference = sorted(p.name for p in (LOCALES_DIR / DEFAULT_LANGUAGE).glob("*.toml"))
    assert sorted(p.name for p in (LOCALES_DIR / lang).glob("*.toml")) == reference


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_language_has_exactly_the_keys_chinese_has(lang):
    reference, other = set(catalogue(DEFAULT_LANGUAGE)), set(catalogue(lang))
    assert sorted(reference - other) == [], "missing"
    assert sorted(other - reference) == [], "not in zh_CN"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_message_has_the_same_placeholders_in_every_language(lang):
    reference, other = catalogue(DEFAULT_LANGUAGE), catalogue(lang)
    differing = {
        key: (placeholders(reference[key]), placeholders(other[key]))
        for key in reference.keys() & other.keys()
        if placeholders(reference[key]) != placeholders(other[key])
    }
    assert differing == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty(lang):
    assert [key for key, text in catalogue(lang).items() if not text.strip()] == []


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize(("list_name", "code"), [(n, c) for n, codes in CHOICE_LISTS.items() for c in codes])
def test_every_choice_has_a_label(lang, list_name, code):
    assert f"choices.{list_name}.{code}" in catalogue(lang)


@pytest.mark.parametrize("list_name", sorted(CHOICE_LISTS))
def test_choice_labels_lead_back_to_their_code_in_both_languages(list_name):
    for code in CHOICE_LISTS[list_name]:
        for lang in ("zh_CN", "en"):
            assert code_for_label(list_name, t(f"choices.{list_name}.{code}", lang=lang)) == code


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("field", TENANT_FIELDS)
def test_every_tenant_field_has_a_label(lang, field):
    assert f"fields.tenant.{field}" in catalogue(lang)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("zh", "zh_CN"),
        ("zh_CN", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("zh_CN.UTF-8", "zh_CN"),
        ("en", "en"),
        ("EN", "en"),
        (" en ", "en"),
        ("fr", DEFAULT_LANGUAGE),
        ("", DEFAULT_LANGUAGE),
        (None, DEFAULT_LANGUAGE),
    ],
)
def test_normalise_language(typed, expected):
    assert normalise_language(typed) == expected


def test_labels_follow_the_current_language():
    assert label("scale", "above") == "规上"
    set_language("en")
    assert label("scale", "above") == "Above size"


def test_placeholders_are_filled():
    assert t("errors.too_large", lang="en", max=20000) == "May not be more than 20000"


def test_no_key_is_defined_in_two_catalogue_files():
    import tomllib
    from collections import Counter

    from forms.i18n import LOCALES_DIR, _flatten

    for lang_dir in (p for p in LOCALES_DIR.iterdir() if p.is_dir()):
        seen = Counter()
        for path in lang_dir.glob("*.toml"):
            with path.open("rb") as handle:
                seen.update(_flatten(tomllib.load(handle)).keys())
        assert [k for k, n in seen.items() if n > 1] == [], lang_dir.name


def test_every_refusal_code_of_the_hub_has_words_in_the_refused_changes_list():
    """A device lists the hub's refusals with their reason in words (services/conflicts.py):
    each code the hub can send (`Refused("code", …)` in inspect_app/hub, `Problem("code", …)` in
    inspect_app/sync/protocol.py) needs a catalogue entry."""
    import re

    app = Path(__file__).resolve().parent.parent / "inspect_app"
    sources = [*app.joinpath("hub").glob("*.py"), app / "sync" / "protocol.py"]  # the value rules' Problem codes
    codes = {code for path in sources
             for code in re.findall(r'(?:Refused|Problem)\("([a-z_]+)"', path.read_text("utf-8"))}
    assert "bad_value" in codes and len(codes) >= 8
    for language in ("zh_CN", "en"):
        set_language(language)
        missing = [code for code in sorted(codes | {"too_large"}) if t(f"tui.sync.reason_{code}").startswith("tui.")]
        assert missing == [], language


def test_every_screen_binding_has_an_id_and_a_description_in_both_catalogues():
    """Bindings carry ids (a keymap can remap them) and catalogue keys (translated per screen)."""
    import importlib
    import inspect as pyinspect

    from textual.binding import Binding

    from inspect_app import screens

    catalogues = [catalogue(lang) for lang in LANGUAGES]
    problems = []
    for path in sorted(Path(screens.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"inspect_app.screens.{path.stem}")
        for name, cls in pyinspect.getmembers(module, pyinspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if not isinstance(binding, Binding):
                    continue
                where = f"{path.stem}.{name} {binding.key}"
                if not binding.id:
                    problems.append(f"{where}: no id")
                if binding.description and not all(binding.description in c for c in catalogues):
                    problems.append(f"{where}: {binding.description} is not a key of every catalogue")
    assert problems == []


def test_english_counts_agree_with_their_number():
    assert t("tui.ledger.status_count", lang="en", total=1, shown=1) == "1 tenant, 1 shown"
    assert t("tui.ledger.status_count", lang="en", total=3, shown=1) == "3 tenants, 1 shown"
    assert t("tui.ledger.status_count", lang="zh_CN", total=1, shown=1).startswith("共 1")


def test_no_english_message_says_one_of_a_plural():
    """`{count} notes` reads "1 notes"; counted nouns go through `{count:plural:note|notes}`."""
    counted = re.compile(r"\{(count|total|rows|moved|refused|warnings|bad)\} (note|row|item|hazard|tenant|change|document|field|photo|quarter|record)s\b")
    offenders = [f"{key}: {text}" for key, text in catalogue("en").items() if counted.search(text)]
    assert offenders == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_photo_path_examples_are_one_per_platform_and_written_as_that_platform_writes_paths(lang):
    """The placeholders name a photo path the way the machine writes one (D:\\照片\\… on Windows,
    ~/照片/… elsewhere), never a path of their own."""
    from inspect_app.formatting import photo_path_example

    messages = catalogue(lang)
    hard_coded = [key for key, text in messages.items() if "IMG_0012" in text and not key.startswith("tui.photo_example.")]
    assert hard_coded == []
    windows, posix = photo_path_example(windows=True, lang=lang), photo_path_example(windows=False, lang=lang)
    assert re.match(r"^[A-Z]:\\", windows) and "/" not in windows
    assert posix.startswith("~/") and "\\" not in posix
    folder = "照片" if lang == "zh_CN" else "Photos"
    assert folder in windows
    for key in ("tui.reinspection.photo_placeholder",):
        assert windows in t(key, lang=lang, example=windows)


def test_every_key_binding_label_is_a_catalogue_key():
    """A footer label that is not a `tui.` catalogue key is shown as its raw key (translate_bindings)."""
    import importlib
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import inspect_app.screens
    import inspect_app.widgets
    from inspect_app.app import ParkInspectApp

    classes = [ParkInspectApp]
    for package in (inspect_app.screens, inspect_app.widgets):
        for module in pkgutil.iter_modules(package.__path__):
            classes += [v for v in vars(importlib.import_module(f"{package.__name__}.{module.name}")).values()
                        if isinstance(v, type) and issubclass(v, DOMNode) and v.__module__.startswith("inspect_app")]
    reference = catalogue(DEFAULT_LANGUAGE)
    wrong = sorted({f"{cls.__name__}: {b.key} → {b.description}" for cls in classes for b in vars(cls).get("BINDINGS", [])
                    if isinstance(b, Binding) and b.description
                    and not (b.description.startswith("tui.") and b.description in reference)})
    assert wrong == []
