"""Where news pages conventionally put what a template's own selectors did not find: the site layer
every page object falls back to, whatever template it was detected as (or none).

Each reader takes the part of the page that belongs to the article (`region`) and skips what sits in
lists of other articles, so a related list's dates, the header's clock or the sidebar's authors are
never read as the article's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from lxml import etree
from lxml.html import HtmlElement

from archive.extract import dates
from archive.extract.html import class_rank, clean, having_class, select, text_of

# Where a byline is, best first, as CSS: [itemprop=author] [itemprop=name], [itemprop=author], [rel=author],
# a[class*=author], [class*=author] [class*=name], [class*=author] a, .byline, [class*=tacgia],
# [class*=tac-gia], [class*=nguoi-viet], [class*=author]. Eleven selectors walk the page eleven times; the
# holders (the first part of each) and what stands inside them are found in two walks, and ranked in
# Python (`_author_rank`).
AUTHOR_CLASSES = ("author", "byline", "tacgia", "tac-gia", "nguoi-viet")
LATE_AUTHOR_CLASSES = ("tacgia", "tac-gia", "nguoi-viet", "author")
BYLINE_BOX_CLASSES = ("author", "byline", "tacgia", "tac-gia")
_HOLDER = "@itemprop = 'author' or @rel = 'author' or (@class and ({}))".format(
    " or ".join(f"contains(@class, '{c}')" for c in AUTHOR_CLASSES))
_AUTHOR_CANDIDATES = etree.XPath(
    f"descendant-or-self::*[{_HOLDER}]"
    f" | descendant-or-self::*[@itemprop = 'author' or (@class and contains(@class, 'author'))]"
    f"/descendant::*[@itemprop = 'name' or local-name() = 'a' or (@class and contains(@class, 'name'))]")
AUTHOR_LABEL = re.compile(r"^(?:Tác giả|Bài(?: và ảnh)?|Người viết|Phóng viên|Ảnh|(?:Đăng |Viết )?bởi|By|Written by)"
                          r"\s*:?\s*", re.I)
SOURCE_LINE = re.compile(r"^Theo\s", re.I)  # "Theo VnExpress": where a story came from, not who wrote it
MAX_BYLINE = 80
SHARE_LINK = re.compile(r"share|sharer|zalo\.me|twitter\.com/intent|mailto:|javascript:", re.I)
BYLINE_CLASS = re.compile(r"author|byline|tacgia|tac-gia|nguoi-viet", re.I)

TAG_CLASSES = ("tag", "keyword", "tu-khoa", "tukhoa")  # of a tag block, best first
TAG_LABEL = re.compile(r"^(?:Tags?|Từ khóa|Từ khoá|Keywords?)\s*:?$", re.I)
LABEL_INITIALS = "TtKk"
TAG_HREF = re.compile(r"/tags?/|-ptag\.html|[?&](?:q|keyword|tag)=|/tim-kiem|/search", re.I)
MAX_TAGS = 30

BREADCRUMB_SELECTORS = ("[class*=breadcrumb] a", "[itemtype*=BreadcrumbList] a")
HOME_CRUMBS = {"trang chủ", "home", "diễn đàn doanh nghiệp"}
TRAIL_GAP = re.compile(r"^\s*[/»>›]\s*$")  # what stands between two links of a trail written as plain text
MAX_TRAIL = 5  # sections a trail names at most: a longer row of links is a menu
# A date line, best first, as CSS: time, [itemprop=datePublished], [class*=date], [class*=time],
# [class*=meta], [class*=publish], [class*=ngay]; found in two walks, ordered by `_date_rank`.
DATE_CLASSES = ("date", "time", "meta", "publish", "ngay")
_DATED = etree.XPath("descendant-or-self::time | descendant-or-self::*[@itemprop = 'datePublished']")


LEAD_CLASSES = ("sapo", "lead", "summary", "excerpt", "desc")
NOT_LEAD = re.compile(r"leader|caption|imgdesc|img-desc|photo|meta-desc", re.I)  # ad slots, captions
LEAD_LENGTH = (40, 1200)


def visible_lead(region: HtmlElement, title: HtmlElement | None) -> str:
    """The lead the page shows above its body: a sapo, lead, summary or description classed so, or an
    `h2`/`h4` right under the title; never one in a list of other articles."""
    def fits(el: HtmlElement) -> str:
        text = text_of(el)
        return text if LEAD_LENGTH[0] <= len(text) <= LEAD_LENGTH[1] and not in_listing(el, region) else ""

    for el in having_class(region, LEAD_CLASSES):
        if not NOT_LEAD.search(el.get("class") or "") and el.tag not in ("meta", "img") and (text := fits(el)):
            return text
    following = title.getnext() if title is not None else None
    while following is not None and not text_of(following) and following.tag not in ("p", "div"):
        following = following.getnext()
    return fits(following) if following is not None and following.tag in ("h2", "h4") else ""


def in_listing(el: HtmlElement, region: HtmlElement) -> bool:
    """Whether `el` sits in a list item or a link, below `region`: a list of other articles."""
    for ancestor in el.iterancestors():
        if ancestor is region:
            return False
        if ancestor.tag in ("li", "a"):
            return True
    return False


def byline_text(text: str) -> str:
    """A byline without its label or what follows a bar ("Thu Hà | Chia sẻ"); empty if it is a source
    line or too long to be a byline."""
    text = AUTHOR_LABEL.sub("", clean(text.split("|")[0]))
    if not text or len(text) > MAX_BYLINE or SOURCE_LINE.match(text):
        return ""
    return text


def author_line(region: HtmlElement) -> str:
    ranked = [(rank, el) for el in _AUTHOR_CANDIDATES(region) if (rank := _author_rank(el, region)) is not None]
    for _, el in sorted(ranked, key=lambda pair: pair[0]):  # stable: page order within a rank
        if in_listing(el, region) or SHARE_LINK.search(el.get("href") or ""):
            continue  # a byline box often carries share buttons: "Facebook" is nobody's name
        if text := byline_text(text_of(el)):
            return text
    return ""


def _author_rank(el: HtmlElement, region: HtmlElement) -> int | None:
    """The first of the byline selectors (above) that `el` matches below `region`, as its index."""
    classes = el.get("class") or ""
    prop = el.get("itemprop")
    if prop == "name" and _has_ancestor(el, region, lambda a: a.get("itemprop") == "author"):
        return 0
    if prop == "author":
        return 1
    if el.get("rel") == "author":
        return 2
    if el.tag == "a" and "author" in classes:
        return 3
    if (el.tag == "a" or "name" in classes) and _has_ancestor(el, region, lambda a: "author" in (a.get("class") or "")):
        return 4 if "name" in classes else 5
    if "byline" in classes.split():
        return 6
    rank = class_rank(el, LATE_AUTHOR_CLASSES)
    return 7 + rank if rank < len(LATE_AUTHOR_CLASSES) else None


def _has_ancestor(el: HtmlElement, region: HtmlElement, test: Callable[[HtmlElement], bool]) -> bool:
    """Whether an ancestor of `el` at or below `region` passes `test`."""
    for ancestor in el.iterancestors():
        if test(ancestor):
            return True
        if ancestor is region:
            return False
    return False


def byline_boxes(container: HtmlElement) -> list[HtmlElement]:
    """Elements inside a body container that are bylines by their class (an author box at the end)."""
    return [el for el in having_class(container, BYLINE_BOX_CLASSES) if byline_text(text_of(el))]


def byline_paragraph(container: HtmlElement) -> HtmlElement | None:
    """The body's last paragraph when it is a byline: right-aligned or all bold, short, and no sentence."""
    last, text = next(((p, text) for p in reversed(list(container.iter("p"))) if (text := text_of(p))), (None, ""))
    if last is None:
        return None
    style = (last.get("style") or "").replace(" ", "").lower()
    bold = next(last.iter("strong", "b"), None)
    right = "text-align:right" in style or (last.get("align") or "").lower() == "right"
    all_bold = bold is not None and text_of(bold) == text
    named = BYLINE_CLASS.search(last.get("class") or "") is not None
    if not (right or all_bold or named) or len(text) > MAX_BYLINE or text.endswith((".", ":", "?", "!")):
        return None
    return last if byline_text(text) else None


