"""Word-level differences between two versions, as readers of NewsDiffs expect them."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\S+|\n")


@dataclass
class Piece:
    kind: str  # same | removed | added
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


def changed_words(old: str, new: str) -> tuple[int, int]:
    """How many words a change removed and added."""
    removed = sum(len(p.text.split()) for p in word_diff(old, new) if p.kind == "removed")
    added = sum(len(p.text.split()) for p in word_diff(old, new) if p.kind == "added")
    return removed, added
