"""`@field`: one page-object method per Article key, web-poet style, computed once per page.

A page object's `to_article()` is generated from its registered fields, so a new field is one method.
Reading a field never raises: real pages carry every kind of malformed markup and JSON-LD, and one field
that cannot be read must not cost the others. A failed field is left empty (the Article's default) and
named in the page's `field_errors`, which extraction turns into `field_error:NAME` flags.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from archive.extract.model import Article

log = logging.getLogger(__name__)

T = TypeVar("T")
FIELD_ERROR = "field_error:"


class field(Generic[T]):  # lower case: it is used as a decorator, like web-poet's
    def __init__(self, method: Callable[[Any], T]) -> None:
        self.method = method
        self.name = method.__name__
        self.__doc__ = method.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, page: None, owner: type | None = None) -> field[T]: ...

    @overload
    def __get__(self, page: object, owner: type | None = None) -> T: ...

    def __get__(self, page: object | None, owner: type | None = None) -> field[T] | T:
        if page is None:
            return self
        # Keyed by the descriptor, not the name: `super().author` in an override is its own value.
        values: dict[field[Any], Any] = page.__dict__.setdefault("_field_values", {})
        if self not in values:
            try:
                values[self] = self.method(page)
            except Exception as exc:  # any markup at all reaches here; the field is lost, never the page
                log.debug("field %s failed: %r", self.name, exc)
                page.__dict__.setdefault("field_errors", []).append(self.name)
                values[self] = empty(self.name)
        value: T = values[self]
        return value


_names: dict[type, tuple[str, ...]] = {}


def field_names(page_class: type) -> tuple[str, ...]:
    """Every field a page class registers, its own and inherited."""
    if page_class not in _names:
        _names[page_class] = tuple(n for n in dir(page_class) if isinstance(getattr(page_class, n, None), field))
    return _names[page_class]


def empty(name: str) -> Any:
    """The Article's own default for a key: what a field that could not be read is left as."""
    spec = Article.__dataclass_fields__[name]
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return None if spec.default is dataclasses.MISSING else spec.default
