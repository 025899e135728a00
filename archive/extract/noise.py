"""What the site wraps around an article, as named rules shared by every template.

Every rule removes the elements its selectors name. Its `kind` says what its patterns do to the text
that remains: `ELEMENTS` rules have none; a `LINES` rule drops a whole block its patterns match (a
footer or a widget caption pasted into the body); a `CUT` rule cuts each match out of the text,
wherever it landed (the SQL the legacy server printed mid-paragraph). `find_noise` tells which rules
still match a text, for the `noise_suspected` flag and for the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache

from lxml.html import HtmlElement

from archive.extract.html import is_inside


class Kind(Enum):
    ELEMENTS = "elements"  # removes elements only
    LINES = "lines"  # also drops whole blocks its patterns match
    CUT = "cut"  # also cuts its pattern matches out of any text


@dataclass(frozen=True)
class NoiseRule:
    name: str
    kind: Kind
    selectors: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()  # regular expressions over a block's text
    triggers: tuple[str, ...] = ()  # lowercase literals one of which every pattern match contains

    def __post_init__(self) -> None:
        if (self.kind is Kind.ELEMENTS) == bool(self.patterns):
            raise ValueError(f"noise rule {self.name}: {self.kind.name} rules {'take no' if self.patterns else 'need'}"
                             " patterns")

    def search(self, text: str, folded: str) -> bool:
        """Whether a pattern matches; the regex runs only when a trigger literal is present."""
        if self.regex is None:
            return False
        if self.triggers and not any(t in folded for t in self.triggers):
            return False
        return self.regex.search(text) is not None

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        return _compile(self.patterns)


def _compile(patterns: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    # Multiline: "^" and "$" hold per line, so one search covers a whole text.
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I | re.M) if patterns else None


SQL_ECHO = r"SELECT\s+[\w`,.\s*]+?\s+FROM\s+`?cms_\w+`?\s+WHERE\s.*?(?:LIMIT\s+\d+\s*(?:,\s*\d+)?|$)"

RULES: tuple[NoiseRule, ...] = (
    NoiseRule("comments", Kind.LINES,
              (".c-comments", ".box-comment", "#box-comment", ".onecms__comments", ".comment-list", ".list-comment",
               "#comment-list", ".fb-comments"),
              (r"^Bình luận( \(\d+\))?$", r"Bạn còn\s*\d*\s*/\s*\d+ ký tự",
               r"Xếp theo:\s*Thời gian\s*\|\s*Số người thích"),
              ("bình luận", "ký tự", "xếp theo")),
    NoiseRule("rating", Kind.LINES, (".box-rating", ".rating-star", ".rating"), (r"^Đánh giá của bạn:?$",),
              ("đánh giá",)),
    NoiseRule("share", Kind.LINES, (".box-share", ".c-share", ".social-share", ".share-box"), (r"^Chia sẻ:?$",),
              ("chia sẻ",)),
    NoiseRule("group_invite", Kind.LINES, (".box-group",), (r"Mời các bạn tham gia vào group",),
              ("tham gia vào group",)),
    NoiseRule("reading_footer", Kind.LINES, (".box-footer-detail",),
              (r"Bạn đang đọc bài viết\s.*?\stại chuyên mục", r"Liên hệ cung cấp thông tin và gửi tin bài cộng tác",
               r"toasoan@dddn\.com\.vn"), ("bạn đang đọc", "liên hệ cung cấp", "toasoan@")),
    NoiseRule("related_lists", Kind.LINES,
              (".c-related-posts", ".c-dont-miss", ".onecms_load_view", ".box-same-category", ".c-most-read",
               ".box-most-read", ".box-related"),
              (r"^>>\s*\S", r"^(Bài liên quan|Đừng bỏ lỡ|Đọc nhiều|Tin cùng chuyên mục|Có thể bạn quan tâm)$"),
              (">>", "bài liên quan", "đừng bỏ lỡ", "đọc nhiều", "tin cùng chuyên mục", "có thể bạn quan tâm")),
    NoiseRule("pagination", Kind.LINES, (".pagination", ".paging"), (r"^(?:\d+\s+){2,}\d+$",)),
    NoiseRule("ads", Kind.LINES, (".oneads", ".box-adv", ".adsbygoogle", "[id^='zone-']", ".banner-ads"),
              (r"^Quảng cáo$",), ("quảng cáo",)),
    NoiseRule("sql_echo", Kind.CUT, (), (SQL_ECHO,), ("select",)),
    # the controls around an article: font size, print, save, send, comment counts; and the counters and
    # "see all" links of topic boxes, when their box was not recognised (see `strip_link_boxes`)
    NoiseRule("controls", Kind.LINES, (".font-size", ".text-size", ".box-tools", ".article-tools"),
              (r"^(?:Chọn\s+)?cỡ chữ\b.{0,20}$",
               r"^(?:In bài(?: viết)?|Bản in|Lưu bài(?: viết)?|Lưu tin|Gửi bài(?: viết)?|Gửi email|Theo dõi)$",
               r"^\d+\s+bình luận$", r"^\d+\s+(?:bài viết|tin bài)$", r"^Xem tất cả\W*$"),
              # rare literals only: a trigger common in prose ("tin", "lưu") would run the patterns on every line
              ("cỡ chữ", "in bài", "bản in", "lưu bài", "lưu tin", "gửi bài", "gửi email", "theo dõi", "bình luận",
               "bài viết", "tin bài", "xem tất cả")),
    NoiseRule("source_line", Kind.ELEMENTS, (".c-author-page",)),
    NoiseRule("widgets", Kind.ELEMENTS, ("script", "style", "noscript", "form", "button", "textarea", "input",
                                         "select", "iframe", "svg", "template")),
)


@dataclass(frozen=True)
class RuleSet:
    """Rules searched together. One scan for all their trigger literals tells whether any triggered rule
    can match at all; most lines of an article hold none, and then only the untriggered rules run."""

    rules: tuple[NoiseRule, ...]

    @cached_property
    def any_trigger(self) -> re.Pattern[str]:
        return re.compile("|".join(re.escape(t) for rule in self.rules for t in rule.triggers) or "(?!)")

    @cached_property
    def untriggered(self) -> tuple[NoiseRule, ...]:
        return tuple(rule for rule in self.rules if not rule.triggers)

    def candidates(self, folded: str) -> tuple[NoiseRule, ...]:
        return self.rules if self.any_trigger.search(folded) else self.untriggered


ALL_RULES = RuleSet(RULES)
LINE_RULES = RuleSet(tuple(rule for rule in RULES if rule.kind is Kind.LINES))
CUT_RULES = RuleSet(tuple(rule for rule in RULES if rule.kind is Kind.CUT))


@dataclass(frozen=True)
class ElementMatcher:
    """The rules' selectors, which are all simple (`.class`, `#id`, `tag`, `[id^='prefix']`), matched in
    one walk of the tree: lxml's XPath for a class selector re-tokenises every element's class attribute
    once per selector, and costs more than the rest of reading a body."""

    tags: frozenset[str]
    classes: frozenset[str]
    ids: frozenset[str]
    id_prefixes: tuple[str, ...]

    @classmethod
    def of(cls, selectors: list[str]) -> ElementMatcher:
        parts: dict[str, list[str]] = {"class": [], "id": [], "tag": [], "prefix": []}
        for selector in selectors:
            m = SIMPLE_SELECTOR.match(selector)
            if m is None:
                raise ValueError(f"noise selector {selector!r}: only .class, #id, tag or [id^='prefix']")
            kind = next(k for k, v in m.groupdict().items() if v)
            parts[kind].append(m[kind])
        return cls(frozenset(parts["tag"]), frozenset(parts["class"]), frozenset(parts["id"]), tuple(parts["prefix"]))

    def __call__(self, el: HtmlElement) -> bool:
        if el.tag in self.tags:
            return True
        element_id = el.get("id")
        if element_id and (element_id in self.ids or element_id.startswith(self.id_prefixes)):
            return True
        classes = el.get("class")
        return bool(classes) and not self.classes.isdisjoint(classes.split())


SIMPLE_SELECTOR = re.compile(r"^(?:\.(?P<class>[\w-]+)|#(?P<id>[\w-]+)|(?P<tag>[a-z][a-z0-9]*)|"
                             r"\[id\^='(?P<prefix>[\w-]+)'\])$")
NOISE_ELEMENT = ElementMatcher.of([s for rule in RULES for s in rule.selectors])


def strip_elements(root: HtmlElement) -> None:
    """Removes every element any rule selects, keeping the text that follows it."""
    for el in [el for el in root.iterdescendants() if isinstance(el.tag, str) and NOISE_ELEMENT(el)]:
        if el.getparent() is not None:
            el.drop_tree()


# A box inside the article is the newsroom's factbox (OneCMS `sc-hightlight-box`, say), which is text of
# the article, unless it lists other articles: it opens with one of these labels, or it is mostly links.
LISTING_LABEL = re.compile(r"^(?:Có thể bạn quan tâm|Xem thêm|Tin liên quan|Đọc thêm|Bài liên quan|Tin cùng chuyên mục|"
                           r"Đọc nhiều(?: nhất)?|Tin mới(?: nhất)?|Đừng bỏ lỡ|Tin khác|Cùng chuyên mục)\b", re.I)
LINK_DENSITY = 0.5
BOX_TAGS = ("div", "aside", "section")
# A topic box's marks: a counter ("13 bài viết", "8 tin") or a "see all" link, standing as a line of their own
TEASER_MARK = re.compile(r"^(?:\d+\s+(?:bài viết|bài|tin bài|tin)|Xem tất cả\W*|Xem thêm\W*|Tin khác\W*)$", re.I)


def strip_link_boxes(root: HtmlElement) -> None:
    """Removes the boxes inside `root` that list other articles, deciding by content, never by class."""
    for box in list(root.iterdescendants(*BOX_TAGS)):
        if box.getparent() is None or not is_inside(box, root):
            continue  # already gone with a box around it
        text = " ".join(" ".join(box.itertext()).split())  # a heading's text never runs into the next line
        links = [a for a in box.iter("a") if a.get("href")]
        if not text or not links or text.startswith(">>"):  # ">>" links are the reader's to collect
            continue
        linked = sum(len(" ".join(" ".join(a.itertext()).split())) for a in links)
        if LISTING_LABEL.match(text) or linked / len(text) >= LINK_DENSITY or _teaser(box):
            box.drop_tree()


def _teaser(box: HtmlElement) -> bool:
    """A box that repeats a teaser's structure: one of its elements is a counter or a "see all" link."""
    return any(len(el) == 0 and el.text and len(el.text) <= 24 and TEASER_MARK.match(" ".join(el.text.split()))
               for el in box.iterdescendants() if isinstance(el.tag, str))


