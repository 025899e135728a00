"""Shared fixtures: replicas served over real HTTP on free ports."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.replica import VN, Replica

LEGACY_NOW = datetime(2023, 6, 1, 9, 0, tzinfo=VN)


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
