"""统一社会信用代码 (GB 32100-2015): normalisation and check characters.

The 18th character is a mod-31 check over the first 17 and is always enforced. Characters 9-17
are an organisation code (GB 11714) with its own mod-11 check; codes issued since 2015 do not all
satisfy it in practice, so that one is reported as a warning only (see docs/DOMAIN.md).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, ...
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
LENGTH = 18


def normalise(raw: str) -> str:
    """Full-width to half-width, drop spaces, upper-case: what spreadsheets and keyboards send."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_character(body8: str) -> str:
    """GB 11714 check over the 8-character organisation code body."""
    total = sum(_org_value(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    k = 11 - total % 11
    return "X" if k == 10 else "0" if k == 11 else str(k)


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


@dataclass(frozen=True)
class CreditCodeProblem:
    """Why a code is refused: a catalogue key under `errors.` and the values for its message."""

    kind: str  # "length" | "charset" | "checksum"
    context: dict


def problem(code: str) -> CreditCodeProblem | None:
    """Return None when `code` (already normalised) is a valid credit code, else what is wrong."""
    if len(code) != LENGTH:
        return CreditCodeProblem("credit_code_length", {"length": len(code)})
    bad = [c for c in code if c not in CHARSET]
    if bad:
        return CreditCodeProblem("credit_code_charset", {"chars": "".join(dict.fromkeys(bad))})
    expected = check_character(code[:17])
    if code[17] != expected:
        return CreditCodeProblem("credit_code_checksum", {"expected": expected, "found": code[17]})
    return None


def organisation_code_warning(code: str) -> bool:
    """True when the inner GB 11714 check fails (a warning, never a refusal)."""
    body, check = code[8:16], code[16]
    if not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        return True
    return org_check_character(body) != check


def complete(first16_or_17: str) -> str:
    """Build a valid code from 16 characters (adds the GB 11714 and the GB 32100 check) or 17."""
    if len(first16_or_17) == 16:
        first16_or_17 += org_check_character(first16_or_17[8:16])
    return first16_or_17 + check_character(first16_or_17)
