"""An article container, already cut out of its page, read into blocks, images and inline links.

One walker serves every template: paragraphs, headings, quotes, lists and tables become blocks;
figures (including the old CMS's one-cell image tables) become images with their captions and never
body text; ">>" paragraphs become related links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from archive.extract import noise
from archive.extract.html import absolute, clean, select, text_of
from archive.extract.model import Block, Image, Link
from archive.urls import UrlRules

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# A box holding one image and its caption, as themes write figures without <figure>: enternews'
# `div.image_center_wp > img + p.image_caption`, WordPress' `div.wp-caption`, `div.image`, `div.photo`.
IMAGE_BOX_CLASS = re.compile(r"image|img|photo|pic|caption|figure|anh", re.I)
MAX_CAPTION = 300
# A paragraph right after an image that is its caption: classed so (`imgdesc`, `*caption*`, `*desc*`,
# `chu-thich`), or short, all in italics, and ending in a credit ("Ảnh: Phóng viên", "Nguồn: …").
CAPTION_CLASS = re.compile(r"caption|desc|chu-?thich|chuthich", re.I)
CREDIT = re.compile(r"\b(?:Ảnh|Ảnh minh họa|Ảnh minh hoạ|Nguồn|Photo|Source)\s*:\s*[^.]{1,80}\.?\)?$", re.I)
CONTAINERS = {"div", "section", "article", "main", "center", "span", "font", "strong", "em", "b", "i", "tbody"}


@dataclass
class Body:
    blocks: list[Block] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)


def read_body(container: HtmlElement, page_url: str, rules: UrlRules) -> Body:
    """Blocks in document order. The container is modified: noise elements are dropped from it."""
    noise.strip_elements(container)
    noise.strip_link_boxes(container)
    reader = _Reader(page_url, rules)
    reader.walk(container)
    return reader.body


def image_src(img: HtmlElement, page_url: str) -> str:
    """The real image of a lazy `<img>`: `data-src` when `src` is a placeholder."""
    src = img.get("src") or ""
    lazy = img.get("data-src") or img.get("data-original") or img.get("data-lazy-src")
    if lazy and (not src or src.startswith("data:") or "placeholder" in src or "blank" in src):
        src = lazy
    return absolute(page_url, src)


def is_image_box(el: HtmlElement) -> bool:
    """A `div` named as an image box that holds one image and at most a caption's worth of text."""
    return (IMAGE_BOX_CLASS.search(el.get("class") or "") is not None and len(el.findall(".//img")) == 1
            and len(text_of(el)) <= MAX_CAPTION)


class _Reader:
    def __init__(self, page_url: str, rules: UrlRules) -> None:
        self.page_url, self.rules = page_url, rules
        self.body = Body()
        self.uncaptioned: Image | None = None  # the last image read, while nothing has followed it

    def walk(self, el: HtmlElement) -> None:
        self.loose(el.text)
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "p":
                self.paragraph(child)
            elif tag in HEADINGS:
                self.add(Block("heading", text_of(child)))
            elif tag == "blockquote":
                self.add(Block("quote", text_of(child)))
            elif tag in ("ul", "ol"):
                items = [t for li in child.iter("li") if (t := text_of(li)) and not noise.is_noise_line(t)]
                if items:
                    self.body.blocks.append(Block("list", items=items))
            elif tag == "table":
                self.table(child)
            elif tag == "figure":
                self.figure(child)
            elif tag == "img":
                self.image(Image(image_src(child, self.page_url)))
            elif tag == "div" and is_image_box(child):
                self.image(Image(image_src(next(child.iter("img")), self.page_url), text_of(child)))
            elif tag in CONTAINERS:
                self.walk(child)
            elif tag == "br" or not tag:
                pass
            else:
                self.loose(child.text_content())
            self.loose(child.tail)

    def add(self, block: Block) -> None:
        block.text = clean(noise.cut_noise(block.text))
        if block.text and not noise.is_noise_line(block.text):
            self.body.blocks.append(block)
            self.uncaptioned = None

    def image(self, image: Image) -> None:
        self.body.images.append(image)
        self.uncaptioned = image if not image.caption else None

    def caption_of_last_image(self, p: HtmlElement, text: str) -> bool:
        """Whether `p` is the caption of the image just read (and so no body text): it is classed as one,
        or it is short, in italics and ends in a credit."""
        if self.uncaptioned is None or len(text) > MAX_CAPTION:
            return False
        italic = all(child.tag in ("em", "i") for child in p) and len(p) > 0 and not (p.text or "").strip()
        if not (CAPTION_CLASS.search(p.get("class") or "") or (italic and CREDIT.search(text))):
            return False
        self.uncaptioned.caption, self.uncaptioned = text, None
        return True

    def loose(self, text: str | None) -> None:
        """Text lying directly in a container: the legacy SQL echo, or text some editors leave bare."""
        if text and text.strip():
            self.add(Block("paragraph", text))

    def paragraph(self, p: HtmlElement) -> None:
        text = text_of(p)
        links = p.findall(".//a")
        if text.startswith(">>") and links:
            url = self.rules.canonical(absolute(self.page_url, links[0].get("href")))
            self.body.related.append(Link(url, clean(text[2:])))
            return
        if not text:
            for img in p.iter("img"):
                self.image(Image(image_src(img, self.page_url)))
            return
        if self.caption_of_last_image(p, text):
            return
        if len(p) and all(child.tag in CONTAINERS | {"br", "a"} for child in p) and p.find(".//img") is not None:
            self.walk(p)  # a paragraph wrapping an image and its caption
            return
        self.add(Block("paragraph", text))

    def table(self, table: HtmlElement) -> None:
        imgs = list(table.iter("img"))
        if imgs:  # the old CMS puts each image and its caption in a one-column table
            captions = [text_of(td) for td in select(table, "td") if td.find(".//img") is None]
            self.image(Image(image_src(imgs[0], self.page_url), " ".join(c for c in captions if c)))
            return
        rows = [[text_of(cell) for cell in tr if cell.tag in ("td", "th")] for tr in table.iter("tr")]
        rows = [row for row in rows if any(row)]
        if rows:
            self.body.blocks.append(Block("table", rows=rows))

    def figure(self, fig: HtmlElement) -> None:
        img = fig.find(".//img")
        caption = text_of(fig.find(".//figcaption"))
        if img is not None:
            self.image(Image(image_src(img, self.page_url), caption))
        elif caption:
            self.add(Block("paragraph", caption))
