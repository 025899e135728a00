"""Plain HTTP helpers for tests: no redirects followed, no decoding, nothing hidden."""

from __future__ import annotations

import gzip
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        data = gzip.decompress(self.body) if self.headers.get("content-encoding") == "gzip" else self.body
        return data.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.text)


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None, timeout: float = 30) -> Fetched:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target or "/", headers=headers or {})
        resp = conn.getresponse()
        return Fetched(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()
