"""What a researcher types, parsed into an expression that reaches the database only in a form we build.

    chuyển đổi số                 all three words (AND is implied)
    "chuyển đổi số"               the phrase
    chuyen*                       a prefix
    vàng OR "chứng khoán"         either
    ngân hàng NOT (lãi OR nợ)     the first, without the second
    (xuất OR nhập) khẩu           parentheses group

Operators are upper-case words; anything else is text. Words are split the way the index splits them, so
no character of the input ever reaches the engine's own query grammar: every term becomes a query object
built by us (archive/search/engine.py) from letters and digits only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.search.fold import exact, fold, words

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
_TOKEN = re.compile(r'"[^"]*"?|\(|\)|[^\s()"]+')


class QueryError(ValueError):
    """A query that cannot be searched; its message is one line for the user."""


@dataclass(frozen=True)
class Term:
    """One word, a phrase of several, or a prefix (`prefix` applies to the last word)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    """`left` without `right`: NOT is binary, so a query cannot start with it."""

    left: Node
    right: Node


Node = Term | And | Or | Not


def parse(text: str) -> Node:
    if "\x00" in text:
        raise QueryError("the query contains a NUL character")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text):,} characters long; at most {MAX_QUERY_CHARS:,} are searched")
    parser = _Parser(_TOKEN.findall(text))
    if not parser.tokens:
        raise QueryError("the query is empty")
    node = parser.expression()
    if parser.peek() is not None:
        raise QueryError(f"unexpected {parser.peek()!r} in the query")
    if len(terms(node)) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms")
    return node


def terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    return terms(node.left) + terms(node.right)


def positive_terms(node: Node) -> list[Term]:
    """The terms a matching text contains (not those after NOT): what a snippet highlights."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return positive_terms(node.left)
    return positive_terms(node.left) + positive_terms(node.right)


def has_diacritics(node: Node) -> bool:
    return any(fold(w) != exact(w) for t in terms(node) for w in t.words)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expression(self) -> Node:
        node = self.conjunction()
        while self.peek() == "OR":
            self.take()
            node = Or(node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while (token := self.peek()) is not None and token not in ("OR", ")"):
            if token == "AND":
                self.take()
            node = And(node, self.negation())
        return node

    def negation(self) -> Node:
        node = self.primary()
        while self.peek() == "NOT":
            self.take()
            node = Not(node, self.primary())
        return node

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise QueryError("the query ends where a word was expected")
        if token in ("AND", "OR", "NOT"):
            raise QueryError(f"{token} needs a word before it" if token != "NOT" or self.at == 0
                             else "NOT needs a word after it")
        if token == ")":
            raise QueryError("unbalanced ')' in the query")
        self.take()
        if token == "(":
            node = self.expression()
            if self.peek() != ")":
                raise QueryError("unbalanced '(' in the query")
            self.take()
            return node
        if token.startswith('"'):
            if len(token) < 2 or not token.endswith('"'):
                raise QueryError("unbalanced '\"' in the query")
            found = words(token[1:-1])
            if not found:
                raise QueryError(f"the phrase {token} has no words")
            return Term(tuple(found))
        prefix = token.endswith("*")
        found = words(token)
        if not found:  # punctuation alone: "-", "&", "*"
            raise QueryError(f"{token!r} has no letters or digits to search for")
        return Term(tuple(found), prefix=prefix)
