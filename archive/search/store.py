"""The search index itself: a Tantivy index in a folder of its own, derived from the archive alone.

The archive keeps, in `search_docs`, one row per article naming its latest extraction, each row stamped
by the transaction that last changed it (`index.py` writes them). This index follows those stamps: it
reads every row stamped at or after its watermark, indexes the articles' text, commits, and only then
moves the watermark. A crash in between re-reads a few rows, and re-indexing an article replaces it, so
nothing is lost or doubled. The watermark is the lowest stamp that may still be unseen:
- SQLite serialises writers, so it is the highest committed stamp plus one;
- PostgreSQL's writers commit out of order, so it is the oldest transaction still running
  (`txid_snapshot_xmin`): a row stamped by one of those is read again at the next catch-up.

Folding happens here, never in the writer: the crawl's transaction only stamps a row. The index's own
analyzer folds (Tantivy's ASCII folding, which takes đ to d as ours does), so the text is indexed as
written and snippets are cut from it in Rust.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

import tantivy
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from archive.database import ArchiveError, first_line
from archive.extract.dates import VN
from archive.models import Extraction, SearchDoc, SearchRemoval
from archive.search.fold import MARKS
from archive.search.index import key_values

log = logging.getLogger(__name__)

SEARCH_DIR_ENV = "ARCHIVE_SEARCH_DIR"
FORMAT = 3  # of the documents below; an index of another format is rebuilt
HEAP_BYTES = 64_000_000
BATCH = 2000
# The whole text (title, lead and body, as three values: no phrase spans two) is what a query matches;
# title and lead again on their own, for their weight. One field to match keeps a query of three words a
# conjunction of three postings, where three fields apiece made it one of three unions of three.
TEXT = "text"
BOOSTED = ("title", "lead")
KEYS = {"sections": "sections_key", "authors": "authors_key", "tags": "tags_key"}


class SearchIndexError(ArchiveError):
    """The index cannot be used; the message is one line that says what to do."""


class IndexBusy(SearchIndexError):
    """Another process writes the index; the message names it."""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("article_id", stored=True, indexed=True, fast=True)
    for name in (TEXT, *BOOSTED):  # folded words with positions: phrases, prefixes and proximity
        builder.add_text_field(name, tokenizer_name="folded", index_option="position")
    builder.add_text_field("exact", index_option="basic")  # the words as spelt: presence is all --exact needs
    for name in ("status", "template", "section", "month", *KEYS):
        builder.add_text_field(name, tokenizer_name="raw", fast=name in ("section", "month"))
    builder.add_integer_field("published", indexed=True, fast=True)  # seconds since the epoch
    return builder.build()


SCHEMA = _schema()
# Words as `fold.words` splits them, case and marks folded as `fold.fold` folds them (đ included).
FOLDED = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
          .filter(tantivy.Filter.ascii_fold()).filter(tantivy.Filter.remove_long(40)).build())


def create(path: Path) -> tantivy.Index:
    return _analyzed(tantivy.Index(SCHEMA, path=str(path)))


def open_index(path: Path) -> tantivy.Index:
    return _analyzed(tantivy.Index.open(str(path)))


def _analyzed(index: tantivy.Index) -> tantivy.Index:
    index.register_tokenizer("folded", FOLDED)  # analyzers are the process's, never stored in the folder
    return index


def location(url: str) -> Path:
    """Where the index of the archive at `url` lives: ARCHIVE_SEARCH_DIR, else beside a SQLite file
    (`x.sqlite` -> `x.search/`), else in the user's cache, one folder per PostgreSQL database."""
    if configured := os.environ.get(SEARCH_DIR_ENV):
        return Path(configured)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = (parsed.database or "").removeprefix("file:")
        if not database or database == ":memory:":
            raise SearchIndexError("an in-memory archive has no search index")
        path = Path(database)
        return path.with_name(path.stem + ".search")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "dddn-archive" / "search" / f"{parsed.host or 'local'}-{parsed.port or 5432}-{parsed.database}"


@dataclass
class State:
    """What the index folder records of the archive it follows."""

    archive: str  # the archive's identity: an index is never read against another archive
    watermark: int  # every row stamped below it is indexed
    format: int = FORMAT


