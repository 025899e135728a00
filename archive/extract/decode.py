"""Bytes to Unicode text: charset from header, BOM or markup, else by trial.

Text is not normalized here: the page is mostly markup, and every field passes through `html.clean`,
which makes it NFC (windows-1258 pages decode to combining tone marks)."""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Mapping

MAX_HTML_BYTES = 16 * 1024 * 1024  # a real article page is ~150 KB; past this only the head is read
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_.:-]+)", re.I)
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x00\x00\x01\x00", b"RIFF")


class NotHtml(ValueError):
    """The bytes are not a web page (an image, an archive, binary noise)."""


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """The page as text, and whether it had to be cut to MAX_HTML_BYTES."""
    body = _gunzip_if_needed(body)
    truncated = len(body) > MAX_HTML_BYTES
    body = body[:MAX_HTML_BYTES]
    if body.startswith(_BINARY_MAGIC) or body[:4096].count(b"\x00") > 8:
        raise NotHtml("binary content")
    text = _decode(body, _declared_charsets(body, headers))
    return text, truncated


def _gunzip_if_needed(body: bytes) -> bytes:
    """A `.html.gz` file, or a body stored still gzip-encoded."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error):
        out = zlib.decompressobj(31)  # a truncated gzip stream: keep what there is
        try:
            return out.decompress(body)
        except zlib.error as exc:
            raise NotHtml(f"broken gzip data: {exc}") from None


def _declared_charsets(body: bytes, headers: Mapping[str, str] | None) -> list[str]:
    found: list[str] = []
    if body.startswith(codecs.BOM_UTF8):
        found.append("utf-8-sig")
    for name, value in (headers or {}).items():
        if name.lower() == "content-type" and (m := _HEADER_CHARSET.search(value)):
            found.append(m[1])
    if declared := _META_CHARSET.search(body[:8192]):
        found.append(declared[1].decode("ascii"))
    return found


def _decode(body: bytes, declared: list[str]) -> str:
    # A declaration can lie (a page labelled utf-8 but saved in windows-1258): a declared charset is used
    # only when the bytes decode cleanly in it; otherwise UTF-8, then the Vietnamese code page.
    # A page cut short may end inside a character: that tail is left out (final=False), not an error.
    for name in [*declared, "utf-8", "cp1258"]:
        try:
            return codecs.getincrementaldecoder(_codec(name))().decode(body, final=False)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")


def _codec(name: str) -> str:
    name = name.strip().lower()
    return {"windows-1258": "cp1258", "x-user-defined": "latin-1"}.get(name, name)
