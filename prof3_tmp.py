import cProfile, pstats, json
from archive.extract import extract
from tests.archive.test_extract_vietnamese import FOLDER
pages = [(p.read_bytes(), json.loads(p.with_suffix(".json").read_text())) for p in sorted(FOLDER.glob("*.html"))]
for page, w in pages: extract(page, w["url"])
pr = cProfile.Profile(); pr.enable()
for _ in range(10):
    for page, w in pages: extract(page, w["url"])
pr.disable()
st = pstats.Stats(pr); st.sort_stats("tottime").print_stats(35)