class SearchIndex:
    """One archive's index. Opening it never writes; `catch_up` does, under the folder's writer lock."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path, self.engine = path, engine
        self._index: tantivy.Index | None = None
        self._identity: str | None = None
        self._lock = threading.Lock()
        self._background: threading.Event | None = None
        self._counted: tuple[int, int] | None = None  # meta.json's mtime, its documents

    @property
    def index(self) -> tantivy.Index:
        if self._index is None:
            try:
                self._index = open_index(self.path)
            except (ValueError, OSError) as exc:
                raise SearchIndexError(f"the search index at {self.path} cannot be read ({first_line(exc)}): "
                                       "run `archive index rebuild`") from None
            self._index.config_reader("OnCommit")
        return self._index

    def exists(self) -> bool:
        return (self.path / "meta.json").is_file() and (self.path / "state.json").is_file()

    def state(self) -> State | None:
        try:
            return State(**json.loads((self.path / "state.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def documents_counted(self) -> int:
        """The documents BM25 counts as the index's size: its segments' every document, the deleted ones
        until a merge drops them (what `Searcher.num_docs` leaves out), as the index's last commit lists
        them."""
        meta = self.path / "meta.json"
        try:
            stamp = meta.stat().st_mtime_ns
            if self._counted is None or self._counted[0] != stamp:
                self._counted = (stamp, sum(int(s["max_doc"]) for s in json.loads(meta.read_text())["segments"]))
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        return self._counted[1]

    def _position(self) -> tuple[str, int]:
        """The archive's identity (asked once) and its latest stamp."""
        if self._identity is None:
            self._identity = _identity(self.engine)
        return self._identity, _latest_stamp(self.engine)

    def _standing(self) -> tuple[State | None, int]:
        """The index's state, if it may be read as it is (made for this archive in this format, and not
        ahead of it: an archive restored from an older backup), else None; and the archive's latest stamp."""
        state = self.state()
        identity, latest = self._position()
        # Only SQLite's watermark (its highest stamp + 1) can be ahead of an archive it indexed: PostgreSQL's
        # is the oldest running transaction, ahead of the stamps whenever a transaction stamps nothing (a
        # run record), and its transaction ids never go back (a restored copy is another archive).
        ahead = self.engine.dialect.name == "sqlite" and state is not None and state.watermark > latest + 1
        if not self.exists() or state is None or state.format != FORMAT or state.archive != identity or ahead:
            return None, latest
        return state, latest

    def is_current(self) -> bool:
        """Whether the index holds everything the archive has committed."""
        state, latest = self._standing()
        return state is not None and latest < state.watermark

    def catch_up(self, on_total: Callable[[int], None] = lambda n: None,
                 on_article: Callable[[int], None] = lambda n: None, wait: bool = False) -> int:
        """Indexes every article changed since the watermark; the number indexed. Rebuilds an index that
        is missing, of another format or another archive. Returns 0 at once if another process holds the
        writer of an index there is, unless `wait`."""
        if self._background is not None and self.exists():
            return 0  # a thread of this process follows the archive: a search reads what it committed
        return self._catch_up(on_total, on_article, wait)

    def _catch_up(self, on_total: Callable[[int], None] = lambda n: None,
                  on_article: Callable[[int], None] = lambda n: None, wait: bool = False,
                  stop: threading.Event | None = None) -> int:
        with self._lock:
            if self.is_current():
                return 0  # the usual case of a search: nothing new
            try:
                with _writer_lock(self.path, wait or not self.exists()):
                    return self._fill(on_total, on_article, stop)
            except IndexBusy:
                return 0  # another process follows: it commits, and this one's reader reloads

    @contextmanager
    def following(self, interval: float = 1.0) -> Iterator[None]:
        """A thread of this process keeps the index following the archive while in the block (what a
        server wants: a search then never waits on indexing); searches meanwhile read what it commits."""
        stop = threading.Event()

        def loop() -> None:
            while True:
                try:
                    self._catch_up(stop=stop)
                except (SearchIndexError, OSError) as exc:
                    log.warning("search index %s: %s", self.path, exc)
                if stop.wait(interval):
                    return

        thread = threading.Thread(target=loop, name="search-index-follower", daemon=True)
        self._background = stop
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self._background = None

    def rebuild(self, on_total: Callable[[int], None] = lambda n: None,
                on_article: Callable[[int], None] = lambda n: None, wait: bool = True) -> int:
        """The index afresh from the archive; raises `IndexBusy` if another process writes it, unless
        `wait`."""
        with self._lock, _writer_lock(self.path, wait):
            return self._fill(on_total, on_article, reset=True)

    def follow(self, stop: threading.Event, interval: float = 1.0,
               on_batch: Callable[[int], None] = lambda n: None, on_wait: Callable[[str], None] = lambda m: None
               ) -> None:
        """Keeps the index following the archive, catching up every `interval` seconds, until `stop` is
        set. The follower holds the folder's writer all along: searches beside it read what it commits,
        and a second follower (or a rebuild) waits its turn, hearing through `on_wait` who holds it."""
        while not stop.is_set():
            try:
                with _writer_lock(self.path, wait=False):
                    while not stop.is_set():
                        with self._lock:
                            done = self._fill(lambda n: None, lambda n: None, stop)
                        if done:
                            on_batch(done)
                        stop.wait(interval)
                return
            except IndexBusy as exc:
                on_wait(f"{exc}: waiting for it")
                stop.wait(max(interval, 5.0))

    def _fill(self, on_total: Callable[[int], None], on_article: Callable[[int], None],
              stop: threading.Event | None = None, reset: bool = False) -> int:
        """Indexes what changed since the watermark, commits, then moves the watermark; everything afresh
        with `reset`, or when the index may not be read as it is. Set, `stop` ends it after the batch at
        hand, which is committed: the watermark then stops at that batch's last stamp, whose rows the
        next catch-up reads again. Call it holding the writer."""
        identity, _ = self._position()
        standing, _ = self._standing()
        reset = reset or standing is None
        state = State(identity, 0) if reset or standing is None else standing
        if reset:
            self._index = None
            self.path.mkdir(parents=True, exist_ok=True)
            for stale in self.path.iterdir():
                if stale.name != "writer.lock" and stale.is_file():
                    stale.unlink()
            create(self.path)
        with self.engine.connect() as conn:
            watermark = _safe_watermark(conn)
            removed = conn.scalars(select(SearchRemoval.article_id).where(SearchRemoval.stamp >= state.watermark)).all()
            total = conn.scalar(select(func.count()).select_from(SearchDoc)
                                .where(SearchDoc.stamp >= state.watermark)) or 0
            conn.rollback()
        on_total(total)
        done = 0
        if total or removed or reset:  # a writer merges segments when it opens: never one for nothing
            writer = self.index.writer(heap_size=HEAP_BYTES, num_threads=1)
            for article_id in removed:
                writer.delete_documents_by_query(article_query(article_id))
            for rows in _changed(self.engine, state.watermark):
                for row in rows:
                    writer.delete_documents_by_query(article_query(row.article_id))
                    writer.add_document(document(row))
                done += len(rows)
                on_article(len(rows))
                if stop is not None and stop.is_set():
                    watermark = min(watermark, rows[-1].stamp)
                    break
            writer.commit()
            writer.wait_merging_threads()
        self._save(State(identity, watermark))
        if total or removed or reset:
            self.index.reload()
        return done

    def _save(self, state: State) -> None:
        fresh = self.path / "state.json.new"
        fresh.write_text(json.dumps(state.__dict__))
        fresh.replace(self.path / "state.json")


