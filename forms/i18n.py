"""The one translation layer for every string a user sees.

Catalogues are TOML files under `forms/locales/<lang>/`, one file per area of the app
(forms.toml, tui.toml, cli.toml, ...) so that the people working on one area do not edit the
same file. Nested tables flatten to dotted keys: `[tenant] name = "..."` is `tenant.name`.

zh_CN is the default and the reference; `tests/test_i18n.py` checks that every language holds
exactly the same keys with the same {placeholders}.
"""

from __future__ import annotations

import os
import string
import tomllib
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGE_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "cn": "zh_CN", "en": "en", "en_us": "en"}

_current = DEFAULT_LANGUAGE


def normalise_language(name: str | None) -> str:
    """Map what a user may write (`zh`, `EN`, `zh-CN`) to a catalogue name; unknown -> default."""
    if not name:
        return DEFAULT_LANGUAGE
    return LANGUAGE_ALIASES.get(name.strip().lower().replace(".utf-8", ""), DEFAULT_LANGUAGE)


def available_languages() -> list[str]:
    return sorted(p.name for p in LOCALES_DIR.iterdir() if p.is_dir())


def set_language(name: str | None) -> str:
    global _current
    _current = normalise_language(name)
    return _current


def current_language() -> str:
    return _current


def language_from_env() -> str:
    return normalise_language(os.environ.get("PARKINSPECT_LANG"))


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.toml")):
        with path.open("rb") as handle:
            messages.update(_flatten(tomllib.load(handle)))
    return messages


class _MessageFormatter(string.Formatter):
    """str.format plus English plurals: `{count:plural:note|notes}` gives "1 note", "3 notes".

    Chinese needs none (`{count} 条`), so the zh_CN catalogue keeps plain `{count}`; the
    placeholder names stay the same in every language, which is what the catalogue test checks.
    """

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith("plural:"):
            one, _, other = format_spec.removeprefix("plural:").partition("|")
            return f"{value} {one if str(value) == '1' else other}"  # a count may come formatted
        return super().format_field(value, format_spec)


_formatter = _MessageFormatter()


def t(key: str, /, lang: str | None = None, **values: object) -> str:
    """Translate `key` into the current (or given) language and fill its {placeholders}.

    A missing key is a bug, but showing the key beats crashing in front of an inspector;
    the catalogue test makes sure none is missing.
    """
    text = catalogue(lang or _current).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key, key)
    if not values:
        return text
    return _formatter.format(text, **values) if ":plural:" in text else text.format(**values)
