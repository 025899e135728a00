"""The site's ways of writing a time. Naive times are Vietnam time (UTC+7)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

VN = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
_VISIBLE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s*(?:[-|,]\s*)?(\d{1,2}):(\d{2})(?::(\d{2}))?")
_VISIBLE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
# "08:30 | 15/11/2021", "07:30, Thứ Hai, 15/11/2021", "14:51 ngày 27/05/2026": the time first
_VISIBLE_TIME_FIRST = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:[|,\-–]\s*)?(?:ngày\s*)?"
                                 r"(?:(?:Thứ\s+\w+|Chủ\s+nhật|CN|T\d)\s*,?\s*)?(\d{1,2})/(\d{1,2})/(\d{4})", re.I)
_US_META = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)$", re.I)


def parse_iso(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=VN)


def parse_us_meta(text: str) -> datetime | None:
    """`<meta name="article:published_time" content="5/27/2026 2:51:01 PM">`: month first."""
    m = _US_META.match(text.strip())
    if not m:
        return None
    month, day, year, hour, minute, second, half = m.groups()
    h = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
    try:
        return datetime(int(year), int(month), int(day), h, int(minute), int(second or 0), tzinfo=VN)
    except ValueError:
        return None


def parse_visible(text: str) -> datetime | None:
    """"27/05/2026 14:51", "27/05/2026 - 14:51", "Thứ sáu, 12/01/2023 - 08:30", and with the time first,
    "08:30 | Thứ sáu, 12/01/2023": day before month; and "2023-01-12 08:30"."""
    m = _VISIBLE.search(text)
    if m:
        day, month, year, hour, minute, second = m.groups()
    elif m := _VISIBLE_TIME_FIRST.search(text):
        hour, minute, second, day, month, year = m.groups()
    elif m := _VISIBLE_ISO.search(text):
        year, month, day, hour, minute, second = m.groups()
    else:
        return None
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=VN)
    except ValueError:
        return None


_DAY = re.compile(r"\b(?:(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{2})-(\d{2}))\b")


def parse_day(text: str) -> datetime | None:
    """A date without a time ("15/11/2021", "2021-11-15") as the start of that day in Vietnam."""
    m = _DAY.search(text)
    if not m:
        return None
    day, month, year = (m[1], m[2], m[3]) if m[1] else (m[6], m[5], m[4])
    try:
        return datetime(int(year), int(month), int(day), tzinfo=VN)
    except ValueError:
        return None


def parse_any(text: str | None) -> datetime | None:
    if not text:
        return None
    return parse_iso(text) or parse_us_meta(text) or parse_visible(text)