def _identity(engine: Engine) -> str:
    """What tells one archive from another: an index is never read against another archive."""
    if engine.dialect.name != "postgresql":
        return "sqlite"  # the index lives beside the file; a file restored from a backup is caught by its stamps
    with engine.connect() as conn:
        identity = conn.execute(text(
            "SELECT (SELECT system_identifier FROM pg_control_system())::text || ':' || oid::text "
            "FROM pg_database WHERE datname = current_database()")).scalar_one()
        conn.rollback()
    return str(identity)


def _latest_stamp(engine: Engine) -> int:
    with engine.connect() as conn:
        latest = _highest(conn)
        conn.rollback()
    return latest


# One statement, written once: every search asks it, and building it with the ORM cost more than running it.
_HIGHEST = text("SELECT coalesce(max(stamp), 0) FROM (SELECT max(stamp) AS stamp FROM search_docs "
                "UNION ALL SELECT max(stamp) FROM search_removals) AS stamps")


def _highest(conn: Any) -> int:
    return int(conn.scalar(_HIGHEST) or 0)


def _safe_watermark(conn: Any) -> int:
    """The lowest stamp a row committed from now on may carry."""
    if conn.dialect.name == "postgresql":
        return int(conn.scalar(text("SELECT txid_snapshot_xmin(txid_current_snapshot())")))
    return _highest(conn) + 1


