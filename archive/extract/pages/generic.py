"""Anything no template recognises (another site, a future redesign): trafilatura, plus our noise rules."""

from __future__ import annotations

import copy
from datetime import datetime
from functools import cached_property
from typing import Any

import trafilatura

from archive.extract import dates, noise
from archive.extract.blocks import Body
from archive.extract.html import clean
from archive.extract.model import FALLBACK_USED, Block
from archive.extract.pages.base import Page, split_names, unique
from archive.extract.pages.fields import field


class GenericPage(Page):
    template = "generic"

    @cached_property
    def extracted(self) -> dict[str, Any]:
        # trafilatura prunes the elements our rules name, then extracts; our line rules clean what is left.
        result = trafilatura.bare_extraction(
            copy.deepcopy(self.doc), url=self.url, with_metadata=True, include_comments=False, include_tables=True,
            prune_xpath=noise.prune_xpaths())
        if result is None:
            return {}
        return result if isinstance(result, dict) else result.as_dict()

    @cached_property
    def body(self) -> Body:
        lines = (clean(noise.cut_noise(line)) for line in (self.extracted.get("text") or "").splitlines())
        return Body([Block("paragraph", line) for line in lines if line and not noise.is_noise_line(line)])

    @field
    def title(self) -> str:
        return super().title or clean(self.extracted.get("title"))

    @field
    def author(self) -> list[str]:
        return super().author or split_names(clean(self.extracted.get("author")))

    @field
    def published(self) -> datetime | None:
        return super().published or self.plausible(dates.parse_iso(self.extracted.get("date") or ""))

    @field
    def tags(self) -> list[str]:
        return super().tags or unique(t for t in (clean(x) for x in (self.extracted.get("tags") or [])) if t)

    @field
    def flags(self) -> list[str]:
        return [FALLBACK_USED]
