import json, time, statistics
from archive.extract import extract
import trafilatura
from tests.archive.test_extract_vietnamese import FOLDER
pages = [(p.read_bytes(), json.loads(p.with_suffix(".json").read_text())) for p in sorted(FOLDER.glob("*.html"))]
rs=[]
for r in range(7):
    o=b=0
    for page, w in pages:
        s=time.perf_counter(); extract(page, w["url"]); o+=time.perf_counter()-s
        s=time.perf_counter(); trafilatura.extract(page); b+=time.perf_counter()-s
    rs.append(o/b)
print("ours ms/page %.2f bare %.2f ratio median %.3f" % (o/len(pages)*1000, b/len(pages)*1000, statistics.median(rs)))