def _changed(engine: Engine, watermark: int) -> Iterator[Sequence[Any]]:
    """The rows stamped at or after `watermark`, with their extraction's fields, in keyset batches: no
    transaction stays open while a batch is indexed."""
    after = (watermark - 1, 0)
    query = (select(SearchDoc.article_id, SearchDoc.stamp, SearchDoc.status, SearchDoc.template,
                    SearchDoc.section, SearchDoc.published, SearchDoc.sections_key, SearchDoc.authors_key,
                    SearchDoc.tags_key, Extraction.fields)
             .join(Extraction, Extraction.id == SearchDoc.extraction_id))
    while True:
        with engine.connect() as conn:
            rows = conn.execute(query.where((SearchDoc.stamp > after[0]) | (
                (SearchDoc.stamp == after[0]) & (SearchDoc.article_id > after[1])))
                .order_by(SearchDoc.stamp, SearchDoc.article_id).limit(BATCH)).all()
            conn.rollback()
        if not rows:
            return
        yield rows
        after = (rows[-1].stamp, rows[-1].article_id)


def article_query(article_id: int) -> tantivy.Query:
    # A query, not a term: the bindings make an integer term signed, which never matches an unsigned field.
    return tantivy.Query.term_query(SCHEMA, "article_id", article_id)


def article_ids(searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]]) -> list[int]:
    """The article ids of search hits, from the column that holds them, without loading documents."""
    return cast(list[int], searcher.fast_field_values("article_id", [address for _, address in hits]))


def every_article(searcher: tantivy.Searcher, query: tantivy.Query) -> list[int]:
    """The ids of every article `query` matches, in no order."""
    return article_ids(searcher, searcher.search(query, limit=max(searcher.num_docs, 1), count=False).hits)


def composed(text: str) -> str:
    """NFC, and marks that compose with nothing dropped: a mark apart from its letter would split the word
    for the tokenizer."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text)
    return MARKS.sub("", text) if MARKS.search(text) else text


def document(row: Any) -> tantivy.Document:
    fields = row.fields or {}
    parts = [fields.get("title") or "", fields.get("lead") or "", fields.get("text") or ""]
    doc = tantivy.Document()
    doc.add_unsigned("article_id", row.article_id)
    texts = [composed(part) for part in parts]
    for value in texts:
        doc.add_text(TEXT, value)
    for name, value in zip(BOOSTED, texts, strict=False):
        doc.add_text(name, value)
    doc.add_text("exact", composed(" ".join(parts)))
    doc.add_text("status", row.status)
    doc.add_text("template", row.template)
    doc.add_text("section", row.section or "—")
    for name, column in KEYS.items():
        for value in key_values(getattr(row, column)):
            doc.add_text(name, value)
    if row.published is not None:
        published: datetime = row.published
        doc.add_integer("published", int(published.timestamp()))
        doc.add_text("month", published.astimezone(VN).strftime("%Y-%m"))
    return doc


@contextmanager
def _writer_lock(path: Path, wait: bool) -> Iterator[None]:
    """The folder's one writer, with who holds it written inside, so a second one can say."""
    path.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = (path / "writer.lock").open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexBusy(f"the search index at {path} is being written by {holder}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        yield
    finally:
        handle.close()


_OPEN: dict[tuple[str, str], SearchIndex] = {}
_OPEN_LOCK = threading.Lock()


def for_engine(engine: Engine, url: str | None = None) -> SearchIndex:
    """The index of the archive behind `engine`, one object per process and folder."""
    path = location(url or engine.url.render_as_string(hide_password=False))
    key = (str(path), str(engine.url))
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = SearchIndex(path, engine)
        return _OPEN[key]