# A page's texts are checked more than once (the generic page checks trafilatura's lines, then the blocks
# of the container they were found in, mostly the same paragraphs), so the checks remember one page's.
@lru_cache(maxsize=1024)
def cut_noise(text: str) -> str:
    """`text` with what the CUT rules match cut out (the SQL echo), wherever it landed."""
    folded = text.casefold()
    for rule in CUT_RULES.candidates(folded):
        if rule.regex is not None and (not rule.triggers or any(t in folded for t in rule.triggers)):
            text = rule.regex.sub(" ", text)
    return text


@lru_cache(maxsize=1024)
def is_noise_line(text: str) -> bool:
    """A whole block that is noise: a footer or widget caption that slipped into the article."""
    folded = text.casefold()
    return any(rule.search(text, folded) for rule in LINE_RULES.candidates(folded))


def find_noise(text: str) -> list[str]:
    """Names of the rules whose patterns still match somewhere in `text`."""
    folded = text.casefold()
    return [rule.name for rule in ALL_RULES.candidates(folded) if rule.search(text, folded)]


def forget() -> None:
    """Empties the checks' memory. `extract` calls it first: the memory holds one page's texts, and a
    page extracted twice costs twice."""
    cut_noise.cache_clear()
    is_noise_line.cache_clear()
