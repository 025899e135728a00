"""`make demo`: the whole main job on this machine — start the replica, crawl it into a fresh SQLite
archive with a progress display, show the run and an article; then let the site move on, crawl again,
and show what changed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from tests.replica import Replica

ROOT = Path(__file__).parents[1]
DB = ROOT / "data" / "demo.sqlite"
console = Console()


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    console.print(f"[bold cyan]$ {' '.join(args)}[/]")
    return subprocess.run(args, cwd=ROOT, check=check, env={**os.environ, "ARCHIVE_DB_URL": f"sqlite:///{DB}"})


def crawl(rep: Replica) -> None:
    done = run(sys.executable, "-m", "scrapy", "crawl", "dddn", "-s", f"DDDN_BASE_URL={rep.base_url}",
               "-s", f"DDDN_HOST_ALIASES={rep.host_alias}", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING",
               check=False)
    if done.returncode:
        console.print(f"[bold red]the crawl exited {done.returncode}[/] (see `archive runs` below for why)")


def main() -> None:
    for leftover in DB.parent.glob(DB.name + "*"):
        leftover.unlink()
    archive = [sys.executable, "-m", "archive"]
    with Replica(articles=500, seed=1) as rep:
        console.rule(f"replica of diendandoanhnghiep.vn at {rep.base_url}/ — {len(rep.site.visible())} live articles")
        crawl(rep)
        run(*archive, "runs")
        run(*archive, "stats")
        edited = next(a for a in rep.site.visible() if a.kind == "normal" and a.edits
                      and rep.now < a.edits[0][0] < rep.now + timedelta(hours=12))
        run(*archive, "show", str(edited.id), "--format", "text")
        console.rule("twelve hours later: new articles, edits, takedowns")
        rep.advance(12)
        crawl(rep)
        run(*archive, "runs", "--limit", "2")
        run(*archive, "history", str(edited.id))
        run(*archive, "diff", str(edited.id), "1", "2")
    console.rule("search, typed without diacritics")
    run(*archive, "search", "chuyen doi so", "--limit", "3", "--format", "table")
    relative = DB.relative_to(ROOT)
    console.rule(f"the archive is {relative}")
    console.print(f"browse it:          .venv/bin/archive --db sqlite:///{relative} serve   "
                  f"(then open http://127.0.0.1:8080/)\n"
                  f"search it:          ARCHIVE_DB_URL=sqlite:///{relative} .venv/bin/archive search 'ngan hang'\n"
                  f"open it in Datasette: .venv/bin/datasette {relative}   (then the articles_latest view)\n"
                  f"every command:      .venv/bin/archive --help")


if __name__ == "__main__":
    main()
