"""Fetched bodies, content-addressed by SHA-256 and compressed with zstd, stored once and never changed.

Once enough pages are stored, a zstd dictionary is trained on them: the site's pages share most of
their bytes (CSS, menus, footers), so later bodies shrink to a few percent of their size.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import zstandard
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from archive.models import CompressionDictionary, RawBody

LEVEL = 3
TRAIN_AFTER = 64  # bodies stored without a dictionary before one is trained
TRAIN_SAMPLES = 200
DICTIONARY_BYTES = 112 * 1024


STORED = select(RawBody.sha256).where(RawBody.sha256 == bindparam("sha256"))
# one statement for "store it unless it is there"
INSERT_NEW = {"sqlite": sqlite_insert(RawBody).on_conflict_do_nothing().returning(RawBody.sha256),
              "postgresql": postgresql_insert(RawBody).on_conflict_do_nothing().returning(RawBody.sha256)}
LATEST_DICTIONARY = select(func.max(CompressionDictionary.id))


class CorruptBody(Exception):
    """A stored body no longer matches its address."""


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Packed:
    """A body hashed and compressed, ready to store: the costly part of `put`, which can run anywhere."""

    digest: str
    size: int
    data: bytes
    dictionary_id: int | None


def pack(session: Session, body: bytes, digest: str | None = None) -> Packed:
    """`body` compressed with the archive's dictionary as it stands (read, never trained, here)."""
    dictionary_id = session.scalar(LATEST_DICTIONARY)
    data = _compressor(session, dictionary_id).compress(body)
    return Packed(digest or sha256(body), len(body), data, dictionary_id)


def put(session: Session, body: bytes, digest: str | None = None) -> tuple[str, bool]:
    """Stores `body` (whose SHA-256 may be passed in) unless it is already there; its address, and
    whether it was new."""
    digest = digest or sha256(body)
    if session.scalar(STORED, {"sha256": digest}) is not None:
        return digest, False  # spares the compression
    _dictionary_id(session)  # trained first, once enough plain bodies are stored, so that this one uses it
    return digest, put_packed(session, pack(session, body, digest))


def put_packed(session: Session, packed: Packed) -> bool:
    """Stores a packed body unless it is already there; whether it was new. A body packed before the
    archive had a dictionary is stored as it is, and counts towards training one."""
    conn = session.connection()
    if packed.dictionary_id is None:
        _dictionary_id(session)  # trains one once enough plain bodies are stored
    new = conn.execute(INSERT_NEW[conn.dialect.name], dict(
        sha256=packed.digest, size=packed.size, stored_size=len(packed.data), data=packed.data,
        stored_at=datetime.now(UTC), dictionary_id=packed.dictionary_id))
    return new.first() is not None


def get(session: Session, digest: str) -> bytes:
    """The body at `digest`, verified against it."""
    row = session.get(RawBody, digest)
    if row is None:
        raise KeyError(digest)
    body = unpack(session, row.dictionary_id, row.data)
    if sha256(body) != digest:
        raise CorruptBody(f"raw body {digest} does not match its hash")
    return body


def unpack(session: Session, dictionary_id: int | None, data: bytes) -> bytes:
    """A stored body's bytes, decompressed with the dictionary it was packed with (not checked against its
    address: `get` does that). Raises `zstandard.ZstdError` for data that does not decompress."""
    return _decompressor(session, dictionary_id).decompress(data)


def _dictionary_id(session: Session) -> int | None:
    """The dictionary new bodies are packed with; trained once enough pages are stored."""
    found = session.scalar(LATEST_DICTIONARY)
    if found is not None:
        return int(found)
    plain = session.scalar(select(func.count()).select_from(RawBody).where(RawBody.dictionary_id.is_(None))) or 0
    if plain < TRAIN_AFTER:
        return None
    trained = train(session)
    return trained.id if trained else None


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


# Dictionaries never change once stored, so each is read from the database once per process.
_codecs: dict[tuple[str, int | None], tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]] = {}


def _codec(session: Session, dictionary_id: int | None) -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    key = (str(session.get_bind().engine.url), dictionary_id)
    if key not in _codecs:
        if dictionary_id is None:
            _codecs[key] = (zstandard.ZstdCompressor(level=LEVEL, write_checksum=True), zstandard.ZstdDecompressor())
        else:
            row = session.get(CompressionDictionary, dictionary_id)
            assert row is not None
            data = zstandard.ZstdCompressionDict(row.data)
            _codecs[key] = (zstandard.ZstdCompressor(level=LEVEL, dict_data=data, write_checksum=True),
                            zstandard.ZstdDecompressor(dict_data=data))
    return _codecs[key]


def _compressor(session: Session, dictionary_id: int | None) -> zstandard.ZstdCompressor:
    return _codec(session, dictionary_id)[0]


def _decompressor(session: Session, dictionary_id: int | None) -> zstandard.ZstdDecompressor:
    return _codec(session, dictionary_id)[1]
