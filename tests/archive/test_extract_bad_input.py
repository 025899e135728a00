"""Bad pages give a flagged result, never an exception or a hang."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.extract import extract
from archive.extract.model import EMPTY_BODY, NOT_HTML, TRUNCATED_INPUT

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
URL = "https://diendandoanhnghiep.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html"
PAGE = (FIXTURES / "legacy-article" / "input.html").read_bytes()


@pytest.mark.parametrize(("body", "flag"), [
    (b"", EMPTY_BODY),
    (b"   \n\t ", EMPTY_BODY),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, NOT_HTML),
    (bytes(range(256)) * 40, NOT_HTML),
    (b"\x1f\x8b\x08\x00garbage-not-gzip", NOT_HTML),
    (b"<html><body><div>", EMPTY_BODY),
])
def test_hopeless_input_is_flagged(body: bytes, flag: str) -> None:
    article = extract(body, URL)
    assert flag in article.flags and not article.ok


def test_truncated_page_keeps_what_arrived() -> None:
    article = extract(PAGE[: len(PAGE) // 2], URL)
    assert article.title and article.blocks
    assert article.text in extract(PAGE, URL).text


def test_gzip_file_and_truncated_gzip() -> None:
    whole = extract(gzip.compress(PAGE), URL)
    assert whole.text == extract(PAGE, URL).text
    cut = gzip.compress(PAGE)
    assert extract(cut[: len(cut) * 2 // 3], URL).title == whole.title


def test_windows_1258_without_any_declaration() -> None:
    body = (FIXTURES / "charset-windows-1258" / "input.html").read_bytes().replace(b"windows-1258", b"")
    assert extract(body, URL).title == extract(PAGE, URL).title


def test_declared_charset_that_lies_is_not_believed() -> None:
    body = (FIXTURES / "charset-windows-1258" / "input.html").read_bytes()
    article = extract(body, URL, {"Content-Type": "text/html; charset=utf-8"})
    assert article.title == extract(PAGE, URL).title


def test_str_input_is_accepted() -> None:
    assert extract(PAGE.decode("utf-8"), URL).fingerprint == extract(PAGE, URL).fingerprint


@pytest.mark.slow
def test_fifty_megabyte_page() -> None:
    filler = b"<div class='x'><p>" + "Tin tức doanh nghiệp. ".encode() * 40 + b"</p></div>\n"
    body = PAGE.replace(b"</body>", filler * (50 * 1024 * 1024 // len(filler)) + b"</body>")
    assert len(body) > 50 * 1024 * 1024
    article = extract(body, URL)
    assert TRUNCATED_INPUT in article.flags
    assert article.title == extract(PAGE, URL).title


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(body: bytes) -> None:
    article = extract(body, URL)
    assert article.parser_version and article.fingerprint
    assert article.blocks or EMPTY_BODY in article.flags


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(PAGE)), st.integers(0, 4000), st.binary(max_size=64)), max_size=8))
def test_mutated_pages_never_raise(edits: list[tuple[int, int, bytes]]) -> None:
    body = bytearray(PAGE)
    for at, cut, insert in edits:
        body[at: at + cut] = insert
    article = extract(bytes(body), URL)
    assert article.blocks or EMPTY_BODY in article.flags
