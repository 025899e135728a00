"""A replica page turned hostile: the payloads a stored-XSS attack would plant in an archived article."""

from __future__ import annotations

import html
from typing import Any

MARK = "window.__xss=1"
# Text payloads: the page carries them escaped, so extraction hands them on as literal text.
SCRIPT = f"<script>{MARK}</script>"
HANDLER = f'<img src=x onerror="{MARK}">'
BREAKOUT = f'"><svg onload="{MARK}">'
# Markup payloads: live markup in the page, which extraction must not carry into a field as markup.
JS_URL = f"javascript:{MARK}"


def hostile(page: str, truth: dict[str, Any]) -> str:
    """`page` (the replica's HTML of the article `truth` describes) with payloads in its title, lead, body,
    image, caption, related link and tags."""
    title, lead = truth["title"], truth["lead"]
    page = page.replace(html.escape(title, quote=False), html.escape(f"{SCRIPT}{HANDLER} {title}", quote=False))
    page = page.replace(html.escape(lead, quote=False), html.escape(f"{BREAKOUT} {lead}", quote=False))
    body_start = page.index("<p>", page.index(html.escape(lead[:30], quote=False)) + 1)
    planted = (f'<p>{html.escape(SCRIPT)} đoạn văn có <a href="{JS_URL}">liên kết độc</a> và thẻ '
               f'<b onmouseover="{MARK}">chưa đóng <i>{html.escape(BREAKOUT)}</p>'
               f'<figure><img src="{JS_URL}" alt="x"><figcaption>{html.escape(HANDLER)} Chú thích ảnh</figcaption>'
               f'</figure>')
    page = page[:body_start] + planted + page[body_start:]
    if (related := page.find("related")) > 0:
        start = page.index('href="', related) + len('href="')
        page = page[:start] + JS_URL + page[page.index('"', start):]
    tag = truth["tags"][0] if truth.get("tags") else None
    if tag:
        page = page.replace(f">{html.escape(tag, quote=False)}</a>", f">{html.escape(SCRIPT)}{tag}</a>")
    return page
