import cProfile, pstats, json, time
from pathlib import Path
from archive.extract import extract
import trafilatura
from tests.archive.test_extract_vietnamese import FOLDER
pages = [(p.read_bytes(), json.loads(p.with_suffix(".json").read_text())) for p in sorted(FOLDER.glob("*.html"))]
for page, w in pages: extract(page, w["url"]); trafilatura.extract(page)
pr = cProfile.Profile(); pr.enable()
for _ in range(5):
    for page, w in pages: extract(page, w["url"])
pr.disable()
st = pstats.Stats(pr); st.sort_stats("cumulative").print_stats(45)
st.print_callers("html.py:51\\(select\\)")
import archive.extract.html as H
from collections import Counter
c = Counter(); t = Counter()
orig = H.css
import time as _t
def sel(root, selector):
    s = _t.perf_counter(); r = list(orig(selector)(root)); t[selector] += _t.perf_counter() - s; c[selector] += 1; return r
import archive.extract.conventions as C, archive.extract.pages.base as B, archive.extract.pages.generic as G, archive.extract.blocks as BL
for m in (H, C, B, G, BL):
    if hasattr(m, "select"): m.select = sel
for page, w in pages: extract(page, w["url"])
for k, v in t.most_common(25): print(f"{v*1000:7.2f} ms {c[k]:4d} {k[:150]}")
