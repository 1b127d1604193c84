"""What a ledger search word is looked for in: one key per tenant, folded the way a person may type.

At a tenant's door an inspector sees a room number on the wall ("3F-301") or knows the company by
its sound ("jiamei", "jm" for 佳美). `tenant_search.key` holds, per tenant, separated by spaces:
its name, contact, credit code and phone, the whole pinyin of its name and the initials of that
pinyin, and its building and unit — each folded by `fold` (full-width to half-width, lower case,
no spaces or dashes). A search word, folded the same way, is looked for in it with instr()
(db/queries.py): one short string per tenant instead of five columns with LIKE. The key is local
and derived: SQLite triggers (migration 0011) keep it on every write to those columns, whatever
writes it (form, ledger import, sync, a first sync's bulk load), by calling `tenant_search_key`,
which `register` adds to every connection the store opens.

pypinyin is imported at the first key computed, not at start-up (it takes ~0.3 s).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from functools import lru_cache

SQL_FUNCTION = "tenant_search_key"
GRAMS_FUNCTION = "tenant_search_grams"
SHORT = 2  # the longest word found through the short-word index (shorter than the trigram index's)
# The tenant columns the key is made of, in the order of `tenant_search_key`'s arguments.
KEY_COLUMNS = ("name", "contact_name", "credit_code", "contact_phone", "building", "unit_no")
# Spaces and the dashes a room number is written with ("3F-301", "3F－301", "3F—301"); an
# underscore is kept (a search for "_" finds the names that hold one).
_IGNORED = re.compile(r"[\s\-‐‑‒–—―−]+")
# A run of ASCII letters and digits, or of CJK ideographs (the basic block, extension A, the
# compatibility block and the supplementary planes' extensions).
_RUN = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def fold(text: str | None) -> str:
    """Full-width to half-width (NFKC), lower case, no spaces or dashes: "３Ｆ－３０１" -> "3f301"."""
    if not text:
        return ""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=20_000)
def _segment_syllables(segment: str) -> tuple[str, ...]:
    """Pinyin of one word of a name, without tones ("lv" for 绿, as typed on a keyboard).

    Cached per word: company names share most of their words (有限公司, 平湖市, 电子, 科技), which
    makes a key ~10x cheaper than converting every name whole (a first sync of 30,000 tenants).
    """
    from pypinyin import lazy_pinyin  # ~0.3 s: at the first key computed, not at start-up

    return tuple(s for s in lazy_pinyin(segment, errors="ignore") if s.isascii() and s.isalpha())


def _pinyin(name: str) -> tuple[str, str]:
    """(whole pinyin, initials) of a name; an ASCII run ("ABC", "2") is kept whole in both."""
    from pypinyin.seg.mmseg import seg  # the phrase segmentation pypinyin itself uses

    whole: list[str] = []
    initials: list[str] = []
    for run in _RUN.findall(unicodedata.normalize("NFKC", name).lower()):
        if run.isascii():
            whole.append(run)
            initials.append(run)
            continue
        for segment in seg.cut(run):
            syllables = _segment_syllables(segment)
            whole.extend(syllables)
            initials.extend(s[0] for s in syllables)
    return "".join(whole), "".join(initials)


def tenant_search_key(name: str | None, contact_name: str | None, credit_code: str | None,
                      contact_phone: str | None, building: str | None, unit_no: str | None) -> str:
    """("平湖市佳美电子有限公司", "王建国", "91330482…", "138…", "2号楼", "3F-301") ->
    "平湖市佳美电子有限公司 王建国 91330482… 138… pinghushijiamei… phsjmdzyxgs 2号楼3f301".

    Called by SQLite inside the triggers of a write: it must not raise, or the write fails.
    """
    try:
        whole, initials = _pinyin(name or "")
    except Exception:  # noqa: BLE001 - a name pypinyin cannot convert is still found by its characters
        whole = initials = ""
    return " ".join((fold(name), fold(contact_name), fold(credit_code), fold(contact_phone), whole, initials,
                     fold(building) + fold(unit_no)))


def gram_token(word: str) -> str:
    """The index token of a word of one or two characters: the hex code points joined by "x"
    ("精密" -> "7cbex5bc6"). ASCII letters and digits only, so FTS5's ascii tokenizer keeps it
    whole whatever the characters are (punctuation, quotes, accents: the unicode61 tokenizer
    would split or fold them)."""
    return "x".join(f"{ord(c):x}" for c in word)


def tenant_search_grams(key: str | None) -> str:
    """The tokens (`gram_token`) of every one- and two-character piece of a search key, each once,
    separated by spaces: what `tenant_grams` (migration 0020) indexes for words too short for
    trigrams ("精", "jm", "56"). Pieces do not span the spaces between the key's parts: a folded
    word holds no space, so instr() never finds one across them either."""
    tokens: dict[str, None] = {}
    for part in (key or "").split(" "):
        for i, char in enumerate(part):
            tokens[gram_token(char)] = None
            if i + 1 < len(part):
                tokens[gram_token(part[i:i + SHORT])] = None
    return " ".join(tokens)


def register(conn: sqlite3.Connection) -> None:
    """Make `tenant_search_key` and `tenant_search_grams` callable by the triggers on this connection."""
    conn.create_function(SQL_FUNCTION, len(KEY_COLUMNS), tenant_search_key, deterministic=True)
    conn.create_function(GRAMS_FUNCTION, 1, tenant_search_grams, deterministic=True)
