"""The page object every template specialises: one `@field` method per Article key.

The base reads what any news page has (canonical link, Open Graph, JSON-LD, meta tags); a template's
page object reads its own markup first and falls back to these.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar

from lxml.html import HtmlElement

from archive.extract import conventions, dates
from archive.extract.blocks import Body, read_body
from archive.extract.html import (
    absolute,
    clean,
    first,
    first_text,
    json_ld,
    ld_breadcrumbs,
    ld_date,
    ld_names,
    ld_text,
    select,
    text_of,
)
from archive.extract.model import Article, Block, Image, Link
from archive.extract.pages.fields import FIELD_ERROR, field, field_names
from archive.urls import UrlRules

DATELINE = re.compile(r"^(?:Diendandoanhnghiep\.vn|\(?DĐDN\)?|\(?Diễn đàn Doanh nghiệp\)?)\s*[-–—:]?\s*", re.I)


ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
                 "BlogPosting", "Report")


class Page:
    template: ClassVar[str] = "none"
    markers: ClassVar[tuple[str, ...]] = ()  # selectors that must all be present for `matches`
    hints: ClassVar[tuple[str, ...]] = ()  # substrings of the raw page that make `matches` worth asking
    container_selector: ClassVar[str] = ""
    scope_selector: ClassVar[str] = ""  # the element holding title, lead, byline and date
    title_selectors: ClassVar[tuple[str, ...]] = ()
    lead_selectors: ClassVar[tuple[str, ...]] = ()
    author_selectors: ClassVar[tuple[str, ...]] = ()
    date_selectors: ClassVar[tuple[str, ...]] = ()
    breadcrumb_selector: ClassVar[str] = ""
    tag_selectors: ClassVar[tuple[str, ...]] = ()
    related_selectors: ClassVar[tuple[str, ...]] = ()

    def __init__(self, doc: HtmlElement, url: str, rules: UrlRules, fetched_at: datetime | None = None) -> None:
        self.doc, self.url, self.rules, self.fetched_at = doc, url, rules, fetched_at
        self.field_errors: list[str] = []

    @classmethod
    def matches(cls, doc: HtmlElement) -> bool:
        return all(first(doc, marker) is not None for marker in cls.markers)

    def to_article(self) -> Article:
        values: dict[str, Any] = {name: getattr(self, name) for name in field_names(type(self))}
        values["canonical_url"] = values["canonical_url"] or self.url
        values["flags"] = [*values["flags"], *(FIELD_ERROR + name for name in self.field_errors)]
        return Article(url=self.url, template=self.template, **values)

    # -- fields --------------------------------------------------------------------------------
    @field
    def canonical_url(self) -> str:
        links = self.head.xpath('link[@rel="canonical"]/@href')
        return self.rules.canonical(absolute(self.url, links[0]) if links else self.url)

    @field
    def site_id(self) -> int | None:
        return self.rules.site_id(self.canonical_url) or self.rules.site_id(self.url)

    @field
    def title(self) -> str:
        return (first_text(self.scope, *self.title_selectors) or self.meta("og:title")
                or ld_text(self.article_ld.get("headline")) or first_text(self.region, "h1")
                or first_text(self.doc, "h1", "title"))

    @field
    def lead(self) -> str:
        """The template's lead, the lead the page shows (`conventions.visible_lead`), then the description
        in its metadata."""
        text = (first_text(self.scope, *self.lead_selectors)
                or conventions.visible_lead(self.region, self.title_element)
                or self.meta("description", "og:description"))
        return DATELINE.sub("", text)

    @cached_property
    def title_element(self) -> HtmlElement | None:
        return next((h for h in self.region.iter("h1") if text_of(h)), None)

    @field
    def author(self) -> list[str]:
        """The template's byline, the page's conventional byline, the body's closing byline, JSON-LD, meta."""
        text = (conventions.byline_text(first_text(self.scope, *self.author_selectors))
                or conventions.author_line(self.region) or self.closing_byline)
        if text:
            return split_names(text)
        return unique(n for name in ld_names(self.article_ld.get("author")) for n in split_names(name)) or (
            split_names(self.meta("author", "article:author")))

    @field
    def published(self) -> datetime | None:
        return self.plausible(
            dates.parse_any(ld_date(self.article_ld.get("datePublished"))),
            dates.parse_any(self.meta("article:published_time", "datePublished", "pubdate")),
            dates.parse_visible(first_text(self.scope, *self.date_selectors)) if self.date_selectors else None,
        ) or self.plausible(conventions.header_date(self.region))  # the scan only when nothing better

    @field
    def updated(self) -> datetime | None:
        return self.plausible(dates.parse_any(ld_date(self.article_ld.get("dateModified"))),
                              dates.parse_any(self.meta("article:modified_time", "dateModified")))

    @field
    def section_path(self) -> list[str]:
        """The trail from the top section down to the article's: the breadcrumb (the template's, JSON-LD's,
        a conventional one, a plain line of links) without the home page and without a last crumb that is
        the article's own title; ordered so that it ends with the section the page declares
        (`article:section`, JSON-LD `articleSection`) or marks as current (`is-active`, `aria-current`)."""
        names = [text_of(a) for a in select(self.doc, self.breadcrumb_selector)] if self.breadcrumb_selector else []
        names = (names or ld_breadcrumbs(json_ld(self.doc, "BreadcrumbList")) or conventions.breadcrumbs(self.doc)
                 or conventions.link_trail(self.doc))
        names = unique(n for n in names if n and n.casefold() not in conventions.HOME_CRUMBS)
        if names and self.title and clean(names[-1]).casefold() == clean(self.title).casefold():
            names = names[:-1]
        declared = self.declared_section or (conventions.current_crumb(self.doc) if names else "")
        if declared:
            return [*(n for n in names if n != declared), declared]
        return names

    @field
    def section(self) -> str:
        return (self.section_path or [""])[-1]

    @cached_property
    def declared_section(self) -> str:
        """The section the page declares in its metadata."""
        found = self.article_ld.get("articleSection")
        if isinstance(found, list):
            found = found[0] if found else ""
        return self.meta("article:section") or (clean(found) if isinstance(found, str) else "")

    @field
    def tags(self) -> list[str]:
        """The template's tag block, a conventional one, `article:tag` meta, then the keywords meta line."""
        for selector in self.tag_selectors:
            if found := conventions.tag_texts(select(self.doc, selector)):
                return found
        if found := conventions.tags_in(self.region):
            return found
        return (conventions.tag_names(self.metas.get("article:tag", []))
                or conventions.keywords(self.meta("news_keywords", "keywords")))

    @field
    def blocks(self) -> list[Block]:
        return self.body.blocks

    @field
    def images(self) -> list[Image]:
        return self.body.images

    @field
    def related(self) -> list[Link]:
        links = list(self.body.related)
        for selector in self.related_selectors:
            links += [Link(self.rules.canonical(absolute(self.url, a.get("href"))), text_of(a))
                      for a in select(self.doc, selector) if a.get("href")]
        return links

    @field
    def language(self) -> str:
        return (self.doc.get("lang") or self.meta("og:locale") or "vi").split("-")[0].split("_")[0].lower()

    @field
    def flags(self) -> list[str]:
        return []

    # -- shared work ---------------------------------------------------------------------------
    @cached_property
    def metas(self) -> dict[str, list[str]]:
        """Every non-empty <meta> content by its `name`, `property` or `itemprop`, in page order: one walk
        of the page for all the names the fields ask for."""
        found: dict[str, list[str]] = {}
        for el in self.doc.iter("meta"):
            if value := clean(el.get("content")):
                for key in dict.fromkeys(k for k in (el.get("name"), el.get("property"), el.get("itemprop")) if k):
                    found.setdefault(key, []).append(value)
        return found

    def meta(self, *names: str) -> str:
        """The first <meta> content among the names, in the order they are given."""
        return next((self.metas[name][0] for name in names if name in self.metas), "")

    @cached_property
    def head(self) -> HtmlElement:
        found = self.doc.find("head")
        return found if found is not None else self.doc

    @cached_property
    def container(self) -> HtmlElement | None:
        return first(self.doc, self.container_selector) if self.container_selector else None

    @cached_property
    def scope(self) -> HtmlElement:
        """Where the article's own header fields are looked for; the whole page if unsure."""
        if self.scope_selector == self.container_selector and self.container is not None:
            return self.container
        found = first(self.doc, self.scope_selector) if self.scope_selector else None
        return found if found is not None else self.doc

    @cached_property
    def region(self) -> HtmlElement:
        """The part of the page that is the article (header, body, byline, tags): where conventions look."""
        return self.scope

    @cached_property
    def closing_byline(self) -> str:
        """The body's last paragraph when it is a byline (see `prepare_container`, which drops it)."""
        byline = conventions.byline_paragraph(self.container) if self.container is not None else None
        return conventions.byline_text(text_of(byline)) if byline is not None else ""

    @cached_property
    def article_ld(self) -> dict[str, Any]:
        return json_ld(self.doc, *ARTICLE_TYPES)

    @cached_property
    def body(self) -> Body:
        if self.container is None:
            return Body()
        return read_body(self.prepare_container(copy.deepcopy(self.container)), self.url, self.rules)

    def prepare_container(self, container: HtmlElement) -> HtmlElement:
        """Drops what a template keeps inside its container but outside the article: the closing byline
        (and, in templates that have one there, the header)."""
        byline = conventions.byline_paragraph(container)
        if byline is not None:
            byline.drop_tree()
        return container

    def plausible(self, *candidates: datetime | None) -> datetime | None:
        """The first candidate that is not after the fetch: a time in the future is a render stamp."""
        for value in candidates:
            if value and (self.fetched_at is None or value <= self.fetched_at + timedelta(hours=1)):
                return value
        return None


def split_names(text: str) -> list[str]:
    """"A, B" (OneCMS) and "A - B" (PHP era) bylines into names."""
    return unique(n for part in re.split(r",|\s[-–]\s|\s&\s|;", text) if (n := clean(part)))


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
