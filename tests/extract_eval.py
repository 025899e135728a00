"""Extraction scored against the replica's ground truth: the gate the tests assert and the bench reports."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archive.extract import Article, extract
from archive.urls import UrlRules, parse_aliases
from tests.http import fetch
from tests.replica import Replica

# Strings from what the site wraps around articles; none may reach a title, lead or body.
NOISE_STRINGS = (
    "Đánh giá của bạn", "Mời các bạn tham gia vào group", "Bạn đang đọc bài viết", "toasoan@dddn.com.vn",
    "hotline", "Bạn còn", "/500 ký tự", "Xếp theo", "Số người thích", "SELECT ", "cms_post", "publish_day",
    "Bình luận", ">>", "Quảng cáo", "Đừng bỏ lỡ", "Bài liên quan", "Đọc nhiều", "Tin cùng chuyên mục",
    "Có thể bạn quan tâm", "/ Diễn đàn Doanh nghiệp", "Chia sẻ", "Gửi bình luận", "Trang cuối", "lượt xem",
    "Diendandoanhnghiep.vn", "thích",
)
_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(w.casefold() for w in _WORD.findall(text))


def token_f1(got: str, want: str) -> float:
    g, w = tokens(got), tokens(want)
    if not g and not w:
        return 1.0
    overlap = sum((g & w).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(g.values()), overlap / sum(w.values())
    return 2 * precision * recall / (precision + recall)


def replica_rules(rep: Replica) -> UrlRules:
    """The replica's alias host plays dddn.com.vn."""
    return UrlRules().with_aliases(parse_aliases(rep.host_alias))


@dataclass
class PageScore:
    truth: dict[str, Any]
    article: Article
    f1: float
    noise: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # exact fields that differ


def published_as_shown(truth: dict[str, Any]) -> datetime:
    published = datetime.fromisoformat(truth["published"])
    return published.replace(second=0) if truth["published_precision"] == "minute" else published


def score(truth: dict[str, Any], article: Article) -> PageScore:
    body = "\n".join(truth["body"])
    f1 = token_f1(article.text, body)
    visible = "\n".join([article.title, article.lead, article.text])
    legit = (body, truth["title"], truth["lead"])
    noise = [s for s in NOISE_STRINGS if s in visible and not any(s in t for t in legit)]
    noise += [f"caption: {i['caption'][:40]}" for i in truth["images"] if i["caption"] in article.text]
    wrong = []
    checks = {
        "title": article.title == truth["title"],
        "lead": article.lead == truth["lead"],
        "authors": article.author == truth["authors"],
        "published": article.published == published_as_shown(truth),
        "section": article.section_path == truth["section_path"],
        "tags": article.tags == truth["tags"],
        "site_id": article.site_id == truth["site_id"],
        "canonical": article.canonical_url == truth["canonical_url"],
        "images": [(i.src, i.caption) for i in article.images] == [(i["src"], i["caption"]) for i in truth["images"]],
        "related": [(r.url, r.title) for r in article.related] == [(r["url"], r["title"]) for r in truth["related"]],
    }
    wrong = [name for name, ok in checks.items() if not ok]
    return PageScore(truth, article, f1, noise, wrong)


def evaluate(rep: Replica, kinds: tuple[str, ...] = ("normal", "seed")) -> list[PageScore]:
    rules = replica_rules(rep)
    out = []
    for truth in rep.truth():
        if truth["status"] != "live" or truth["kind"] not in kinds:
            continue
        resp = fetch(truth["canonical_url"], headers={"Accept-Encoding": "gzip"})
        article = extract(resp.body, truth["canonical_url"], resp.headers, rules=rules)
        out.append(score(truth, article))
    return out


def summary(scores: list[PageScore]) -> dict[str, float]:
    n = len(scores)
    exact = {name: sum(name not in s.wrong for s in scores) / n for name in
             ("title", "lead", "authors", "published", "section", "tags", "site_id", "canonical", "images", "related")}
    return {"pages": n, "f1_mean": sum(s.f1 for s in scores) / n, "f1_min": min(s.f1 for s in scores),
            "noisy_pages": sum(bool(s.noise) for s in scores), **{f"exact_{k}": v for k, v in exact.items()}}
