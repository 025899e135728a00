"""`make demo`: the whole main job on this machine, against the local replica."""

from __future__ import annotations

import time
from datetime import timedelta

from rich.console import Console

from tests.http import fetch
from tests.replica import Replica

console = Console()


def main() -> None:
    with Replica(articles=500, seed=1) as rep:
        console.print(f"[bold]replica[/] serving {rep.base_url}/ — {len(rep.site.visible())} live articles, "
                      f"clock {rep.now:%Y-%m-%d %H:%M %Z}, template {rep.site.template_at()}")
        paths = [a.path for a in rep.site.visible()[:300]]
        started = time.perf_counter()
        for path in paths:
            assert fetch(rep.base_url + path, headers={"Accept-Encoding": "gzip"}).status == 200
        rate = len(paths) / (time.perf_counter() - started)
        console.print(f"fetched {len(paths)} article pages one at a time: {rate:,.0f} pages/s")
        first = rep.site.visible()[0]
        console.print(f"newest article: {rep.base_url}{first.path}\n  {rep.site.content(first)['title']}")
    with Replica(articles=500, seed=1, now=rep.site.redesign - timedelta(days=30)) as old:
        a = old.site.visible()[0]
        console.print(f"the same site before its redesign ({old.now:%Y-%m-%d}) renders the PHP-era template: "
                      f"{old.base_url}{a.path}")


if __name__ == "__main__":
    main()
