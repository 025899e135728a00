"""Folding: case, diacritics and đ/Đ, the same way for what is indexed and what is asked.

SQLite's `remove_diacritics 2` and PostgreSQL's `unaccent` leave đ alone (it is a letter of its own, not
d with a mark), so folding happens here, in Python, for both databases alike.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A word as SQLite's unicode61 tokenizer sees one: letters, marks and digits.
WORD = re.compile(r"[^\W_]+", re.UNICODE)
# The letters that are no letter plus a mark.
_SPECIAL = {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o"}
# The Unicode blocks of combining diacritical marks (Vietnamese uses the first).
MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# The eight marks Vietnamese writes (circumflex, acute, dot below, grave, horn, hook above, breve, tilde).
# Nearly every word carries one, which makes a regex substitution slow (one match each); `str.replace`
# removes each mark throughout at string speed, and the regex is left the rare others.
_VIETNAMESE_MARKS = dict.fromkeys(("\u0302", "\u0301", "\u0323", "\u0300", "\u031b", "\u0309", "\u0306", "\u0303"), "")


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    return MARKS.sub("", unicodedata.normalize("NFD", _replaced(char, _SPECIAL))).casefold()


def fold(text: str) -> str:
    """"Chuyển đổi SỐ" -> "chuyen doi so". The same as folding each character with `fold_char`, at the
    speed of whole-string operations."""
    if text.isascii():
        return text.casefold()
    text = _replaced(unicodedata.normalize("NFD", _replaced(text, _SPECIAL)), _VIETNAMESE_MARKS)
    return MARKS.sub("", text).casefold()


def _replaced(text: str, table: dict[str, str]) -> str:
    """Each character of `table` in `text` replaced by its value, one by one: `str.translate` with a table
    does the same several times slower, and the index folds every page's text."""
    for char, plain in table.items():
        if char in text:
            text = text.replace(char, plain)
    return text


def exact(text: str) -> str:
    """Case folded, diacritics kept: what `--exact` matches."""
    return unicodedata.normalize("NFC", text).casefold()


def words(text: str) -> list[str]:
    return WORD.findall(text)


@lru_cache(maxsize=1)
def _spellings() -> dict[str, str]:
    """Each ASCII letter and digit -> a regex character class of every composed character that folds to it
    (a: a, á, à, ả, ã, ạ, ă, ắ, …, A, Á, …)."""
    found: dict[str, set[str]] = {}
    for code in [*range(0x30, 0x7B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        if len(plain := fold_char(char)) == 1 and plain.isascii() and plain.isalnum():
            found.setdefault(plain, {plain}).update(c for c in (char, char.upper()) if len(c) == 1)
    return {plain: "[" + "".join(sorted(chars)) + "]" for plain, chars in found.items()}


def spelled_any_way(word: str) -> str:
    """A regular expression that matches `word` in any spelling that folds to what it folds to: "chuyen"
    matches "chuyển" and "CHUYỂN" in composed text, which is then searched as it is, without folding it."""
    classes = _spellings()
    return "".join(classes.get(c, re.escape(c)) for c in fold(word))
