# Everyday commands; see README.md. Every target installs what it needs first.
VENV      ?= .venv
PYWB_VENV ?= .venv-pywb
PYWB      := pywb==2.10.0
PY        := $(VENV)/bin/python
PORT      ?= 8000
ARTICLES  ?= 500
DEBIAN    := chromium redis-server postgresql systemd

.PHONY: install system-packages test test-fast lint lock replica crawl serve cluster demo bench season season-cluster

install: system-packages $(VENV)/.installed $(PYWB_VENV)/.installed

# Exact versions, with hashes, from requirements.lock: a fresh machine next month installs what CI tested.
$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# pywb, which the tests replay WARC exports with, pins redis 2.10.6 (scrapy-redis needs a newer one): its own venv.
$(PYWB_VENV)/.installed: tests/pywb.lock
	python3 -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install -q --upgrade pip
	$(PYWB_VENV)/bin/python -m pip install -q --require-hashes -r tests/pywb.lock
	touch $@

# Re-pin every dependency to the newest release that pyproject.toml allows; commit the result.
lock: $(VENV)/.installed
	$(VENV)/bin/uv pip compile pyproject.toml --all-extras --generate-hashes --python-version 3.11 \
	  --no-emit-package dddn-archive --quiet -o requirements.lock
	echo "$(PYWB)" | $(VENV)/bin/uv pip compile - --generate-hashes --python-version 3.11 --quiet -o tests/pywb.lock

# Debian packages the tests and the crawler use. As root we install them; otherwise we say what is missing.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (install with: sudo apt-get install$$missing)"; \
	  fi; \
	fi

# Two pytest-xdist workers: most slow cases wait on a crawler process or a server, so two share the CPUs
# well; --dist loadscope keeps a module's tests on one worker, so its fixtures are built once.
TEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=10

test-fast: install
	$(PY) -m pytest -m "not slow" -x -q

lint: install
	$(VENV)/bin/ruff check archive crawler tests
	$(VENV)/bin/mypy archive crawler

replica: install
	$(PY) -m tests.replica serve --port $(PORT) --articles $(ARTICLES)

# A crawl run; pass Scrapy settings through CRAWL, e.g. make crawl CRAWL="-s DDDN_BASE_URL=http://127.0.0.1:8000"
crawl: install
	$(VENV)/bin/scrapy crawl dddn $(CRAWL)

# The archive in a browser, read-only: make serve DB=sqlite:///data/demo.sqlite SERVE="--port 8080"
# (without DB: ARCHIVE_DB_URL, else the default archive)
serve: install
	$(VENV)/bin/archive $(if $(DB),--db $(DB)) serve $(SERVE)

# N crawler processes sharing one crawl of the replica through a local Redis, into a local PostgreSQL
cluster: install
	N=$(or $(N),3) ARTICLES=$(ARTICLES) $(PY) -m tests.cluster

demo: install
	$(PY) -m tests.demo

bench: install
	$(PY) -m tests.bench

# A simulated season: 62 scheduled runs over three months of the replica's clock, checked against its
# ground truth; the report goes to data/season/season.md, with its plot season.svg
season: install
	$(PY) -m tests.season --plan full --out data/season

# The season on the distributed setup: PostgreSQL, two crawler processes a run on a Redis frontier, the
# search index followed all season, a worker and the coordinator killed, an audit and a WARC backup
# mid-season restored at the end; report in data/season-cluster/season.md
season-cluster: install
	$(PY) -m tests.season --plan cluster --out data/season-cluster
