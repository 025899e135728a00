"""The content fingerprint: a hash over the fields that are the article, never over the page around it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from archive.extract.html import clean
from archive.extract.model import Article


def fingerprint(article: Article) -> str:
    """Stable across templates, noise and whitespace; changes when title, lead, body, authors,
    publication minute or tags change. Tags are a set: the site reorders them freely."""
    return _of(article.title, article.lead, article.text, article.author, article.published, article.tags)


def fingerprint_of_fields(fields: dict[str, Any]) -> str:
    """The same fingerprint, from an extraction's stored fields (`Article.to_dict`): what a fixity audit
    recomputes."""
    published = fields.get("published")
    return _of(fields.get("title") or "", fields.get("lead") or "", fields.get("text") or "",
               fields.get("author") or [], datetime.fromisoformat(published) if published else None,
               fields.get("tags") or [])


def _of(title: str, lead: str, text: str, authors: Iterable[str], published: datetime | None,
        tags: Iterable[str]) -> str:
    payload = {
        "title": clean(title),
        "lead": clean(lead),
        "text": [line for line in map(clean, text.splitlines()) if line],
        "author": [clean(a) for a in authors],
        "published": published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if published else None,
        "tags": sorted({clean(t).casefold() for t in tags}),
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
