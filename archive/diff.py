"""Word-level differences between two versions, as readers of NewsDiffs expect them."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

_TOKEN = re.compile(r"\S+|\n")
Kind = Literal["same", "removed", "added"]
TextLabel = Literal["title", "lead", "body"]
ListLabel = Literal["section", "authors", "tags", "published"]


@dataclass
class Piece:
    kind: Kind
    text: str


def word_diff(old: str, new: str) -> list[Piece]:
    """Pieces of text, each unchanged, removed or added; paragraph breaks are kept as tokens."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", _join(a[i1:i2])))
        if op in ("delete", "replace"):
            pieces.append(Piece("removed", _join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(Piece("added", _join(b[j1:j2])))
    return pieces


def _join(tokens: list[str]) -> str:
    return " ".join(tokens).replace(" \n ", "\n").replace("\n ", "\n").replace(" \n", "\n")


def with_context(pieces: list[Piece], words: int = 12) -> list[Piece]:
    """Long unchanged stretches cut down to a few words either side of each change."""
    out = []
    for n, piece in enumerate(pieces):
        tokens = piece.text.split(" ")
        if piece.kind != "same" or len(tokens) <= 3 * words:
            out.append(piece)
            continue
        head = tokens[:words] if n > 0 else []
        tail = tokens[-words:] if n < len(pieces) - 1 else []
        out.append(Piece("same", " ".join([*head, "…", *tail]).strip()))
    return out


# label, key in extraction fields
TEXT_FIELDS: tuple[tuple[TextLabel, str], ...] = (("title", "title"), ("lead", "lead"), ("body", "text"))
LIST_FIELDS: tuple[tuple[ListLabel, str], ...] = (("section", "section_path"), ("authors", "author"), ("tags", "tags"))


def full_text(fields: dict[str, Any]) -> str:
    return "\n".join([fields.get("title") or "", fields.get("lead") or "", fields.get("text") or ""])


@dataclass
class Row:
    """A line of a side-by-side diff: a paragraph of the old version and its counterpart in the new, either
    one None when a paragraph was only removed or only added."""

    old: list[Piece] | None
    new: list[Piece] | None


@dataclass
class Comparison:
    texts: dict[TextLabel, list[Piece]]  # inline pieces, for each of TEXT_FIELDS that changed
    lists: dict[ListLabel, tuple[list[str], list[str]]]  # (old, new), for each of LIST_FIELDS that changed
    words: dict[TextLabel, list[int]]  # [removed, added] words, for each of TEXT_FIELDS that changed

    @property
    def removed(self) -> int:
        return sum(removed for removed, _ in self.words.values())

    @property
    def added(self) -> int:
        return sum(added for _, added in self.words.values())

    @property
    def changed(self) -> list[str]:
        return [*self.texts, *self.lists]


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    """What changed between two versions' extraction fields."""
    texts: dict[TextLabel, list[Piece]] = {}
    words: dict[TextLabel, list[int]] = {}
    for label, key in TEXT_FIELDS:
        pieces = word_diff(old.get(key) or "", new.get(key) or "")
        if any(p.kind != "same" for p in pieces):
            texts[label] = pieces
            words[label] = [sum(len(p.text.split()) for p in pieces if p.kind == kind) for kind in ("removed", "added")]
    lists = {label: (list(old.get(key) or []), list(new.get(key) or [])) for label, key in LIST_FIELDS
             if _as_compared(label, old.get(key)) != _as_compared(label, new.get(key))}
    if _minute(old.get("published")) != _minute(new.get("published")):
        lists["published"] = ([old["published"]] if old.get("published") else [],
                              [new["published"]] if new.get("published") else [])
    return Comparison(texts, lists, words)


def _as_compared(label: ListLabel, values: list[str] | None) -> Any:
    """As the content fingerprint sees a list: tags are a set, which the site reorders freely."""
    values = list(values or [])
    return sorted({" ".join(v.split()).casefold() for v in values}) if label == "tags" else values


def _minute(value: str | None) -> str | None:
    """A publication time to the minute, in UTC: the fingerprint's precision."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m-%dT%H:%M")


def side_by_side(old: str, new: str) -> list[Row]:
    """Paragraphs aligned in two columns; a paragraph changed in place shows its word changes on both sides."""
    a, b = old.split("\n"), new.split("\n")
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            rows += [Row([Piece("same", p)], [Piece("same", p)]) for p in a[i1:i2]]
            continue
        olds, news = a[i1:i2], b[j1:j2]
        for n in range(max(len(olds), len(news))):
            if n < len(olds) and n < len(news):
                pieces = word_diff(olds[n], news[n])
                rows.append(Row([p for p in pieces if p.kind != "added"], [p for p in pieces if p.kind != "removed"]))
            elif n < len(olds):
                rows.append(Row([Piece("removed", olds[n])], None))
            else:
                rows.append(Row(None, [Piece("added", news[n])]))
    return rows
