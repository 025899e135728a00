# Scrapy settings for the DDDN crawler. Every project setting starts with DDDN_ or ARCHIVE_ and is
# documented in the README; override any of them with `scrapy crawl dddn -s NAME=VALUE`.
import os

from archive import parsers

BOT_NAME = "dddn"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# -- the site and the archive ---------------------------------------------------------------------
DDDN_BASE_URL = "https://diendandoanhnghiep.vn"
DDDN_HOST_ALIASES = ""  # extra "alias=host" pairs, comma-separated; dddn.com.vn and m. hosts are built in
ARCHIVE_DB_URL = os.environ.get("ARCHIVE_DB_URL", "sqlite:///data/dddn-archive.sqlite")
ARCHIVE_PARSER = parsers.configured()  # MODULE:FUNCTION that reads a page ($ARCHIVE_PARSER, else extract())
DDDN_ARCHIVE_VIEW = "crawler.archive_view.read_archive"  # what the archive holds, read before a run starts

# -- several processes on one crawl ----------------------------------------------------------------
DDDN_FRONTIER = os.environ.get("DDDN_FRONTIER", "")  # redis://HOST:PORT/DB: share the crawl with other processes
DDDN_FRONTIER_TIMEOUT = 30  # seconds without a heartbeat after which a crawler process is taken for dead

# -- what a run fetches ---------------------------------------------------------------------------
DDDN_MODE = "auto"  # full: every listing and sitemap; incremental: the newest; auto: full until a run completes
DDDN_REVISIT_DAYS = 7  # archived articles published this recently are fetched again (conditionally)
DDDN_REVISIT_SCHEDULE = "1,3,7,14,30,90,365"  # ages (days) at which older articles are fetched again
DDDN_REVISIT_BUDGET = 2000  # scheduled revisits per run at most; the rest wait for the next run
DDDN_LASTMOD_TRUST = "auto"  # auto: trust sitemaps' lastmod until a revisit finds an edit it did not announce
DDDN_LASTMOD_PROBES = 50  # scheduled revisits per run while lastmod is trusted (how distrust is learnt)
DDDN_CONDITIONAL_GET = True  # send If-None-Match / If-Modified-Since from what the archive knows
DDDN_MAX_PAGES = 0  # at most this many pages of any one listing (0: no bound)
DDDN_SINCE = ""  # ISO date: ignore articles published (sitemap entries: last modified) before it
DDDN_SECTIONS = ""  # comma-separated section paths to walk (default: every section linked from the home page)
DDDN_BROWSER_URL_PATTERNS = r"/emagazine/|-emagazine-|/longform/"  # pages always rendered in the browser

# -- health: a run that looks like this fails (non-zero exit) -------------------------------------
DDDN_MAX_FLAGGED_RATIO = 0.05  # share of article pages whose extraction was flagged
DDDN_MIN_ARTICLES = 0  # fewer article pages fetched than this fails the run (0: no minimum)

# -- politeness -----------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
# Who runs the crawl, an email or a URL, put in the User-Agent so that the site can reach its operator
DDDN_CONTACT = os.environ.get("DDDN_CONTACT", "")
USER_AGENT = ""  # empty: "dddn-archive/VERSION (+DDDN_CONTACT; research archive of diendandoanhnghiep.vn)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False

# -- resilience -----------------------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DDDN_RETRY_AFTER_MAX = 120  # seconds: a longer Retry-After (or refusal back-off) is capped to this
DDDN_REFUSAL_BACKOFF = 5  # seconds before retrying a 403 (a firewall's refusal), doubled on each try
REDIRECT_MAX_TIMES = 10  # a redirect loop is given up on, and tried again next run
DOWNLOAD_FAIL_ON_DATALOSS = True  # a truncated body is an error to retry, never a page

# -- components, in order -------------------------------------------------------------------------
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.CanonicalFingerprinter"
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ConditionalGetMiddleware": 580,
    "crawler.middlewares.BackOffMiddleware": 540,
    "crawler.middlewares.PageTriageMiddleware": 530,
}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
EXTENSIONS = {  # the run lock is taken by the crawl command itself, before anything starts
    "crawler.extensions.RunRecordExtension": 20,
    "crawler.extensions.ProgressExtension": 30,
    "scrapy.extensions.logstats.LogStats": None,  # ProgressExtension reports instead
}
DDDN_INGEST_WORKERS = 0  # processes that extract and store fetches (0: one per CPU)
DDDN_INGEST_BATCH = 16  # fetches a worker writes in one transaction
DDDN_INGEST_BATCH_SECONDS = 0.5  # a batch goes sooner when no more fetches came within this time
DDDN_STORAGE_FULL_STOP = 3  # fetches refused for lack of space after which the crawl stops (exit 6)
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 20_000_000  # bytes of responses awaiting ingest before downloads pause
DDDN_PROGRESS = True  # a live progress line on a terminal
DDDN_PROGRESS_INTERVAL = 2.0

