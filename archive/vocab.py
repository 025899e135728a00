"""The archive's closed vocabularies. Each is a `StrEnum`, so it is stored and compared as its plain
text, and each column that holds one has a CHECK constraint (migration 0002) listing its values."""

from __future__ import annotations

from enum import StrEnum


class RunKind(StrEnum):
    CRAWL = "crawl"
    IMPORT = "import"
    REEXTRACT = "reextract"
    VERIFY = "verify"  # a fixity audit (`archive verify`)


class RunOutcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    UNHEALTHY = "unhealthy"  # it ran to the end, but what it saw looks wrong (a template change?)
    INCOMPLETE = "incomplete"  # some pages could not be fetched; the next run walks everything again
    FAILED = "failed"  # it stopped early
    INTERRUPTED = "interrupted"  # it was killed; found "running" by the next run
    REFUSED = "refused"  # another run held the archive, so it did not start


COMPLETED = (RunOutcome.OK, RunOutcome.UNHEALTHY)  # a run that saw the whole site


class FetchSource(StrEnum):
    CRAWL = "crawl"
    WARC = "warc"


class Rendering(StrEnum):
    HTTP = "http"
    BROWSER = "browser"


class ArticleStatus(StrEnum):
    LIVE = "live"
    GONE = "gone"


class IngestOutcome(StrEnum):
    """What ingesting one fetch did."""

    DUPLICATE = "duplicate"  # this very fetch was ingested before
    VERSION = "version"  # a new version of an article
    UNCHANGED = "unchanged"  # an article, as archived already
    NOT_MODIFIED = "not_modified"  # a 304
    GONE = "gone"  # a 404 or 410 of an archived article
    FAILED = "failed"  # an error page, or a page extraction could not make an article of
    PAGE = "page"  # a page that is not an article (listing, feed, sitemap)


def sql_in(column: str, vocabulary: type[StrEnum]) -> str:
    """A CHECK constraint's condition: the column holds one of the vocabulary's values."""
    return f"{column} IN ({', '.join(repr(v.value) for v in vocabulary)})"
