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
_SPECIAL = {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o"}


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base.casefold()


def fold(text: str) -> str:
    """"Chuyển đổi SỐ" -> "chuyen doi so"."""
    if text.isascii():
        return text.casefold()
    return "".join(fold_char(c) for c in unicodedata.normalize("NFC", text))


def exact(text: str) -> str:
    """Case folded, diacritics kept: what `--exact` matches."""
    return unicodedata.normalize("NFC", text).casefold()


def words(text: str) -> list[str]:
    return WORD.findall(text)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the offset of the character it came from, so a
    match found in folded text can be shown in the original."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        out.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(out), offsets
