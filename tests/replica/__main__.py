"""`python -m tests.replica serve|truth`: run the replica or print its ground truth."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime

from .faults import PROFILES
from .render import Renderer
from .server import SITEMAP_LAYOUTS, ReplicaServer
from .site import VN, Site
from .truth import site_truth


def when(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=VN)


def articles(text: str) -> int:
    n = int(text)
    if not 1 <= n <= 200_000:
        raise argparse.ArgumentTypeError("--articles must be between 1 and 200000")
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "truth"):
        p = sub.add_parser(name)
        p.add_argument("--articles", type=articles, default=500, help="back-catalogue size (default 500)")
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--now", type=when, help="initial clock, ISO 8601 (default 2026-06-01T09:00+07:00)")
        p.add_argument("--redesign", type=when, help="when legacy pages turn current (default 2024-01-15)")
    serve = sub.choices["serve"]
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--faults", choices=PROFILES, default="none")
    serve.add_argument("--sitemaps", choices=SITEMAP_LAYOUTS, default="monthly",
                       help="one article sitemap per month, or per day with sitemap-event.xml as sister sites")
    truth = sub.choices["truth"]
    truth.add_argument("--at", type=when, help="clock to report at (default: the initial clock)")
    truth.add_argument("--base", default="http://127.0.0.1:8000", help="base URL the served site would have")
    args = parser.parse_args(argv)

    site = Site(articles=args.articles, seed=args.seed, now=args.now, redesign=args.redesign)
    if args.command == "truth":
        if args.at:
            site.set_clock(args.at)
        out = sys.stdout
        for record in site_truth(site, Renderer(site, args.base)):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    return asyncio.run(serve_forever(site, args.host, args.port, args.faults, args.sitemaps))


async def serve_forever(site: Site, host: str, port: int, faults: str, sitemaps: str) -> int:
    server = ReplicaServer(site, host, port, faults, sitemaps)
    try:
        await server.start()
    except OSError as exc:
        print(f"replica: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"replica: {len(site.visible())} live articles, clock {site.now.isoformat()} "
          f"({site.template_at()} template), faults {faults}; serving {server.base_url}/", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
