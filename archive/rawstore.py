"""Fetched bodies, content-addressed by SHA-256 and compressed with zstd, stored once and never changed.

Once enough pages are stored, a zstd dictionary is trained on them: the site's pages share most of
their bytes (CSS, menus, footers), so later bodies shrink to a few percent of their size.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache

import zstandard
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import CompressionDictionary, RawBody

LEVEL = 3
TRAIN_AFTER = 64  # bodies stored without a dictionary before one is trained
TRAIN_SAMPLES = 200
DICTIONARY_BYTES = 112 * 1024


class CorruptBody(Exception):
    """A stored body no longer matches its address."""


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def put(session: Session, body: bytes) -> tuple[str, bool]:
    """Stores `body` unless it is already there; its address, and whether it was new."""
    digest = sha256(body)
    if session.scalar(select(RawBody.sha256).where(RawBody.sha256 == digest)) is not None:
        return digest, False
    dictionary = _dictionary(session)
    data = _compressor(dictionary.id if dictionary else None, dictionary.data if dictionary else b"").compress(body)
    session.add(RawBody(sha256=digest, size=len(body), stored_size=len(data), data=data, stored_at=datetime.now(UTC),
                        dictionary_id=dictionary.id if dictionary else None))
    session.flush()  # before the fetch that refers to it
    return digest, True


def get(session: Session, digest: str) -> bytes:
    """The body at `digest`, verified against it."""
    row = session.get(RawBody, digest)
    if row is None:
        raise KeyError(digest)
    dictionary = session.get(CompressionDictionary, row.dictionary_id) if row.dictionary_id else None
    body = _decompressor(row.dictionary_id, dictionary.data if dictionary else b"").decompress(row.data)
    if sha256(body) != digest:
        raise CorruptBody(f"raw body {digest} does not match its hash")
    return body


def _dictionary(session: Session) -> CompressionDictionary | None:
    found = session.scalars(select(CompressionDictionary).order_by(CompressionDictionary.id.desc()).limit(1)).first()
    if found is not None:
        return found
    plain = session.scalar(select(func.count()).select_from(RawBody).where(RawBody.dictionary_id.is_(None))) or 0
    if plain < TRAIN_AFTER:
        return None
    return train(session)


def train(session: Session) -> CompressionDictionary | None:
    """Trains a dictionary on a sample of the stored pages (HTML only: images would teach it nothing)."""
    digests = session.scalars(select(RawBody.sha256).order_by(RawBody.stored_at.desc()).limit(TRAIN_SAMPLES)).all()
    samples: list[bytes | bytearray | memoryview] = [
        body for body in (get(session, d) for d in digests) if body.lstrip()[:1] == b"<"]
    if len(samples) < 8:
        return None
    try:
        trained = zstandard.train_dictionary(DICTIONARY_BYTES, samples, level=LEVEL)
    except zstandard.ZstdError:
        return None  # too little material: keep storing without a dictionary
    row = CompressionDictionary(data=trained.as_bytes(), samples=len(samples), trained_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    return row


@lru_cache(maxsize=8)
def _compressor(dictionary_id: int | None, data: bytes) -> zstandard.ZstdCompressor:
    if dictionary_id is None:
        return zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=zstandard.ZstdCompressionDict(data), write_checksum=True)


@lru_cache(maxsize=8)
def _decompressor(dictionary_id: int | None, data: bytes) -> zstandard.ZstdDecompressor:
    if dictionary_id is None:
        return zstandard.ZstdDecompressor()
    return zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(data))
