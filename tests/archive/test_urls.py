"""Canonical URL rules: every variant of an article URL names one article."""

from __future__ import annotations

import pytest

from archive.urls import DEFAULT_RULES, UrlRules, parse_aliases

CANONICAL = "https://diendandoanhnghiep.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html"


@pytest.mark.parametrize("variant", [
    CANONICAL,
    CANONICAL + "?utm_source=facebook&utm_medium=social&utm_campaign=x",
    CANONICAL + "?fbclid=IwAR0x9k2LmQpZ",
    CANONICAL + "?zarsrc=30&utm_source=zalo&gidzl=abc",
    CANONICAL + "#box-comment",
    "http://diendandoanhnghiep.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html",
    "https://dddn.com.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html",
    "https://m.dddn.com.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html",
    "https://www.diendandoanhnghiep.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html",
    "https://diendandoanhnghiep.vn/cong-nghe/chuyen-doi-so/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html",
    "HTTPS://DienDanDoanhNghiep.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html",
])
def test_variants_share_one_canonical_url(variant: str) -> None:
    assert DEFAULT_RULES.canonical(variant) == CANONICAL
    assert DEFAULT_RULES.site_id(variant) == 203468


def test_meaningful_parameters_and_listings_are_kept() -> None:
    assert DEFAULT_RULES.canonical("https://diendandoanhnghiep.vn/search?q=v%C3%A0ng") == \
        "https://diendandoanhnghiep.vn/search?q=v%C3%A0ng"
    assert DEFAULT_RULES.canonical("https://diendandoanhnghiep.vn/chinh-tri-xa-hoi/kinh-te/") == \
        "https://diendandoanhnghiep.vn/chinh-tri-xa-hoi/kinh-te"
    assert DEFAULT_RULES.site_id("https://diendandoanhnghiep.vn/chinh-tri-xa-hoi/kinh-te") is None


def test_extra_aliases_and_same_site() -> None:
    rules = UrlRules().with_aliases(parse_aliases("localhost:8000=127.0.0.1:8000"))
    assert rules.canonical("http://localhost:8000/a-b-10150001.html?utm_source=x") == \
        "http://127.0.0.1:8000/a-b-10150001.html"
    assert rules.same_site("http://localhost:8000/x", "http://127.0.0.1:8000/")
    assert not rules.same_site("https://facebook.com/sharer", "http://127.0.0.1:8000/")


def test_bad_alias_is_refused() -> None:
    with pytest.raises(ValueError, match="alias=host"):
        parse_aliases("dddn.com.vn")
