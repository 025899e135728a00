"""`archive serve`: the archive in a browser, server-rendered, with a JSON API twin of every page.

The database is opened read-only, so that no request can write. Everything archived is hostile input: the
templates escape every field, links and images keep only http(s) URLs, and the Content-Security-Policy
lets no inline script run, whatever slips through.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from archive import __version__, changes
from archive.database import Archive
from archive.extract.dates import VN
from archive.runs import COUNT_LABELS
from archive.search import store
from archive.search.engine import SORTS, Sort
from archive.search.facets import Facets
from archive.search.query import QueryError
from archive.web import chart, i18n, schemas, views
from archive.web.cache import TtlCache

MAX_ID = 2**31 - 1  # the largest id PostgreSQL's integer columns hold
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"  # PostgreSQL refuses NUL; no filter value needs a control character
PASTED = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # a query may be pasted with its tabs and line breaks
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' http: https:; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
STATIC = FilePath(__file__).parent / "static"

ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="the archive's article id")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID)]
TextFilter = Annotated[str, Query(max_length=200, pattern=NO_CONTROL)]
DateFilter = Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$", description="YYYY-MM-DD, Vietnam time")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": schemas.Problem, "description": "no such article"}}


def search_params(q: Annotated[str, Query(max_length=500, pattern=PASTED,
                                          description="the `archive search` syntax; empty lists every article")] = "",
                  section: TextFilter = "", since: DateFilter = "", until: DateFilter = "", author: TextFilter = "",
                  tag: TextFilter = "", status: Annotated[str, Query(pattern=r"^(live|gone)?$")] = "",
                  sort: Sort = "relevance", exact: bool = False,
                  page: Annotated[int, Query(ge=1, le=500)] = 1,
                  per_page: Annotated[int, Query(ge=1, le=100)] = 20) -> views.SearchParams:
    return views.SearchParams(q=q, section=section.strip(), since=_day(since), until=_day(until),
                              author=author.strip(), tag=tag.strip(), status=status, sort=sort, exact=exact,
                              page=page, per_page=per_page)


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"not a date: {value!r} (YYYY-MM-DD)") from None


Params = Annotated[views.SearchParams, Depends(search_params)]


def change_params(since: DateFilter = "", until: DateFilter = "",
                  kind: Annotated[list[str] | None, Query(max_length=len(changes.KINDS),
                                                          description=f"repeatable: {', '.join(changes.KINDS)}")
                                  ] = None,
                  min_words: Annotated[int, Query(le=MAX_ID, description="words removed and added at least")] = 0,
                  q: Annotated[str, Query(max_length=500, pattern=PASTED,
                                          description="the `archive search` syntax: changes to the articles it finds")
                               ] = "",
                  section: TextFilter = "", author: TextFilter = "",
                  page: Annotated[int, Query(ge=1, le=200)] = 1,
                  per_page: Annotated[int, Query(ge=1, le=100)] = 50) -> views.ChangeParams:
    params = views.ChangeParams(since=_day(since), until=_day(until), kind=tuple(kind or ()), min_words=min_words,
                                q=q, section=section.strip(), author=author.strip(), page=page, per_page=per_page)
    params.filters  # noqa: B018  -- refuses bad filters (a 400) before any page is drawn
    return params


ChangesParams = Annotated[views.ChangeParams, Depends(change_params)]
ATOM = "application/atom+xml; charset=utf-8"


def db(request: Request) -> Iterator[Session]:
    """A read-only session for one request."""
    archive: Archive = request.app.state.archive
    with archive.transaction(write=False) as session:
        yield session


Db = Annotated[Session, Depends(db)]


def create_app(url: str | None = None) -> FastAPI:
    """The app over the archive at `url` (default: ARCHIVE_DB_URL, then the default file), opened read-only.
    Raises `ArchiveError` when there is no archive there."""
    archive = Archive(url, read_only=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with store.for_engine(archive.engine, archive.url).following():
            yield

    app = FastAPI(title="Diễn đàn Doanh nghiệp archive", version=__version__, docs_url=None, redoc_url=None,
                  description="Search, articles, versions and diffs of the archive; read-only.", lifespan=lifespan)
    app.state.archive = archive
    counted: TtlCache[Facets] = TtlCache(seconds=60)
    tallied: TtlCache[views.Tally] = TtlCache(seconds=60)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    templates = Jinja2Templates(env=_environment())

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        t = translator(request)
        other = "en" if t.language == "vi" else "vi"
        switch = str(request.url.include_query_params(lang=other).replace(scheme="", netloc=""))
        response = templates.TemplateResponse(request, name, {"t": t, "lang": t.language, "other": other,
                                                              "switch": switch, **context}, status_code=status)
        response.headers["Vary"] = "Accept-Language, Cookie"
        return response

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if (lang := request.query_params.get("lang")) in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
        return response

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def problem(request: Request, status: int, detail: str) -> Response:
        if is_api(request):
            return JSONResponse({"detail": detail}, status_code=status)
        title = {404: "not_found", 400: "bad_request"}.get(status, "error")
        return render(request, "error.html", status, title=title, detail=detail)

    @app.exception_handler(views.Missing)
    async def missing(request: Request, exc: views.Missing) -> Response:
        return problem(request, 404, str(exc))

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        return problem(request, 400, str(exc))

    @app.exception_handler(store.SearchIndexError)
    async def index_unusable(request: Request, exc: store.SearchIndexError) -> Response:
        return problem(request, 503, str(exc))  # the operator's to fix; the rest of the site still works

    @app.exception_handler(changes.ChangeError)
    async def bad_change_filter(request: Request, exc: changes.ChangeError) -> Response:
        return problem(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())[1:])
        return problem(request, 400, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return problem(request, exc.status_code, str(exc.detail))

    # -- pages ------------------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/search")

    @app.get("/search", include_in_schema=False)
    def search_page(request: Request, params: Params, session: Db) -> HTMLResponse:
        try:
            results = views.search(session, params, counted)
        except QueryError as exc:
            return render(request, "search.html", 400, params=params, results=None, error=str(exc), bars=[],
                          pages=0, sorts=SORTS)
        return render(request, "search.html", params=params, results=results, error=None,
                      bars=chart.bars([(m.value, m.count) for m in results.months]),
                      pages=max(1, math.ceil(results.total / params.per_page)), sorts=SORTS,
                      chart_height=chart.HEIGHT, chart_width=chart.WIDTH)

    @app.get("/articles/{article_id}", include_in_schema=False)
    def article_page(request: Request, article_id: ArticleId, session: Db) -> HTMLResponse:
        return render(request, "article.html", item=views.article_version(session, article_id))

    @app.get("/articles/{article_id}/versions/{number}", include_in_schema=False)
    def version_page(request: Request, article_id: ArticleId, number: VersionNumber, session: Db) -> HTMLResponse:
        return render(request, "article.html", item=views.article_version(session, article_id, number))

    @app.get("/articles/{article_id}/history", include_in_schema=False)
    def history_page(request: Request, article_id: ArticleId, session: Db) -> HTMLResponse:
        return render(request, "history.html", item=views.history(session, article_id))

    @app.get("/articles/{article_id}/diff", include_in_schema=False)
    def diff_page(request: Request, article_id: ArticleId, session: Db,
                  a: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                  b: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                  view: Annotated[str, Query(pattern="^(inline|side)$")] = "inline") -> HTMLResponse:
        return render(request, "diff.html", item=views.diff(session, article_id, a, b), view=view)

    @app.get("/changes", include_in_schema=False)
    def changes_page(request: Request, params: ChangesParams, session: Db) -> HTMLResponse:
        found = views.changes(session, params, tallied)
        return render(request, "changes.html", params=params, found=found, kinds=changes.KINDS,
                      columns=chart.stacked([(w.week, w.kinds) for w in found.weeks], changes.KINDS),
                      pages=max(1, math.ceil(found.total / params.per_page)),
                      chart_height=chart.HEIGHT, chart_width=chart.WIDTH)

    @app.get("/changes.atom", include_in_schema=False)
    def changes_feed(request: Request, params: ChangesParams, session: Db) -> Response:
        entries = [views.change(e) for e in changes.Log(session, params.filters).page(params.per_page)]
        title = translator(request)("changes")
        return feed(request, title, str(request.url.include_query_params()), "/changes?" + urlencode(
            params.query_args()), entries)

    @app.get("/articles/{article_id}/history.atom", include_in_schema=False)
    def history_feed(request: Request, article_id: ArticleId, session: Db) -> Response:
        found, entries = views.article_changes(session, article_id)
        title = f"{translator(request)('history')}: {found.canonical_url}"
        return feed(request, title, f"{found.canonical_url}#history", f"/articles/{article_id}/history", entries)

    def feed(request: Request, title: str, key: str, page: str, entries: list[schemas.ChangeOut]) -> Response:
        body = templates.get_template("changes.atom").render(
            t=translator(request), title=title, feed_id=uuid.uuid5(uuid.NAMESPACE_URL, key).urn,
            base=str(request.base_url).rstrip("/"), page=page, self_url=str(request.url), entries=entries,
            updated=entries[0].seen_at if entries else datetime.now(UTC))
        return Response(body, media_type=ATOM)

    @app.get("/runs", include_in_schema=False)
    def runs_page(request: Request, session: Db,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> HTMLResponse:
        return render(request, "runs.html", runs=views.runs(session, limit, count_labels(request)))

    # -- the JSON API -----------------------------------------------------------------------------------

    @app.get("/api/search", responses={400: {"model": schemas.Problem, "description": "a query that cannot "
                                                                                       "be searched"}})
    def api_search(params: Params, session: Db) -> schemas.SearchResults:
        """Full-text search over the latest version of every article, with facets."""
        return views.search(session, params, counted)

    @app.get("/api/articles/{article_id}", responses=NOT_FOUND)
    def api_article(article_id: ArticleId, session: Db) -> schemas.ArticleVersion:
        """An article's latest version."""
        return views.article_version(session, article_id)

    @app.get("/api/articles/{article_id}/versions/{number}", responses=NOT_FOUND)
    def api_version(article_id: ArticleId, number: VersionNumber, session: Db) -> schemas.ArticleVersion:
        """One version of an article."""
        return views.article_version(session, article_id, number)

    @app.get("/api/articles/{article_id}/history", responses=NOT_FOUND)
    def api_history(article_id: ArticleId, session: Db) -> schemas.History:
        """Every version of an article, with what each changed."""
        return views.history(session, article_id)

    @app.get("/api/articles/{article_id}/diff", responses=NOT_FOUND)
    def api_diff(article_id: ArticleId, session: Db, a: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                 b: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> schemas.Diff:
        """Version `a` against version `b` (default: the latest against the one before)."""
        return views.diff(session, article_id, a, b)

    @app.get("/api/changes", responses={400: {"model": schemas.Problem, "description": "filters that cannot be "
                                                                                       "applied"}})
    def api_changes(params: ChangesParams, session: Db) -> schemas.Changes:
        """Every edit, takedown and return across the archive, newest first, with counts per kind and week."""
        return views.changes(session, params, tallied)

    @app.get("/api/runs")
    def api_runs(session: Db, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[schemas.RunOut]:
        """Crawl, import and re-extraction runs, newest first."""
        return views.runs(session, limit, COUNT_LABELS)

    return app


def translator(request: Request) -> i18n.Translator:
    return i18n.Translator(i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                                       request.headers.get("accept-language")))


def count_labels(request: Request) -> dict[str, str]:
    return i18n.COUNT_LABELS_VI if translator(request).language == "vi" else COUNT_LABELS


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("archive.web"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(local=local_time, safe_url=safe_url, query=urlencode)
    env.globals["paragraphs"] = paragraphs
    return env


def paragraphs(pieces: list[schemas.Piece]) -> list[list[schemas.Piece]]:
    """An inline diff cut into its paragraphs (a piece may span a paragraph break)."""
    out: list[list[schemas.Piece]] = [[]]
    for piece in pieces:
        for n, part in enumerate(piece.text.split("\n")):
            if n:
                out.append([])
            if part.strip():
                out[-1].append(schemas.Piece(kind=piece.kind, text=part.strip()))
    return [para for para in out if para]


def local_time(value: datetime | None) -> str:
    """A time as the site's readers see it: Vietnam time."""
    return value.astimezone(VN).strftime("%Y-%m-%d %H:%M") if value else "—"


def safe_url(value: str | None) -> str | None:
    """`value` when it is an http(s) URL; None for `javascript:`, `data:` and every other scheme."""
    if not value:
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None
