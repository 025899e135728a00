"""`clean`, the one normaliser of every text the extractor reads: its shortcut for text that is clean
already must give what the general rule gives, on any text at all."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from archive.extract.html import clean

BLANKS = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


def by_the_rule(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def test_every_blank_but_the_space_is_unprintable() -> None:
    # the shortcut's premise: a printable text holds no blank that splitting would fold
    assert [b for b in BLANKS if b.isprintable()] == [" "]


@given(st.lists(st.one_of(st.text(), st.sampled_from(BLANKS), st.sampled_from(["Đổi mới", "e\u0301", "  "])))
       .map("".join))
def test_clean_is_the_rule_on_any_text(text: str) -> None:
    assert clean(text) == by_the_rule(text)
    assert clean(clean(text)) == clean(text)


def test_clean_keeps_a_clean_text_and_folds_blanks_in_one_that_is_not() -> None:
    assert clean("Doanh nghiệp Thanh Hóa") == "Doanh nghiệp Thanh Hóa"
    assert clean("\u00a0Doanh\tnghiệp \n Thanh  Hóa ") == "Doanh nghiệp Thanh Hóa"
    assert clean("Hoa\u0300") == "Hoà"
