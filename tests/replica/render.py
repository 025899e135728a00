"""Turns the site model into what the real site serves: HTML in two generations, JSON, RSS, sitemaps.

Templates live in `templates/legacy` (the PHP CMS, ≈2018–2023) and `templates/current` (OneCMS,
2024–); which one renders depends on the clock, never on the article.
"""

from __future__ import annotations

import base64
import html
import json
import random
import re
from datetime import datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from . import site as sitemod
from . import vocab
from .site import VN, ArticleMeta, Section, Site

LEGACY_PAGE_SIZE = 15
LEGACY_LATEST = f"{vocab.LATEST_CHANNEL[0]}-c{vocab.LATEST_CHANNEL[2]}"
CURRENT_PAGE_SIZE = 15
API_PAGE_SIZE = 10
PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAIAAAMLCwgAAACH5BAAAAAAALAAAAAABAAEAAAICRAEAOw=="  # lazy images' grey
TRACKING = ["utm_source=facebook&utm_medium=social&utm_campaign=dddn", "fbclid=IwAR0x9k2LmQpZ",
            "zarsrc=30&utm_source=zalo&utm_medium=zalo&utm_campaign=zalo", "gidzl=Xk2pL9"]


def us_time(d: datetime) -> str:
    """The meta tag's US-style stamp, "5/27/2026 2:51:01 PM"."""
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year} {hour}:{d:%M:%S} {'AM' if d.hour < 12 else 'PM'}"


def entity_escape(text: str) -> str:
    """How the real site writes JSON-LD strings: HTML entities for quotes and non-ASCII letters."""
    return _NON_ASCII.sub(lambda m: f"&#{ord(m[0])};", text.replace("&", "&amp;").replace('"', "&quot;"))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def net_date(d: datetime) -> str:
    return f"/Date({int(d.timestamp() * 1000)})/"


def css_bundle() -> str:
    """The inline utility CSS OneCMS ships on every page; most of a real page's weight."""
    rules = []
    for prop, short in (("margin", "m"), ("padding", "p")):
        for side, sides in (("t", ["top"]), ("b", ["bottom"]), ("l", ["left"]), ("r", ["right"]),
                            ("x", ["left", "right"]), ("y", ["top", "bottom"]), ("", [""])):
            for v in range(0, 62, 2):
                body = ";".join(f"{prop}{'-' + s if s else ''}:{v}px" for s in sides)
                rules.append(f".h-{short}{side}-{v}{{{body}}}")
    base = "\n".join(rules)
    media = "".join(f"@media (min-width:{w}px){{{base.replace('.h-', f'.{bp}-h-')}}}\n"
                    for bp, w in (("sm", 576), ("md", 768), ("lg", 992)))
    grid = "\n".join(f".col-{i}{{flex:0 0 {i / 12 * 100:.4f}%;max-width:{i / 12 * 100:.4f}%}}" for i in range(1, 13))
    return base + "\n" + media + grid


