"""Shared fixtures: replicas served over real HTTP on free ports."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.replica import VN, Replica
from tests.services import create_database, postgres_server, redis_server

_databases = itertools.count()

LEGACY_NOW = datetime(2023, 6, 1, 9, 0, tzinfo=VN)
OLDER_THEME_NOW = datetime(2022, 3, 1, 9, 0, tzinfo=VN)  # before the enternews theme


@pytest.fixture(scope="session", autouse=True)
def search_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The search indexes of PostgreSQL archives (kept in the user's cache) go to the test's own folder, in
    this process and in the crawls and servers it starts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="session")
def replica() -> Iterator[Replica]:
    """A current-template site; tests that move its clock or faults use their own replica."""
    with Replica(articles=300, seed=7) as rep:
        yield rep


@pytest.fixture(scope="session")
def legacy_replica() -> Iterator[Replica]:
    """A site whose clock stands before the redesign, so every page renders the PHP-era template."""
    with Replica(articles=300, seed=7, now=LEGACY_NOW) as rep:
        yield rep


@pytest.fixture(scope="session")
def older_theme_replica() -> Iterator[Replica]:
    """A site whose clock stands in the PHP era's older theme, before enternews."""
    with Replica(articles=300, seed=7, now=OLDER_THEME_NOW) as rep:
        yield rep


@pytest.fixture
def fresh_replica() -> Iterator[Replica]:
    """A small site of the test's own, free to advance and to break."""
    with Replica(articles=120, seed=11) as rep:
        yield rep


@pytest.fixture
def switching_replica() -> Iterator[Replica]:
    """A legacy site one hour before its redesign."""
    now = LEGACY_NOW
    with Replica(articles=120, seed=11, now=now, redesign=now + timedelta(hours=1)) as rep:
        yield rep


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not shutil.which(path):
        pytest.fail("Chromium is missing: install the Debian package 'chromium' (make install does it as root)")
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the whole session; tests create their own databases in it."""
    try:
        with postgres_server() as base:
            yield base
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway Redis for the whole session."""
    try:
        with redis_server() as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty archive: a SQLite file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.sqlite'}"
    return create_database(request.getfixturevalue("postgres"), f"archive_{next(_databases)}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.sqlite'}"
