"""OneCMS, the site's template since 2024 (shared with nguoiquansat.vn, hanoimoi, congly, …)."""

HINTS: tuple[str, ...] = ("b-maincontent",)
CONTAINER = "div.b-maincontent .entry"  # article.entry or div.entry: select by class, never by tag
MARKERS: tuple[str, ...] = (CONTAINER,)  # listing pages share the rest of the markup
HEADER = ".sc-longform-header"
TITLE: tuple[str, ...] = ("h1.sc-longform-header-title", "h1.block-sc-title")
LEAD: tuple[str, ...] = ("p.sc-longform-header-sapo", ".block-sc-sapo")
AUTHOR: tuple[str, ...] = (".sc-longform-header-author", ".block-sc-author")
DATE: tuple[str, ...] = (".sc-longform-header-date", ".block-sc-publish-time")
BREADCRUMB = "ol.breadcrumb li.breadcrumb-item a"
TAGS: tuple[str, ...] = ("div.c-tags li h4 a", "div.c-widget-tags.onecms__tags a")
RELATED: tuple[str, ...] = ("div.c-related-posts h3.b-grid__title a", "ul.onecms_load_view h3.b-grid__title a")
PUBLISHER_ID = r"WebControl\.publisherId\s*=\s*(\d+)"