class Renderer:
    def __init__(self, site: Site, base_url: str, alias_url: str | None = None) -> None:
        self.site = site
        self.base = base_url.rstrip("/")
        self.alias = (alias_url or base_url).rstrip("/")
        self.env = Environment(
            loader=FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=select_autoescape(["html", "xml"]), trim_blocks=True, lstrip_blocks=True,
            auto_reload=False)  # templates never change under a running replica; stat()s cost per render
        self.env.globals.update(r=self, vocab=vocab, us_time=us_time, entity_escape=entity_escape)
        self._fragments: dict[tuple[str, int], str] = {}
        self._cards: dict[tuple[object, ...], Markup] = {}

    @cached_property
    def css(self) -> str:
        return css_bundle()

    @cached_property
    def page_prefix(self) -> str:
        """How every current-template page begins, byte for byte; the server compresses it once."""
        return self.env.get_template("current/_prefix.html").render({})

    # -- URLs ----------------------------------------------------------------------------------
    def url(self, meta: ArticleMeta, variant: str = "canonical") -> str:
        canonical = self.base + meta.path
        if variant == "section":
            return f"{self.base}/{meta.section.path}{meta.path}"
        if variant == "utm":
            return f"{canonical}?{TRACKING[meta.id % len(TRACKING)]}"
        if variant == "alias":
            return self.alias + meta.path
        if variant == "fragment":
            return canonical + "#box-comment"
        return canonical

    def link(self, block: dict[str, Any]) -> str:
        return self.url(self.site.by_id[block["id"]], block["variant"])

    def section_url(self, section: Section | None) -> str:
        """A category's URL as the site serves it now: `/{slug}-c{N}` in the PHP era, `/{parent}/{child}`
        on OneCMS."""
        if self.site.template_at() == "legacy":
            return f"{self.base}/{section.legacy_path if section else LEGACY_LATEST}"
        return f"{self.base}/{section.path}" if section else f"{self.base}/{vocab.LATEST_CHANNEL[0]}"

    @staticmethod
    def page_url(list_url: str, page: int) -> str:
        """The PHP era's numbered listing pages: `/{category}/page-{P}.html`, the first one bare."""
        return list_url if page == 1 else f"{list_url}/page-{page}.html"

    def tag_url(self, tag: str) -> str:
        return f"{self.base}/{sitemod.slugify(tag)}-ptag.html"

    def thumb(self, meta: ArticleMeta) -> str:
        return f"https://dddn.1cdn.vn/thumbs/540x360/{meta.published:%Y/%m/%d}/{meta.slug[:40]}.jpg"

    def title(self, meta: ArticleMeta) -> str:
        return self.site.headline(meta)[0]

    def lead(self, meta: ArticleMeta) -> str:
        return self.site.headline(meta)[1]

    placeholder = PLACEHOLDER

    def fragment(self, name: str) -> str:
        """A page part that is the same on every page until the clock moves: header, footer, sidebar."""
        key = (name, self.site.epoch)
        if key not in self._fragments:
            self._fragments = {k: v for k, v in self._fragments.items() if k[1] == self.site.epoch}
            self._fragments[key] = self.env.get_template(name).render({})
        return self._fragments[key]

    def grid(self, a: ArticleMeta, heading: str = "h3", time: bool = True, variant: str = "canonical") -> Markup:
        """One listing card (div.b-grid); cards repeat across pages, so they are built once per clock."""
        key = (a.id, heading, time, variant, self.site.epoch)
        card = self._cards.get(key)
        if card is None:
            if len(self._cards) > 50_000:
                self._cards.clear()
            url, title, lead = escape(self.url(a, variant)), escape(self.title(a)), escape(self.lead(a))
            stamp = f'<span class="b-grid__time">{a.published:%d/%m/%Y %H:%M}</span>' if time else ""
            card = Markup(
                f'<div class="b-grid"><div class="b-grid__img"><a href="{url}" title="{title}">'
                f'<img src="{PLACEHOLDER}" data-src="{escape(self.thumb(a))}" alt="{title}"></a></div>\n'
                '<div class="b-grid__content">'
                f'<div class="b-grid__row"><{heading} class="b-grid__title"><a href="{url}" title="{title}">{title}</a>'
                f'</{heading}>{stamp}</div>\n<div class="b-grid__row b-grid__desc"><a href="{url}">{lead}</a></div>'
                "</div></div>\n")
            self._cards[key] = card
        return card

    def most_read(self) -> list[ArticleMeta]:
        return sitemod.most_read(self.site)

    @cached_property
    def menu(self) -> list[tuple[Section, list[Section]]]:
        return [(s, [k for k in self.site.sections if k.parent == s]) for s in self.site.sections if s.parent is None]

    def visible_date(self, d: datetime, meta_id: int = 0) -> str:
        return f"{d:%d/%m/%Y - %H:%M}" if meta_id % 5 == 0 else f"{d:%d/%m/%Y %H:%M}"

    # -- pages ---------------------------------------------------------------------------------
    def article(self, meta: ArticleMeta, sql_echo: str) -> str:
        template = self.site.template_at()
        content = self.site.content(meta)
        ctx = {
            "meta": meta, "c": content, "canonical": self.url(meta), "section": meta.section,
            "updated": meta.updated_at(self.site.now), "now": self.site.now,
            "sql_echo": sql_echo, "echo_inside": meta.id % 9 == 4,
            "related": sitemod.related_box(self.site, meta),
            "dont_miss": sitemod.dont_miss(self.site, meta),
            "comments": sitemod.comment_count(self.site, meta), "entry_tag": "article" if meta.id % 2 else "div",
        }
        if template == "legacy":
            ctx["v"] = legacy_variant(self.site.seed, meta, self.site.now)
            ctx["latest"] = self.site.in_section(meta.section)[:LEGACY_PAGE_SIZE]
            ctx["most_read"] = self.most_read()
        if template == "current" and meta.kind == "emagazine":
            payload = json.dumps(emagazine_payload(content, meta), ensure_ascii=False).encode()
            ctx["emag_data"] = base64.b64encode(payload).decode()
            return self.env.get_template("current/emagazine.html").render(ctx)
        return self.env.get_template(f"{template}/article.html").render(ctx)

    def sql_echo(self, render_seq: int) -> str:
        """The debug query the legacy server printed into pages; its timestamp is the render time."""
        ts = int(self.site.now.timestamp()) + render_seq
        return ("SELECT id,type,category_id,title,description,alias,image,related_layout,publish_day "
                f"FROM cms_post WHERE `status` = 1 AND publish_day <= {ts} AND in_feed = 1 AND top_home <> 1 "
                f"AND status = 1 AND publish_day <= {ts} ORDER BY publish_day DESC, id DESC LIMIT 0,11")

    def listing(self, section: Section | None, page: int, sql_echo: str) -> str | None:
        template = self.site.template_at()
        items = self.site.in_section(section)
        size = LEGACY_PAGE_SIZE if template == "legacy" else CURRENT_PAGE_SIZE
        pages = max(1, -(-len(items) // size))
        if page > pages or (template == "current" and page != 1):
            return None
        ctx = {"section": section, "items": items[(page - 1) * size: page * size], "page": page,
               "pages": pages, "window": range(max(1, page - 4), min(pages, max(1, page - 4) + 9) + 1),
               "sql_echo": sql_echo, "most_read": sitemod.most_read(self.site),
               "channel_id": section.channel_id if section else vocab.LATEST_CHANNEL[2],
               "name": section.name if section else vocab.LATEST_CHANNEL[1],
               "more_type": "channel", "more_keyword": "empty",
               "list_url": self.section_url(section)}
        return self.env.get_template(f"{template}/listing.html").render(ctx)

    def tag_page(self, tag: str) -> str | None:
        items = [a for a in self.site.visible() if tag in self.site.content(a)["tags"]]
        if not items:
            return None
        template = self.site.template_at()
        ctx = {"section": None, "items": items[:CURRENT_PAGE_SIZE], "page": 1, "pages": 1, "window": range(1, 2),
               "sql_echo": "", "most_read": sitemod.most_read(self.site), "channel_id": 0,
               "name": tag, "more_type": "tag", "more_keyword": sitemod.slugify(tag),
               "list_url": self.tag_url(tag)}
        return self.env.get_template(f"{template}/listing.html").render(ctx)

    def home(self, sql_echo: str) -> str:
        template = self.site.template_at()
        blocks = [(s, self.site.in_section(s)[:5]) for s in self.site.sections if s.parent is None]
        ctx = {"top": self.site.visible()[:6], "blocks": blocks, "most_read": sitemod.most_read(self.site),
               "sql_echo": sql_echo}
        return self.env.get_template(f"{template}/home.html").render(ctx)

    def not_found(self) -> str:
        return self.env.get_template(f"{self.site.template_at()}/notfound.html").render({})

    def more_articles(self, kind: str, keyword: str, last_pid: int, channel_id: int) -> list[dict[str, Any]] | None:
        if kind == "channel":
            if channel_id == vocab.LATEST_CHANNEL[2]:
                items = self.site.visible()
            elif channel_id in self.site.by_channel:
                items = self.site.in_section(self.site.by_channel[channel_id])
            else:
                return None
        elif kind == "tag":
            items = [a for a in self.site.visible()
                     if keyword in {sitemod.slugify(t) for t in self.site.content(a)["tags"]}]
        else:
            return None
        older = [a for a in items if a.id < last_pid or last_pid == 0][:API_PAGE_SIZE]  # pid 0: the newest
        return [{
            "PublisherId": a.id, "LinktoMe2": a.path, "Title": self.title(a), "Headlines": self.lead(a),
            "Thumbnail_Small": self.thumb(a), "Thumbnail_Square": self.thumb(a).replace("540x360", "300x300"),
            "Time_ddMMyyyyHHmm": f"{a.published:%d/%m/%Y %H:%M}",
            "Time_yyyyMMddHHmmss": f"{a.published:%Y%m%d%H%M%S}", "PublishedTime": net_date(a.published),
            "CommentCount": sitemod.comment_count(self.site, a), "TitleIcon16": ""} for a in older]

    def comment_list(self, meta: ArticleMeta) -> str:
        n = min(sitemod.comment_count(self.site, meta), 20)
        rng = random.Random(f"comments:{self.site.seed}:{meta.id}")
        items = []
        for i in range(n):
            text = sitemod._fill(rng.choice(vocab.COMMENT_TEMPLATES), rng)
            who = html.escape(rng.choice(vocab.AUTHORS))
            items.append(f'<div class="comment-item" data-id="{meta.id * 100 + i}"><b class="comment-name">{who}'
                         f'</b><p class="comment-text">{html.escape(text)}</p><span class="comment-like">'
                         f"{rng.randint(0, 40)} thích</span></div>")
        return "".join(items)

    # -- feeds ---------------------------------------------------------------------------------
    def rss(self, slug: str) -> str | None:
        section = self.site.by_path.get(slug)
        if section is None and slug != vocab.LATEST_CHANNEL[0]:
            return None
        items = self.site.in_section(section)[:30]
        ctx = {"section": section, "items": items, "rfc822": lambda d: format_datetime(d),
               "comments": lambda a: sitemod.comment_count(self.site, a)}
        return self.env.get_template("feeds/rss.xml").render(ctx)

    def rss_index(self) -> str:
        return self.env.get_template("feeds/rss-index.html").render({"sections": self.site.sections})

    def lastmod(self, meta: ArticleMeta, stale: bool) -> datetime:
        """What a sitemap says of a page: when it last changed, or (`stale`, as on a sister site) its
        publication plus one second, which never moves."""
        return meta.published + timedelta(seconds=1) if stale else meta.updated_at(self.site.now)

    def sitemap(self, name: str, layout: str = "monthly", stale: bool = False) -> str | None:
        """`layout`: one child sitemap per month ("monthly") or per day plus `sitemap-event.xml` ("daily",
        as sister sites serve them)."""
        now = self.site.now
        visible = self.site.visible()
        urls = self.env.get_template("feeds/sitemap-urls.xml")
        lastmod = lambda a: self.lastmod(a, stale)  # noqa: E731
        if name == "sitemap.xml":  # each child's lastmod is its latest article change
            key = (lambda d: f"{d:%Y-%m-%d}") if layout == "daily" else (lambda d: f"{d:%Y-%m}")
            children: dict[str, datetime] = {}
            for a in visible:
                child, changed = key(a.published), lastmod(a)
                children[child] = max(children.get(child, changed), changed)
            recent = [lastmod(a) for a in visible if a.published >= now - timedelta(days=2)]
            return self.env.get_template("feeds/sitemap-index.xml").render(
                {"children": sorted(children.items(), reverse=True), "latest": max(recent, default=now),
                 "events": layout == "daily"})
        if name == "sitemap-news.xml":
            items = [a for a in visible if a.published >= now - timedelta(days=2)]
            return self.env.get_template("feeds/sitemap-news.xml").render({"items": items})
        if name == "sitemap-article-daily.xml":
            items = [a for a in visible if a.published >= now - timedelta(days=1)]
            return urls.render({"items": items, "lastmod": lastmod})
        if name == "sitemap-category.xml":
            return self.env.get_template("feeds/sitemap-category.xml").render({"sections": self.site.sections})
        if name == "sitemap-event.xml" and layout == "daily":
            return self.env.get_template("feeds/sitemap-category.xml").render(
                {"sections": [], "pages": [self.tag_url(t) for t in vocab.TAGS]})
        m = re.fullmatch(r"sitemap-article-(\d{4})-(\d{2})(?:-(\d{2}))?\.xml", name)
        if m is None or (m[3] is None) != (layout == "monthly"):
            return None
        wanted = tuple(int(x) for x in m.groups() if x)
        items = [a for a in visible if (a.published.year, a.published.month, a.published.day)[:len(wanted)] == wanted]
        return urls.render({"items": items, "lastmod": lastmod}) if items else None

    def robots(self) -> str:
        return (f"User-agent: *\nDisallow: /search\nCrawl-delay: 1\n\n"
                f"Sitemap: {self.base}/sitemap.xml\nSitemap: {self.base}/sitemap-news.xml\n")


LEGACY_VARIANTS = {"container": 3, "sapo": 2, "date": 3, "crumb": 4, "byline": 3, "tags": 3, "head": 2, "figure": 2}
# The PHP era's themes, as a real site changes them: the whole site at once, on a date. Before it, an
# older theme (a plain line of links for a trail, a minimal head); from it, enternews (form 0 of every
# part), the theme public crawlers of the site saw.
ENTERNEWS_SINCE = datetime(2022, 7, 1, tzinfo=VN)
OLDER_THEME = {"container": 1, "sapo": 1, "date": 1, "crumb": 3, "byline": 1, "tags": 1, "head": 1, "figure": 1}
ENTERNEWS = dict.fromkeys(LEGACY_VARIANTS, 0)
VARIANT_SHARE = 0.15  # a part of a page that its theme does not describe (an editor's old snippet, say)
# Where each form puts a part, for tests that read the replica's own markup (index: the form).
LEGACY_MARKUP = {
    "body": ("div.post-content", "#content_detail", "div.article-body"),  # by container
    "lead": ("h2.post-sapo, strong.post-sapo-description", "div.sapo-detail", "div.article-summary"),  # by container
    "byline": ("div.post-author-share", 'p[style="text-align: right;"]', "p.tacgia"),
    "tags": ("div.block-content a", "div.box-tags a", "div.keywords a"),
    "caption": ("p.image_caption", "td.image_desc"),  # by figure
}


def legacy_variant(seed: int, meta: ArticleMeta, at: datetime) -> dict[str, int]:
    """Which markup a legacy page served at `at` uses for each part: its theme's (`OLDER_THEME` before
    `ENTERNEWS_SINCE`, then enternews, which `site-notes.md` describes), and on about one part in
    `1 / VARIANT_SHARE`, seeded per article, another form of that part (a minimal head has no author,
    keyword or article:* meta). The seed article is always in the enternews form."""
    if meta.kind == "seed":
        return dict(ENTERNEWS)
    theme = OLDER_THEME if at < ENTERNEWS_SINCE else ENTERNEWS
    rng = random.Random(f"legacy-variant:{seed}:{meta.id}")
    out = {}
    for part, forms in LEGACY_VARIANTS.items():
        roll, other = rng.random(), rng.randrange(forms - 1)
        out[part] = theme[part] if roll >= VARIANT_SHARE else [f for f in range(forms) if f != theme[part]][other]
    return out


def emagazine_payload(content: dict[str, Any], meta: ArticleMeta) -> dict[str, Any]:
    return {"title": content["title"], "sapo": content["lead"], "author": content["authors"],
            "time": f"{meta.published:%d/%m/%Y %H:%M}", "blocks": content["blocks"]}

