"""What the browser may load while rendering a page: the page and its scripts' data, nothing else."""

from __future__ import annotations

from typing import Any

BLOCKED = {"image", "media", "font", "stylesheet"}


def abort_request(request: Any) -> bool:
    """scrapy-playwright's PLAYWRIGHT_ABORT_REQUEST: no images, fonts, styles, ads or trackers."""
    return bool(request.resource_type in BLOCKED or "googletagmanager" in request.url or "oneads" in request.url
                or "1cdn.vn" in request.url)
