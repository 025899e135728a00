"""The replica's model of the site: sections, articles on a timeline, and a clock.

Everything is derived from (seed, article count, initial clock, redesign date), so the same arguments
give the same site. Article metadata is built eagerly (cheap, so 50,000 articles start in a second);
article content is built on demand and cached, so serving speed does not depend on the site's size.
"""

from __future__ import annotations

import bisect
import random
import string
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from . import names, prose, vocab

VN = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
DEFAULT_NOW = datetime(2026, 6, 1, 9, 0, tzinfo=VN)
DEFAULT_REDESIGN = datetime(2024, 1, 15, 0, 0, tzinfo=VN)
TIMELINE_DAYS = 1300  # ≈3.5 years of back catalogue before the initial clock
RECENT_SHARE = 0.7
ARTICLES_PER_DAY = 40
FUTURE_MINUTES = (40, 80)  # spacing of articles published after the initial clock
LEGACY_ID_START, CURRENT_ID_START = 200_000, 10_146_547
SEED_ARTICLE_PUBLISHED = datetime(2023, 1, 12, 8, 30, tzinfo=VN)
EDIT_KINDS = ("typo", "paragraph", "lead", "correction")
# How long after publication an edit lands: half within ten days, the rest weeks or months later (a
# correction to an old story), so a crawler that only revisits the recent misses some.
EDIT_AGES = ((0.5, 1.0), (0.25, 6.0), (0.25, 33.0))  # (share, factor on a 1–240 hour delay)


def _edit_age_factor(seed: int, index: int, edit: int) -> float:
    """Its own random stream, so the rest of the generated site is the same as before edits aged."""
    roll, total = random.Random(f"edit-age:{seed}:{index}:{edit}").random(), 0.0
    for share, factor in EDIT_AGES:
        total += share
        if roll < total:
            return factor
    return EDIT_AGES[-1][1]


