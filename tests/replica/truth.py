"""Ground truth: what an ideal extractor returns for each article at the current clock."""

from __future__ import annotations

from typing import Any

from . import site as sitemod
from .render import Renderer, legacy_variant
from .site import ArticleMeta, Site


def clean(text: str) -> str:
    """Whitespace as a reader sees it: the seed's no-break spaces and runs of blanks become one space."""
    return " ".join(text.split())


def block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The article body as lines of text: paragraphs, headings, quotes, list items, table rows."""
    out: list[str] = []
    for b in blocks:
        if b["type"] in ("p", "h2", "quote"):
            out.append(b["text"])
        elif b["type"] == "box":  # a factbox is the article's text
            out.extend(b["paragraphs"])
        elif b["type"] == "list":
            out.extend(b["items"])
        elif b["type"] == "table":
            out.extend(" | ".join(row) for row in b["rows"])
    return [clean(line) for line in out]


def template_of(site: Site, meta: ArticleMeta) -> str:
    template = site.template_at()
    return "emagazine" if template == "current" and meta.kind == "emagazine" else template


def article_truth(site: Site, r: Renderer, meta: ArticleMeta) -> dict[str, Any]:
    now = site.now
    c = site.content(meta)
    template = template_of(site, meta)
    related = [{"url": r.url(site.by_id[b["id"]]), "title": b["title"]} for b in c["blocks"] if b["type"] == "related"]
    if template != "legacy":
        related += [{"url": r.url(a), "title": r.title(a)} for a in sitemod.related_box(site, meta)]
        related += [{"url": r.url(a), "title": r.title(a)} for a in sitemod.dont_miss(site, meta)]
    gone = meta.is_gone(now)
    form = legacy_variant(site.seed, meta, now) if template == "legacy" else {}
    return {
        "site_id": meta.id,
        "canonical_url": r.url(meta),
        "status": "gone" if gone else "live",
        "http_status": meta.gone_status if gone else 200,
        "template": template,
        "kind": meta.kind,
        "version": meta.version_at(now),
        "title": clean(c["title"]),
        "lead": clean(c["lead"]),
        "body": block_texts(c["blocks"]),
        "blocks": [b for b in c["blocks"] if b["type"] != "related"],
        "images": [{"src": b["src"], "caption": clean(b["caption"])} for b in c["blocks"] if b["type"] == "figure"],
        "authors": c["authors"],
        "published": meta.published.isoformat(),
        "updated": meta.updated_at(now).isoformat(),
        "section": meta.section.name,
        "section_path": [s.name for s in meta.section.trail],
        "section_slug": meta.section.path,
        "tags": c["tags"],
        "related": related,
        "form": form,  # which markup a legacy page uses for each part (see render.legacy_variant)
        # a page without machine-readable dates shows the time to the minute only
        "published_precision": "minute" if form.get("head") == 1 else "second",
    }


def site_truth(site: Site, r: Renderer) -> list[dict[str, Any]]:
    """Every article published by now, live or gone, newest first."""
    return [article_truth(site, r, a) for a in reversed(site.published_before(site.now))]
