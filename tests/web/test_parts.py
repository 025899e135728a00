"""The web app's pure parts: language choice, the chart's layout, URL screening, side-by-side alignment."""

from __future__ import annotations

import pytest

from archive.diff import Piece, side_by_side
from archive.web.app import paragraphs, safe_url
from archive.web.chart import HEIGHT, WIDTH, bars
from archive.web.i18n import LABELS, choose
from archive.web.schemas import Piece as ApiPiece


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    (None, None, None, "vi"),
    (None, None, "en-US,en;q=0.9", "en"),
    (None, None, "fr-FR,fr;q=0.9,en;q=0.8,vi;q=0.7", "en"),
    (None, None, "vi;q=0.4,en;q=0.3", "vi"),
    (None, None, "de, en;q=0.5, vi", "vi"),  # equal weights: the first listed of ours wins
    (None, None, "en;q=garbage, vi;q=0.1", "vi"),
    (None, "en", "vi", "en"),
    ("vi", "en", "en", "vi"),
    ("xx", None, "en", "en"),
])
def test_language_choice(query: str | None, cookie: str | None, header: str | None, expected: str) -> None:
    assert choose(query, cookie, header) == expected


def test_both_languages_label_everything() -> None:
    assert LABELS["vi"].keys() == LABELS["en"].keys()


def test_chart_covers_every_month_between_the_first_and_the_last() -> None:
    laid = bars([("2025-11", 4), ("2026-02", 8)])
    assert [b.month for b in laid] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert [b.count for b in laid] == [4, 0, 0, 8]
    assert laid[3].height == HEIGHT - 8 and laid[0].height == pytest.approx((HEIGHT - 8) / 2)
    assert laid[1].height == 0 and laid[3].x + laid[3].width <= WIDTH
    assert (laid[2].since, laid[2].until) == ("2026-01-01", "2026-01-31")
    assert bars([]) == []


@pytest.mark.parametrize(("url", "kept"), [
    ("https://diendandoanhnghiep.vn/a-1.html", True), ("http://x.vn/a.jpg", True), (" HTTPS://X.VN/ ", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("data:text/html,<script>", False),
    ("vbscript:x", False), ("//evil.example/x", False), ("/relative", False), ("", False), ("http://[::1", False),
])
def test_only_http_urls_become_links(url: str, kept: bool) -> None:
    assert (safe_url(url) is not None) == kept


def test_side_by_side_pairs_changed_paragraphs_and_keeps_the_rest() -> None:
    rows = side_by_side("Một hai ba.\nGiữ nguyên.\nBỏ đi.", "Một bốn ba.\nGiữ nguyên.\nThêm mới.\nNữa.")
    assert rows[0].old == [Piece("same", "Một"), Piece("removed", "hai"), Piece("same", "ba.")]
    assert rows[0].new == [Piece("same", "Một"), Piece("added", "bốn"), Piece("same", "ba.")]
    assert rows[1].old == rows[1].new == [Piece("same", "Giữ nguyên.")]
    assert rows[3].old is None and rows[3].new == [Piece("added", "Nữa.")]


def test_an_inline_diff_is_cut_at_paragraph_breaks() -> None:
    pieces = [ApiPiece(kind="same", text="a b\nc"), ApiPiece(kind="added", text="d\ne")]
    assert [[p.text for p in para] for para in paragraphs(pieces)] == [["a b"], ["c", "d"], ["e"]]
