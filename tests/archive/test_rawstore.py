"""The raw store: content-addressed, compressed, trained on the site, verified on read."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from archive import rawstore
from archive.database import Archive
from archive.models import CompressionDictionary, RawBody
from tests.http import fetch
from tests.replica import Replica


def test_bodies_are_stored_once_and_read_back_verified(sqlite_url: str) -> None:
    arch = Archive(sqlite_url)
    with arch.transaction() as s:
        digest, new = rawstore.put(s, b"<html>mot</html>")
        again, new_again = rawstore.put(s, b"<html>mot</html>")
    assert (new, new_again, digest == again) == (True, False, True)
    with arch.transaction(write=False) as s:
        assert rawstore.get(s, digest) == b"<html>mot</html>"
    with arch.transaction() as s:
        s.execute(update(RawBody).values(data=rawstore._compressor(s, None).compress(b"<html>hai</html>")))
    with arch.transaction(write=False) as s, pytest.raises(rawstore.CorruptBody):
        rawstore.get(s, digest)


def test_a_dictionary_is_trained_on_site_pages(sqlite_url: str) -> None:
    arch = Archive(sqlite_url)
    with Replica(articles=120, seed=5) as rep:
        pages = [fetch(rep.base_url + a.path).body for a in rep.site.visible()[:rawstore.TRAIN_AFTER + 20]]
    with arch.transaction() as s:
        digests = [rawstore.put(s, page)[0] for page in pages]
    with arch.transaction(write=False) as s:
        assert s.query(CompressionDictionary).count() == 1
        rows = s.query(RawBody).all()
        plain = [r for r in rows if r.dictionary_id is None]
        packed = [r for r in rows if r.dictionary_id is not None]
        assert len(plain) == rawstore.TRAIN_AFTER and packed
        ratio = sum(r.stored_size for r in packed) / sum(r.size for r in packed)
        assert ratio < 0.10
        assert [rawstore.get(s, d) for d in digests] == pages
