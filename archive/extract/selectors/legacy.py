"""The PHP CMS the site ran until its 2024 redesign (table `cms_post`, theme `enternews`).

Public crawlers of that era read the forms below; captures of old pages also come in an older form
(`#content_detail`), so each part lists every form known, the enternews one first.
"""

# (title, body container) pairs: a page is legacy when both of one pair are present
FORMS: tuple[tuple[str, str], ...] = (("h1.post-title", "div.post-content"), ("h1.title-detail", "#content_detail"))
HINTS: tuple[str, ...] = ("post-content", "content_detail")
CONTAINER = ", ".join(container for _, container in FORMS)
TITLE: tuple[str, ...] = tuple(title for title, _ in FORMS)
LEAD: tuple[str, ...] = ("h2.post-sapo", "strong.post-sapo-description", "div.sapo-detail")
AUTHOR: tuple[str, ...] = ("div.post-author-share",)  # "Name | share links"
DATE: tuple[str, ...] = ("span.created_time", ".box-date .date-post", ".date-post")
BREADCRUMB = "div.breadcrumb-detail a"
TAG_BOX = "div.block-content"  # enternews names many boxes so: the tag box is the one of bare links
TAGS: tuple[str, ...] = ("div.box-tags a",)
POST_ID: tuple[str, ...] = ('input[name="post_id"]', "ul.rating-star[data-id]")