# -- the browser, only for pages that need one ----------------------------------------------------
# False: no browser at all (a machine without Chromium); a script-built page is archived as fetched,
# flagged needs_browser, and counted in dddn/errors/render_skipped
DDDN_BROWSER = True
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# The spider installs scrapy-playwright's handler for the scheme of DDDN_BASE_URL only: each handler
# starts its own Playwright driver, and the site uses one scheme.
DDDN_PLAYWRIGHT_HANDLER = "crawler.browser.LeanPlaywrightHandler"
DDDN_BROWSER_RECYCLE_PAGES = 40  # renders after which the browser is closed and launched afresh
DDDN_BROWSER_IDLE_SECONDS = 30  # the browser is shut after this long with nothing to render (0: never)
# V8 options for Playwright's Node.js driver, which holds every page's HTML on its way to us: a young
# generation of 1 MB instead of 16 keeps it ~25 MB smaller, and an old generation capped at 64 MB (its
# live data stays under 32) keeps it from growing by ≈1 MB a render between collections ("": Node's defaults)
DDDN_BROWSER_DRIVER_NODE_OPTIONS = "--max-semi-space-size=1 --max-old-space-size=64"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Chromium honours only the last --disable-features, --enable-features and --blink-settings on its
# command line, and Playwright writes its own before ours: each of ours repeats Playwright's list (as of
# Playwright 1.65; tests/crawler/test_browser_switches.py fails when it drifts) and adds ours to it.
PLAYWRIGHT_OWN_SWITCHES = {
    "disable-features": ["AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
                         "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
                         "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect",
                         "TcpPortRandomizationWin", "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled",
                         "PreconnectToSearch", "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion"],
    "enable-features": ["CDPScreenshotNewSurface", "SkipListAccountsWithoutGaiaCookies"],
    "blink-settings": ["primaryHoverType=2", "availableHoverTypes=2", "primaryPointerType=4",
                       "availablePointerTypes=4"],
}
OUR_SWITCHES = {
    # one site instance for the site's pages, and nothing a crawler never uses. Chromium 156's headless
    # browser opens the omnibox's suggestion popups (WebUI pages) for every tab: ≈80 MB.
    "disable-features": ["site-per-process", "IsolateOrigins", "Translate", "WebUIOmniboxPopup",
                         "WebUIOmniboxAimPopup"],
    # the network service inside the browser process instead of a utility process of its own
    "enable-features": ["NetworkServiceInProcess2"],
    # images are never loaded, not even requested: a fifth of a render's CPU on an illustrated article
    "blink-settings": ["imagesEnabled=false"],
}
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("DDDN_CHROMIUM", "/usr/bin/chromium"),
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run",
             # Pages render inside the browser process: no renderer, zygote, GPU or utility processes, each
             # with its own copy of Chromium's heaps (≈40 MB less at the peak). Serverless Chromium builds
             # ship this way. A page that crashes then takes the browser with it: scrapy-playwright launches
             # a new one and retries the render on it (up to three times).
             "--single-process", "--no-zygote", "--disable-site-isolation-trials", "--disable-extensions",
             "--disable-dev-shm-usage",
             # Chromium's own memory diet (smaller caches and heaps in the renderer)
             "--enable-low-end-device-mode",
             *(f"--{name}={','.join(PLAYWRIGHT_OWN_SWITCHES[name] + ours)}" for name, ours in OUR_SWITCHES.items())],
}
PLAYWRIGHT_MAX_CONTEXTS = 1  # one, always: in --single-process mode Chromium dies when a second context opens a page
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2  # each page open in parallel costs the browser ≈20–40 MB; 2 cost no time here
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_ABORT_REQUEST = "crawler.browser.abort_request"

# -- no open doors: a scheduled crawler listens on no port ----------------------------------------
# Both consoles run code inside the crawler. Turn one on for debugging with -s NAME=True.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
