"""The PHP CMS the site ran until its 2024 redesign (table `cms_post`)."""

HINTS: tuple[str, ...] = ("content_detail",)
SCOPE = "div.detail-content"
CONTAINER = "#content_detail"
TITLE: tuple[str, ...] = ("h1.title-detail",)
MARKERS: tuple[str, ...] = (CONTAINER, TITLE[0])
LEAD: tuple[str, ...] = ("div.sapo-detail",)
DATE: tuple[str, ...] = (".box-date .date-post", ".date-post")
BREADCRUMB = "div.breadcrumb-detail a"
TAGS: tuple[str, ...] = ("div.box-tags a",)
POST_ID: tuple[str, ...] = ('input[name="post_id"]', "ul.rating-star[data-id]")