def slugify(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out = "".join(c if c.isalnum() else "-" for c in text)
    return "-".join(p for p in out.split("-") if p)


@dataclass(frozen=True, eq=False)  # sections are singletons: identity is equality, and cheap
class Section:
    path: str  # "chinh-tri-xa-hoi/kinh-te"
    name: str
    channel_id: int
    parent: Section | None = None

    @property
    def legacy_path(self) -> str:
        """The PHP era's category URL path: the section's own slug and its channel, "kinh-te-c32"."""
        return f"{self.path.rsplit('/', 1)[-1]}-c{self.channel_id}"

    @property
    def trail(self) -> list[Section]:
        return ([*self.parent.trail] if self.parent else []) + [self]


def build_sections() -> tuple[list[Section], list[Section], list[Section]]:
    """All sections in menu order (parents first), the leaves articles are filed under, and the leaves of
    the extra sections (vocab.EXTRA_SECTIONS), kept apart so that adding them moved no other article."""
    everything: list[Section] = []
    leaves: list[Section] = []
    extra: list[Section] = []
    extra_children = {slug: children for slug, _, _, children in vocab.EXTRA_SECTIONS}
    known = {slug for slug, *_ in vocab.SECTIONS}
    new_parents = [s for s in vocab.EXTRA_SECTIONS if s[0] not in known]
    for slug, name, channel, children in vocab.SECTIONS + [(s, n, c, []) for s, n, c, _ in new_parents]:
        parent = Section(slug, name, channel)
        everything.append(parent)
        added = extra_children.get(slug, [])
        if not children and not added:
            (leaves if slug in known else extra).append(parent)
        for group, kids in ((leaves, children), (extra, added)):
            for cslug, cname, cchannel in kids:
                child = Section(f"{slug}/{cslug}", cname, cchannel, parent)
                everything.append(child)
                group.append(child)
    return everything, leaves, extra


@dataclass(eq=False)  # identity hashing: metas are cache keys
class ArticleMeta:
    id: int
    slug: str
    section: Section
    published: datetime
    kind: str  # "normal" | "emagazine" | "seed"
    edits: list[tuple[datetime, str]] = field(default_factory=list)
    gone_at: datetime | None = None
    gone_status: int = 404
    back_at: datetime | None = None  # a takedown undone (`Site.restore`): live again from then

    @property
    def path(self) -> str:
        return f"/{self.slug}-{self.id}.html"

    def version_at(self, t: datetime) -> int:
        return sum(1 for when, _ in self.edits if when <= t)

    def updated_at(self, t: datetime) -> datetime:
        applied = [when for when, _ in self.edits if when <= t]
        return max(applied) if applied else self.published

    def is_gone(self, t: datetime) -> bool:
        return self.gone_at is not None and self.gone_at <= t and not (self.back_at and self.back_at <= t)


class Site:
    """The whole replica site and its clock. Thread-safe for one writer (the clock) and many readers."""

    def __init__(self, articles: int = 500, seed: int = 1, now: datetime | None = None,
                 redesign: datetime | None = None, horizon_days: float = 0) -> None:
        self.seed = seed
        self.horizon = timedelta(days=horizon_days)  # the site keeps publishing at least this long
        self.initial_now = (now or DEFAULT_NOW).astimezone(VN)
        self.redesign = (redesign or DEFAULT_REDESIGN).astimezone(VN)
        self.sections, self.leaves, self.extra_leaves = build_sections()
        self.by_path = {s.path: s for s in self.sections}
        self.by_channel = {s.channel_id: s for s in self.sections}
        self._lock = threading.Lock()
        self._now = self.initial_now
        self.epoch = 0  # bumped by every clock change; caches key on it
        self.articles = self._generate(articles)
        self.by_id = {a.id: a for a in self.articles}
        self._published = [a.published for a in self.articles]  # sorted ascending

    # -- clock ---------------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self._now

    def advance(self, hours: float) -> datetime:
        if hours < 0:
            raise ValueError("the clock only moves forward")
        self.set_clock(self._now + timedelta(hours=hours))
        return self._now

    def set_clock(self, t: datetime) -> None:
        """Jump anywhere on the timeline; for offline ground truth, where nothing is being served."""
        with self._lock:
            self._now = t.astimezone(VN)
            self.epoch += 1

    def restore(self, meta: ArticleMeta) -> None:
        """The newsroom puts a taken-down article back, as it was, from now on (newsrooms do, after a
        legal review, say); the generator never does, so that its seeds keep their stories."""
        if not meta.is_gone(self.now):
            raise ValueError(f"article {meta.id} is not taken down at {self.now}")
        with self._lock:
            meta.back_at = self.now
            self.epoch += 1

    def template_at(self, t: datetime | None = None) -> str:
        return "legacy" if (t or self.now) < self.redesign else "current"

    # -- generation ----------------------------------------------------------------------------
    def _generate(self, n: int) -> list[ArticleMeta]:
        rng = random.Random(f"site:{self.seed}")
        # Most articles are recent, at the magazine's daily rate; the rest are a sparse back catalogue
        # reaching years back, across the redesign.
        recent = max(1, int(n * RECENT_SHARE))
        recent_span = timedelta(days=recent / ARTICLES_PER_DAY)
        recent_start = self.initial_now - recent_span
        old_start = self.initial_now - timedelta(days=TIMELINE_DAYS)
        old_step = (recent_start - old_start) / max(n - recent, 1)
        times = [old_start + old_step * (i + rng.random() * 0.9) for i in range(n - recent)]
        times += [recent_start + recent_span / recent * (i + rng.random() * 0.9) for i in range(recent)]
        times = [min(t, self.initial_now - timedelta(minutes=5)) for t in times]
        future, t = max(200, n // 5), self.initial_now
        while future > 0 or t < self.initial_now + self.horizon:
            t = t + timedelta(minutes=rng.randint(*FUTURE_MINUTES))
            times.append(t)
            future -= 1
        times = [t.replace(microsecond=0) for t in sorted(times)]
        seed_slot = None
        if times and times[0] <= SEED_ARTICLE_PUBLISHED <= self.initial_now:
            seed_slot = min(range(n), key=lambda i: abs(times[i] - SEED_ARTICLE_PUBLISHED))
        out: list[ArticleMeta] = []
        legacy_id, current_id = LEGACY_ID_START, CURRENT_ID_START
        for i, when in enumerate(times):
            arng = random.Random(f"meta:{self.seed}:{i}")
            if when < self.redesign:
                legacy_id += arng.randint(3, 40)
                aid = legacy_id
            else:
                current_id += arng.randint(2, 12)
                aid = current_id
            if i == seed_slot:
                title, _ = seed_title_and_lead()
                meta = ArticleMeta(aid, slugify(title), self.by_path["cong-nghe/chuyen-doi-so"],
                                   SEED_ARTICLE_PUBLISHED, "seed")
                out.append(meta)
                continue
            section = arng.choice(self.leaves)
            extra_rng = random.Random(f"extra-section:{self.seed}:{i}")
            if extra_rng.random() < vocab.EXTRA_SHARE:
                section = extra_rng.choice(self.extra_leaves)
            kind = "emagazine" if when >= self.redesign and arng.random() < 0.04 else "normal"
            meta = ArticleMeta(aid, "", section, when, kind)
            roll = arng.random()
            n_edits = 2 if roll < 0.04 else 1 if roll < 0.16 else 0
            for k in range(n_edits):
                delay = timedelta(hours=arng.uniform(1, 240) * _edit_age_factor(self.seed, i, k))
                meta.edits.append(((when + delay).replace(microsecond=0), arng.choice(EDIT_KINDS)))
            meta.edits.sort()
            if arng.random() < 0.015:
                meta.gone_at = (when + timedelta(hours=arng.uniform(2, 720))).replace(microsecond=0)
                meta.gone_status = arng.choice((404, 410))
            out.append(meta)
        for meta in out:
            meta.slug = meta.slug or slugify(base_title(self.seed, meta.id))[:90].strip("-")
        return out

    # -- queries at the current clock ----------------------------------------------------------
    def visible(self) -> list[ArticleMeta]:
        """Published and live now, newest first (the order every listing uses)."""
        return _visible(self, self.epoch)

    def in_section(self, section: Section | None) -> list[ArticleMeta]:
        if section is None:
            return self.visible()
        return _in_section(self, self.epoch, section.path)

    def published_before(self, t: datetime, last: int | None = None) -> list[ArticleMeta]:
        """Articles published at or before `t`, oldest first; only the `last` newest of them if given."""
        end = bisect.bisect_right(self._published, t)
        return self.articles[max(0, end - last) if last else 0: end]

    def content(self, meta: ArticleMeta, version: int | None = None) -> dict[str, Any]:
        return content_of(self, meta, meta.version_at(self.now) if version is None else version)

    def headline(self, meta: ArticleMeta) -> tuple[str, str]:
        """Title and lead now, without building the body: listings show thousands of these."""
        return headline_of(self, meta, meta.version_at(self.now))


@lru_cache(maxsize=8)
def _visible(site: Site, epoch: int) -> list[ArticleMeta]:
    now = site.now
    live = [a for a in site.published_before(now) if not a.is_gone(now)]
    return live[::-1]


def _in_section(site: Site, epoch: int, path: str) -> list[ArticleMeta]:
    return _section_index(site, epoch).get(path, [])


@lru_cache(maxsize=8)
def _section_index(site: Site, epoch: int) -> dict[str, list[ArticleMeta]]:
    """Every section's live articles, newest first, in one pass over the site."""
    index: dict[str, list[ArticleMeta]] = {}
    for a in site.visible():
        for s in a.section.trail:
            index.setdefault(s.path, []).append(a)
    return index


# -- content ---------------------------------------------------------------------------------------

def seed_title_and_lead() -> tuple[str, str]:
    lines = vocab.seed_article_text().splitlines()
    return lines[0].strip(), lines[2].strip().removeprefix("Diendandoanhnghiep.vn").strip()


@lru_cache(maxsize=512)
def _slots(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _fill(template: str, rng: random.Random, cast: names.Cast | None = None) -> str:
    """A template with its slots drawn from the vocabulary; only the slots it has cost a draw. Names come
    from the article's cast when there is one, so that an article keeps naming whom it is about."""
    values: dict[str, object] = {}
    for slot in _slots(template):
        if slot in values:
            continue
        if slot in ("person", "short"):
            person = rng.choice(cast.people) if cast else names.zipf(names.people(), rng)
            values.update(person=person, short=person.split()[-1])
        elif slot in ("topic", "topic_cap"):
            topic = rng.choice(cast.topics) if cast and rng.random() < 0.7 else names.zipf(names.topics(), rng)
            values.update(topic=topic, topic_cap=topic[:1].upper() + topic[1:])
        elif slot == "company" and cast:
            values[slot] = rng.choice(cast.companies)
        elif slot == "place" and cast:
            values[slot] = cast.place
        else:
            values[slot] = _SLOT_DRAWS[slot](rng)
    return template.format(**values)


def _sentence(rng: random.Random, seed: int, article_id: int) -> str:
    """Mostly composed from clauses in the article's style; now and then a stock sentence of the newsroom."""
    template = (prose.template(rng, prose.style(seed, article_id)) if rng.random() < 0.85
                else rng.choice(vocab.SENTENCE_TEMPLATES))
    return _fill(template, rng, names.cast(seed, article_id))


_SLOT_DRAWS: dict[str, Callable[[random.Random], object]] = {
    "province": lambda rng: rng.choice(vocab.PROVINCES),
    "org": lambda rng: rng.choice(vocab.ORGS),
    "company": lambda rng: names.zipf(names.companies(), rng),
    "company2": lambda rng: names.zipf(names.companies(), rng),
    "place": lambda rng: names.zipf(names.places(), rng),
    "brand": lambda rng: names.zipf(names.brands(), rng),
    "trade": lambda rng: rng.choice(names.TRADES),
    "sector": lambda rng: rng.choice(names.TRADES).lower(),
    "months": lambda rng: rng.randint(2, 11),
    "rate": lambda rng: f"{rng.randint(4, 11)},{rng.randint(0, 9)}",
    "product": lambda rng: names.zipf(names.PRODUCTS, rng),
    "country": lambda rng: names.zipf(prose.COUNTRIES, rng),
    "cert": lambda rng: rng.choice(prose.CERTIFICATES),
    "province2": lambda rng: rng.choice(vocab.PROVINCES),
    "year": lambda rng: rng.randint(2019, 2026),
    "future": lambda rng: rng.randint(2027, 2035),
    "month": lambda rng: rng.randint(1, 12),
    "day": lambda rng: rng.randint(1, 28),
    "decree": lambda rng: rng.randint(10, 180),
    "quarter": lambda rng: rng.choice(("I", "II", "III", "IV")),
    "num": lambda rng: f"{rng.randint(2, 980):,}".replace(",", "."),
    "num2": lambda rng: rng.randint(12, 4800),
    "pct": lambda rng: f"{rng.randint(3, 140)},{rng.randint(0, 9)}",
    "author": lambda rng: rng.choice(vocab.AUTHORS),
}


def _typo(title: str, rng: random.Random) -> str:
    """A plausible typo: a doubled letter or a lost tone mark."""
    words = title.split()
    i = rng.randrange(len(words))
    w = words[i]
    stripped = unicodedata.normalize("NFC", "".join(
        c for c in unicodedata.normalize("NFD", w) if unicodedata.category(c) != "Mn"))
    words[i] = stripped if stripped != w else w + w[-1]
    return " ".join(words)


def _link(target: ArticleMeta, variant: str, title: str) -> dict[str, str]:
    return {"type": "related", "id": target.id, "path": target.path, "section": target.section.path,
            "variant": variant, "title": title}


@lru_cache(maxsize=4096)
def _base_content(site: Site, meta: ArticleMeta) -> dict[str, Any]:
    if meta.kind == "seed":
        return _seed_content(site, meta)
    rng = random.Random(f"content:{site.seed}:{meta.id}")
    cast = names.cast(site.seed, meta.id)
    title, lead = base_title(site.seed, meta.id), base_lead(site.seed, meta.id)
    seed_sents = vocab.seed_sentences()
    blocks: list[dict[str, Any]] = []
    earlier = [a for a in site.published_before(meta.published - timedelta(seconds=1), 400)
               if a.section == meta.section and a.kind != "emagazine"][-12:]
    if earlier and meta.kind == "normal" and rng.random() < (0.45 if meta.published < site.redesign else 0.15):
        for target in rng.sample(earlier, min(len(earlier), rng.randint(1, 2))):
            variant = rng.choice(["canonical", "section", "utm", "alias", "fragment"])
            blocks.append(_link(target, variant, _title_of(site, target)))
    n_blocks = rng.randint(9, 16)
    for b in range(n_blocks):
        roll = rng.random()
        if b > 1 and roll < 0.10:
            blocks.append({"type": "h2", "text": _fill(rng.choice(vocab.HEADING_TEMPLATES), rng, cast)})
        elif b > 1 and roll < 0.22:
            caption, alt = rng.choice(vocab.CAPTION_TEMPLATES)
            crng = random.Random(f"fig:{site.seed}:{meta.id}:{b}")
            day = meta.published
            blocks.append({
                "type": "figure", "caption": _fill(caption, crng, cast), "alt": _fill(alt, crng, cast),
                "src": f"https://dddn.1cdn.vn/{day:%Y/%m/%d}/{meta.slug or 'anh'}-{b}.jpg",
            })
        elif b > 2 and roll < 0.27:
            blocks.append({"type": "quote", "text": _fill(rng.choice(vocab.QUOTE_TEMPLATES), rng, cast)})
        elif b > 2 and roll < 0.31:
            items = rng.sample(vocab.LIST_TEMPLATES, rng.randint(2, 4))
            blocks.append({"type": "list", "items": [_fill(i, rng, cast) for i in items]})
        elif b > 2 and roll < 0.33:
            rows = [["Chỉ tiêu", "Năm trước", "Năm nay"]] + [
                [rng.choice(vocab.TOPICS).capitalize(), f"{rng.randint(10, 999)}", f"{rng.randint(10, 999)}"]
                for _ in range(rng.randint(2, 4))]
            blocks.append({"type": "table", "rows": rows})
        else:
            sents = [_sentence(rng, site.seed, meta.id) for _ in range(rng.randint(2, 4))]
            if rng.random() < 0.1:
                sents.insert(rng.randint(0, len(sents)), rng.choice(seed_sents))
            blocks.append({"type": "p", "text": " ".join(sents)})
    box = random.Random(f"factbox:{site.seed}:{meta.id}")  # its own stream: the rest of the article stays put
    if meta.kind == "normal" and box.random() < 0.3:
        paragraphs = [_fill(t, box, cast) for t in box.sample(vocab.FACTBOX_TEMPLATES, box.randint(1, 2))]
        blocks.insert(min(4, len(blocks)), {"type": "box", "paragraphs": paragraphs})
    authors = [rng.choice(vocab.AUTHORS)] + ([rng.choice(vocab.AUTHORS)] if rng.random() < 0.1 else [])
    tags = rng.sample(vocab.TAGS, rng.randint(2, 5))
    return {"title": title, "lead": lead, "blocks": blocks, "authors": list(dict.fromkeys(authors)),
            "tags": tags, "dateline": meta.published < site.redesign}


def _seed_content(site: Site, meta: ArticleMeta) -> dict[str, Any]:
    """The seed page's article, structured as the CMS held it (headings, figures, ">>" links)."""
    title, lead = seed_title_and_lead()
    lines = [ln.strip() for ln in vocab.seed_article_text().splitlines()[4:]]
    lines = [ln for ln in lines[: lines.index("Đánh giá của bạn:")] if ln]
    headings = {"Hoàn thành xuất sắc nhiệm vụ", "Nổi bật về công tác chuyển đổi số"}
    earlier = [a for a in site.published_before(meta.published, 60) if a.kind == "normal"][-3:]
    blocks: list[dict[str, Any]] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if ln.startswith(">>"):
            target = earlier.pop() if earlier else meta
            blocks.append({**_link(target, "canonical", ln[2:].strip()), "path": target.path})
        elif ln in headings:
            blocks.append({"type": "h2", "text": ln})
        elif len(ln) < 40 and nxt.startswith(ln):
            blocks.append({"type": "figure", "alt": ln, "caption": nxt,
                           "src": f"https://dddn.com.vn/upload/{meta.published:%Y/%m}/seed-{i}.jpg"})
            i += 1
        elif len(ln) < 200 and not ln.endswith((".", "…", ":")):
            blocks.append({"type": "figure", "alt": "", "caption": ln,
                           "src": f"https://dddn.com.vn/upload/{meta.published:%Y/%m}/seed-{i}.jpg"})
        else:
            blocks.append({"type": "p", "text": ln})
        i += 1
    return {"title": title, "lead": lead, "blocks": blocks, "authors": ["Lê Minh"],
            "tags": ["chuyển đổi số", "Thanh Hóa"], "dateline": True}


def base_title(seed: int, article_id: int) -> str:
    rng, cast = random.Random(f"title:{seed}:{article_id}"), names.cast(seed, article_id)
    return _fill(rng.choice(vocab.TITLE_TEMPLATES), rng, cast)


def base_lead(seed: int, article_id: int) -> str:
    rng = random.Random(f"lead:{seed}:{article_id}")
    return " ".join(_sentence(rng, seed, article_id) for _ in range(rng.randint(1, 2)))


@lru_cache(maxsize=65536)
def headline_of(site: Site, meta: ArticleMeta, version: int) -> tuple[str, str]:
    if meta.kind == "seed":
        return seed_title_and_lead()
    title, lead = base_title(site.seed, meta.id), base_lead(site.seed, meta.id)
    kinds = [kind for _, kind in meta.edits]
    if "typo" in kinds and kinds.index("typo") >= version:
        title = _typo(title, random.Random(f"edits:{site.seed}:{meta.id}"))
    for n, kind in enumerate(kinds[:version]):
        if kind == "lead":
            lead = _edited_lead(site, meta, n)
    return title, lead


def _edited_lead(site: Site, meta: ArticleMeta, n: int) -> str:
    erng = random.Random(f"edit:{site.seed}:{meta.id}:{n}:lead")
    return " ".join(_sentence(erng, site.seed, meta.id) for _ in range(2))


def _title_of(site: Site, meta: ArticleMeta) -> str:
    return seed_title_and_lead()[0] if meta.kind == "seed" else base_title(site.seed, meta.id)


@lru_cache(maxsize=8192)
def content_of(site: Site, meta: ArticleMeta, version: int) -> dict[str, Any]:
    """The article as the CMS holds it at a version: the base content with edits 1..version applied."""
    base = _base_content(site, meta)
    title, lead = headline_of(site, meta, version)
    content = {**base, "title": title, "lead": lead, "blocks": list(base["blocks"]), "version": version}
    for n, (_, kind) in enumerate(meta.edits[:version]):
        erng = random.Random(f"edit:{site.seed}:{meta.id}:{n}")
        if kind == "paragraph":
            sents = [_sentence(erng, site.seed, meta.id) for _ in range(3)]
            content["blocks"].append({"type": "p", "text": " ".join(sents)})
        elif kind == "correction":
            content["blocks"].append({"type": "p", "text": _fill(vocab.CORRECTION_NOTE, erng)})
    return content


def related_box(site: Site, meta: ArticleMeta) -> list[ArticleMeta]:
    """"Bài liên quan": earlier articles of the same section, fixed per article."""
    pool = [a for a in site.published_before(meta.published - timedelta(seconds=1), 600)
            if a.section.parent == meta.section.parent and a.id != meta.id][-20:]
    rng = random.Random(f"related:{site.seed}:{meta.id}")
    return rng.sample(pool, min(4, len(pool)))


def dont_miss(site: Site, meta: ArticleMeta) -> list[ArticleMeta]:
    """"Đừng bỏ lỡ": the channel's articles just before this one, fixed per article."""
    pool = [a for a in site.published_before(meta.published - timedelta(seconds=1), 300)
            if a.section == meta.section and a.id != meta.id]
    return pool[-5:][::-1]


def most_read(site: Site) -> list[ArticleMeta]:
    """"Đọc nhiều": changes with the clock's day, the noise that must never make a version."""
    pool = site.visible()[:80]
    rng = random.Random(f"mostread:{site.seed}:{site.now:%Y%m%d%H}")
    return rng.sample(pool, min(6, len(pool)))


def comment_count(site: Site, meta: ArticleMeta) -> int:
    hours = max(0.0, (site.now - meta.published).total_seconds() / 3600)
    return int(min(hours, 400) * (meta.id % 7) / 9)
