"""What a search index answers, to compare two ways of building one: for every word of every searchable
article's title, the articles it finds, and whether each is found with its exact spelling too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from archive.database import Archive
from archive.models import SearchDoc
from archive.search import store
from archive.search.engine import matching_query
from archive.search.fold import words
from archive.search.query import parse


def answers(url: str, rebuild: bool = False) -> dict[str, Any]:
    """The index of the archive at `url`, caught up (or rebuilt), asked every title word."""
    archive = Archive(url)
    try:
        index = store.for_engine(archive.engine, archive.url)
        if rebuild:
            index.rebuild()
        else:
            index.catch_up(wait=True)
        searcher = index.searcher()
        with archive.transaction(write=False) as session:
            titles = session.scalars(select(SearchDoc.title)).all()
        asked = sorted({w for title in titles for w in words(title)})
        out: dict[str, Any] = {"all": sorted(store.every_article(searcher, matching_query(None, False)))}
        for word in asked:
            node = parse(word)
            out[word] = (sorted(store.every_article(searcher, matching_query(node, False))),
                         sorted(store.every_article(searcher, matching_query(node, True))))
        return out
    finally:
        archive.close()
