"""Parsers for single typed values, shared by every input model (and later the importer).

Each raises `PydanticCustomError(<kind>, ...)`; the kind is a catalogue key under `errors.`, so
the message is chosen in the user's language when it is shown, not when it is raised.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic_core import PydanticCustomError

from forms import credit_code as cc

# ASCII: NFKC leaves Arabic-Indic and other digits alone, and a stored number must be dialable.
MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}", re.ASCII)
UNIT_SUFFIXES = ("平方米", "平米", "㎡", "m²", "m2", "人", "名", "元", "万元", "亩")
DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def error(kind: str, **context: object) -> PydanticCustomError:
    # A lone surrogate (an undecodable byte of a command-line argument) in the context would make
    # pydantic fail while listing the errors; shown as "?" instead.
    safe = {k: v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) else v for k, v in context.items()}
    return PydanticCustomError(kind, kind, safe)


def clean_text(value: object) -> str:
    """For values that are parsed (numbers, codes, dates, choices): NFKC turns full-width digits
    and letters into ASCII; trimmed; None -> ''."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", _str(value)).strip()


def _str(value: object) -> str:
    # str() of an int longer than 4300 digits raises ValueError (CPython's limit); Decimal prints it.
    return str(Decimal(value)) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def plain_text(value: object) -> str:
    """For free text (names, measures, notes): only trimmed. Chinese punctuation and full-width
    brackets are part of how it is written — NFKC would turn "（分公司）" into "(分公司)"."""
    return "" if value is None else _str(value).strip()


def optional_text(value: object, *, max_length: int = 200) -> str | None:
    text = plain_text(value)
    if len(text) > max_length:
        raise error("too_long", max=max_length)
    return text or None


def required_text(value: object, *, max_length: int = 200) -> str:
    text = optional_text(value, max_length=max_length)
    if text is None:
        raise error("required")
    return text


def single_line_text(value: object, *, max_length: int = 200) -> str | None:
    """Free text printed on one line of a document (a person's name on a signature line): trimmed,
    no control characters, line breaks or invisible format characters (a name that prints
    differently from what was typed, or not at all)."""
    text = optional_text(value, max_length=max_length)
    if text is not None and any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        raise error("control_chars")
    return text


def credit_code(value: object) -> str:
    code = cc.normalise(_str(value or ""))
    if not code:
        raise error("required")
    found = cc.problem(code)
    if found:
        raise error(found.kind, **found.context)
    return code


def phone(value: object) -> str | None:
    """Mainland mobile (11 digits) or a landline with its area code; spaces and dashes allowed."""
    text = clean_text(value)
    if not text:
        return None
    compact = re.sub(r"[\s()（）]", "", text)
    compact = re.sub(r"^(\+86|0086)-?", "", compact)  # spreadsheets often carry the country code
    digits = compact.replace("-", "")
    if MOBILE.fullmatch(digits):
        return digits
    if LANDLINE.fullmatch(compact):
        return compact
    if digits.isascii() and digits.isdigit() and digits.startswith("1"):
        raise error("mobile_length", length=len(digits))
    raise error("phone_format")


def number(value: object, *, minimum: Decimal | None, maximum: Decimal, strictly_positive: bool,
           integer: bool = False) -> Decimal | None:
    """Parse '1,200㎡', '１２００', '35人'; refuse words, negatives and absurd magnitudes."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = _str(value)
    else:
        text = clean_text(value)
    if not text:
        return None
    for suffix in UNIT_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
            break
    text = text.replace(",", "").replace("，", "")
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        raise error("integer_format" if integer else "number_format", value=clean_text(value)) from None
    if not parsed.is_finite():
        raise error("number_format", value=clean_text(value))
    if integer and parsed != parsed.to_integral_value():
        raise error("integer_format", value=clean_text(value))
    if strictly_positive and parsed <= 0:
        raise error("must_be_positive")
    if minimum is not None and parsed < minimum:
        raise error("too_small", min=minimum)
    if parsed > maximum:
        raise error("too_large", max=maximum)
    return parsed


def parse_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = clean_text(value)
    if not text:
        return None
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    raise error("date_format", value=text)


def yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in ("", "0", "n", "no", "false", "否", "无", "未签", "未签订"):
        return False
    if text in ("1", "y", "yes", "true", "是", "有", "已签", "已签订"):
        return True
    raise error("yes_no", value=text)