TAG_PUNCTUATION = " \t\n,;|·•#"  # what tag lists put around a tag: separators, a hashtag's sign


def tag_names(texts: Iterable[str]) -> list[str]:
    """Tags as a reader sees them: without the list's separators (`Green SM, ` → `Green SM`), none empty,
    each once."""
    return list(dict.fromkeys(t for text in texts if (t := clean(text).strip(TAG_PUNCTUATION))))


def tag_texts(links: Iterable[HtmlElement]) -> list[str]:
    return tag_names(text_of(a) for a in links)


def tags_in(region: HtmlElement) -> list[str]:
    """Links in a tag or keyword block, or after a "Tags:"/"Từ khóa:" label, or that point at a tag page."""
    for box in sorted(having_class(region, TAG_CLASSES), key=lambda el: class_rank(el, TAG_CLASSES)):
        links = box.findall(".//a")
        if 0 < len(links) <= MAX_TAGS and not in_listing(box, region) and (found := tag_texts(links)):
            return found
    for el in region.iter():
        # every label starts with T or K: most elements are passed over without cleaning their text
        if (isinstance(el.tag, str) and el.tag not in ("a", "li") and el.text and el.text.lstrip()[:1] in LABEL_INITIALS
                and TAG_LABEL.match(clean(el.text))):
            parent = el.getparent()
            links = list((parent if parent is not None else el).iter("a"))
            if 0 < len(links) <= MAX_TAGS and (found := tag_texts(links)):
                return found
    links = [a for a in region.iter("a") if TAG_HREF.search(a.get("href") or "") and not in_listing(a, region)]
    return tag_texts(links) if len(links) <= MAX_TAGS else []


