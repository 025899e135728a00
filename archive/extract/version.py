"""`PARSER_VERSION` changes whenever extraction output may change: it hashes this package's source
and the trafilatura release, so no one has to remember to bump it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import trafilatura


def _source_digest() -> str:
    digest = hashlib.sha256(trafilatura.__version__.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.relative_to(Path(__file__).parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


PARSER_VERSION = f"1.{_source_digest()}"
