import json, time, statistics, copy
import trafilatura
from archive.extract import extract
from archive.extract.html import parse
from archive.extract.decode import decode_html
from tests.archive.test_extract_vietnamese import FOLDER
pages = [(p.read_bytes(), json.loads(p.with_suffix(".json").read_text())) for p in sorted(FOLDER.glob("*.html"))]
def timeit(f):
    best = []
    for r in range(5):
        s = time.perf_counter()
        for page, w in pages: f(page, w)
        best.append((time.perf_counter() - s) / len(pages) * 1000)
    return statistics.median(best)
docs = {}
print("parse   %.3f" % timeit(lambda p, w: parse(decode_html(p, None)[0])))
print("traf    %.3f" % timeit(lambda p, w: trafilatura.bare_extraction(parse(decode_html(p, None)[0]), url=w["url"], with_metadata=False, include_comments=False, include_tables=True, fast=True)))
print("ours    %.3f" % timeit(lambda p, w: extract(p, w["url"])))
print("bare    %.3f" % timeit(lambda p, w: trafilatura.extract(p)))