def keywords(value: str) -> list[str]:
    """A `keywords` meta line, split on commas."""
    return tag_names(re.split(r"[,;]", value))


CURRENT_CRUMB = ("[class*=breadcrumb] [aria-current]", "[class*=breadcrumb] .is-active",
                 "[class*=breadcrumb] .active")


def current_crumb(doc: HtmlElement) -> str:
    """The crumb a breadcrumb marks as the current section."""
    for el in select(doc, ", ".join(CURRENT_CRUMB)):
        if (name := text_of(el)) and name.casefold() not in HOME_CRUMBS:
            return name
    return ""


def breadcrumbs(doc: HtmlElement) -> list[str]:
    for selector in BREADCRUMB_SELECTORS:
        if names := [text_of(a) for a in select(doc, selector)]:
            return [n for n in names if n]
    return []


def link_trail(doc: HtmlElement) -> list[str]:
    """A trail written as a plain line of links with no breadcrumb markup, as old CMS themes print it:
    the home page's link, then each section's, every two apart by "/", "»", ">" or "›" alone. The names
    after the home page's."""
    for home in doc.iter("a"):
        if not _is_home(home) or home.getparent() is None:
            continue
        names: list[str] = []
        gap, node = home.tail or "", home.getnext()
        while node is not None and node.tag == "a" and TRAIL_GAP.match(gap) and len(names) <= MAX_TRAIL:
            names.append(text_of(node))
            gap, node = node.tail or "", node.getnext()
        if 0 < len(names) <= MAX_TRAIL and all(names):
            return names
    return []


HOME_HREF = re.compile(r"^(?:(?:https?:)?//[^/]+)?/?(?:index\.\w+)?$")


def _is_home(link: HtmlElement) -> bool:
    """A link to the home page: by its address, or by its own short label ("Trang chủ")."""
    href = (link.get("href") or "").strip()
    if href and HOME_HREF.match(href):
        return True
    label = link.text or ""
    return 0 < len(label) <= 30 and clean(label).casefold() in HOME_CRUMBS


def _date_rank(el: HtmlElement) -> int:
    """The first of the date selectors (above) that `el` matches, as its index."""
    if el.tag == "time":
        return 0
    if el.get("itemprop") == "datePublished":
        return 1
    return 2 + class_rank(el, DATE_CLASSES)


def header_date(region: HtmlElement) -> datetime | None:
    """The article's own date line: a `time` element or a date-like class in the article's region, never
    one inside a list of other articles. A date with its time wins over a date alone."""
    candidates = dict.fromkeys([*_DATED(region), *having_class(region, DATE_CLASSES)])
    lines = sorted((el for el in candidates if not in_listing(el, region)), key=_date_rank)
    for el in lines:
        if found := dates.parse_any(el.get("datetime")) or dates.parse_visible(text_of(el)):
            return found
    return next((found for el in lines if (found := dates.parse_day(text_of(el)))), None)
