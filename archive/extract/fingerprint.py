"""The content fingerprint: a hash over the fields that are the article, never over the page around it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from archive.extract.html import clean
from archive.extract.model import Article


def fingerprint(article: Article) -> str:
    """Stable across templates, noise and whitespace; changes when title, lead, body, authors,
    publication minute or tags change. Tags are a set: the site reorders them freely."""
    published = article.published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if article.published else None
    payload = {
        "title": clean(article.title),
        "lead": clean(article.lead),
        "text": [line for line in map(clean, article.text.splitlines()) if line],
        "author": [clean(a) for a in article.author],
        "published": published,
        "tags": sorted({clean(t).casefold() for t in article.tags}),
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
