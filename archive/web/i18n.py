"""The web app's labels in Vietnamese and English, and which one a request gets: `?lang=` (remembered in a
cookie), then the cookie, then the browser's Accept-Language, then Vietnamese, the site's own language."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
COOKIE = "lang"

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "app": "Kho lưu trữ Diễn đàn Doanh nghiệp", "skip": "Bỏ qua, đến nội dung chính",
        "nav_search": "Tìm kiếm", "nav_runs": "Các lần thu thập", "nav_api": "API (OpenAPI)",
        "language": "Ngôn ngữ", "other_language": "English",
        "query": "Từ khóa", "query_help": "Có dấu hoặc không dấu. \"cụm từ\" theo thứ tự; tiền_tố* mọi đuôi; "
                 "OR, NOT và (ngoặc) để kết hợp.",
        "search": "Tìm", "filters": "Bộ lọc", "section": "Chuyên mục", "since": "Từ ngày", "until": "Đến hết ngày",
        "author": "Tác giả", "tag": "Thẻ", "status": "Trạng thái", "any": "Tất cả", "live": "còn trên trang",
        "gone": "đã gỡ", "sort": "Sắp xếp", "relevance": "Liên quan nhất", "newest": "Mới nhất",
        "oldest": "Cũ nhất", "exact": "Khớp đúng dấu", "results": "{n} bài khớp", "results_all": "{n} bài",
        "no_results": "Không có bài nào khớp.", "previous": "Trang trước", "next": "Trang sau",
        "page": "Trang {page} / {pages}", "by_section": "Theo chuyên mục", "by_month": "Theo tháng",
        "chart": "Số bài khớp theo tháng", "chart_bar": "{month}: {n} bài", "pagination": "Phân trang",
        "published": "Đăng lúc", "updated": "Cập nhật", "authors": "Tác giả", "tags": "Thẻ",
        "related": "Bài liên quan", "original": "Bài gốc", "images": "Ảnh", "status_live": "Còn trên trang",
        "status_gone": "Đã gỡ từ {when}", "first_seen": "Lần đầu thấy", "last_seen": "Lần cuối thấy",
        "version": "Phiên bản", "version_of": "Phiên bản {n} / {total}", "seen_at": "Thấy lúc",
        "history": "Lịch sử", "diff": "So sánh", "diff_previous": "So với bản trước",
        "latest": "bản mới nhất", "title": "Tiêu đề", "lead": "Sapo", "body": "Nội dung",
        "words": "Từ bỏ / thêm", "changed": "Đã đổi", "unchanged": "Không đổi gì", "compare": "So sánh",
        "from_version": "Bản cũ", "to_version": "Bản mới", "view": "Cách xem", "inline": "Trong dòng",
        "side": "Hai cột", "removed": "đã bỏ", "added": "đã thêm", "nothing_changed": "Hai bản giống nhau.",
        "runs": "Các lần thu thập, nhập và trích xuất lại", "run": "Lần", "kind": "Loại", "started": "Bắt đầu",
        "minutes": "Phút", "outcome": "Kết quả", "what": "Đã làm", "no_runs": "Chưa có lần nào.",
        "not_found": "Không tìm thấy", "bad_request": "Yêu cầu không hợp lệ", "error": "Lỗi",
        "back": "Về trang tìm kiếm", "section_path": "Chuyên mục", "versions": "{n} phiên bản",
        "fields.title": "tiêu đề", "fields.lead": "sapo", "fields.body": "nội dung", "fields.section": "chuyên mục",
        "fields.authors": "tác giả", "fields.tags": "thẻ", "crawl": "thu thập", "import": "nhập", "reextract":
        "trích xuất lại", "ok": "tốt", "unhealthy": "bất thường", "incomplete": "chưa trọn", "failed": "thất bại",
        "interrupted": "bị ngắt", "refused": "bị từ chối", "running": "đang chạy", "verify": "kiểm tra",
        "times": "Mọi thời điểm theo giờ Việt Nam (UTC+07:00).",
        "nav_changes": "Thay đổi", "changes": "Những thay đổi của trang",
        "changes_intro": "Mọi lần sửa, gỡ và đăng lại trên toàn kho, mới nhất trước. Bản đầu tiên của một bài "
                         "không phải thay đổi.",
        "kinds_label": "Loại thay đổi", "min_words": "Số từ bỏ và thêm tối thiểu",
        "q_changes": "Chỉ các bài khớp từ khóa", "apply": "Lọc", "changes_count": "{n} thay đổi",
        "changes_one": "1 thay đổi", "no_changes": "Không có thay đổi nào.",
        "chart_changes": "Số thay đổi mỗi tuần, theo loại", "chart_week": "Tuần từ {week}: {n} thay đổi",
        "feed": "Nguồn Atom của trang này", "feed_history": "Nguồn Atom của lịch sử bài này",
        "words_count": "bỏ {removed} từ, thêm {added} từ", "lag": "{hours} giờ sau khi đăng",
        "title_change": "Tiêu đề", "article": "Bài", "seen_diff": "Xem phần sửa", "results_one": "1 bài khớp",
        "results_all_one": "1 bài", "chart_bar_one": "{month}: 1 bài",
        "chart_week_one": "Tuần từ {week}: 1 thay đổi",
        "kinds.title": "tiêu đề", "kinds.lead": "sapo", "kinds.body": "nội dung", "kinds.authors": "tác giả",
        "kinds.tags": "thẻ", "kinds.published": "giờ đăng", "kinds.section": "chuyên mục",
        "kinds.takedown": "gỡ bài", "kinds.return": "đăng lại", "fields.published": "giờ đăng",
    },
    "en": {
        "app": "Diễn đàn Doanh nghiệp archive", "skip": "Skip to the main content",
        "nav_search": "Search", "nav_runs": "Runs", "nav_api": "API (OpenAPI)",
        "language": "Language", "other_language": "Tiếng Việt",
        "query": "Query", "query_help": "With or without diacritics. \"a phrase\" in order; prefix* any ending; "
                 "OR, NOT and (parentheses) combine.",
        "search": "Search", "filters": "Filters", "section": "Section", "since": "From", "until": "To (inclusive)",
        "author": "Author", "tag": "Tag", "status": "Status", "any": "Any", "live": "live", "gone": "gone",
        "sort": "Sort", "relevance": "Most relevant", "newest": "Newest", "oldest": "Oldest",
        "exact": "Match diacritics exactly", "results": "{n} articles match", "results_all": "{n} articles",
        "no_results": "No article matches.", "previous": "Previous page", "next": "Next page",
        "page": "Page {page} of {pages}", "by_section": "By section", "by_month": "By month",
        "chart": "Matches per month", "chart_bar": "{month}: {n} articles", "pagination": "Pagination",
        "published": "Published", "updated": "Updated", "authors": "Authors", "tags": "Tags",
        "related": "Related articles", "original": "Original", "images": "Images", "status_live": "Live on the site",
        "status_gone": "Gone since {when}", "first_seen": "First seen", "last_seen": "Last seen",
        "version": "Version", "version_of": "Version {n} of {total}", "seen_at": "Seen",
        "history": "History", "diff": "Diff", "diff_previous": "Diff with the previous version",
        "latest": "latest", "title": "Title", "lead": "Lead", "body": "Body",
        "words": "Words removed / added", "changed": "Changed", "unchanged": "Nothing changed", "compare": "Compare",
        "from_version": "Older", "to_version": "Newer", "view": "View", "inline": "Inline",
        "side": "Side by side", "removed": "removed", "added": "added", "nothing_changed": "The two are the same.",
        "runs": "Crawl, import and re-extraction runs", "run": "Run", "kind": "Kind", "started": "Started",
        "minutes": "Minutes", "outcome": "Outcome", "what": "What it did", "no_runs": "No run yet.",
        "not_found": "Not found", "bad_request": "Bad request", "error": "Error",
        "back": "Back to search", "section_path": "Section", "versions": "{n} versions",
        "fields.title": "title", "fields.lead": "lead", "fields.body": "body", "fields.section": "section",
        "fields.authors": "authors", "fields.tags": "tags", "crawl": "crawl", "import": "import",
        "reextract": "re-extraction", "ok": "ok", "unhealthy": "unhealthy", "incomplete": "incomplete",
        "failed": "failed", "interrupted": "interrupted", "refused": "refused", "running": "running",
        "verify": "fixity audit",
        "times": "Times are Vietnam time (UTC+07:00).",
        "nav_changes": "Changes", "changes": "What the site changed",
        "changes_intro": "Every edit, takedown and return across the archive, newest first. An article's first "
                         "version is not a change.",
        "kinds_label": "Kinds of change", "min_words": "At least this many words removed and added",
        "q_changes": "Only articles matching", "apply": "Filter", "changes_count": "{n} changes",
        "changes_one": "1 change", "no_changes": "No change matches.",
        "chart_changes": "Changes per week, by kind", "chart_week": "Week of {week}: {n} changes",
        "feed": "Atom feed of this view", "feed_history": "Atom feed of this article's history",
        "words_count": "{removed} words removed, {added} added", "lag": "{hours} h after publication",
        "title_change": "Title", "article": "Article", "seen_diff": "See the edit", "results_one": "1 article matches",
        "results_all_one": "1 article", "chart_bar_one": "{month}: 1 article",
        "chart_week_one": "Week of {week}: 1 change",
        "kinds.title": "title", "kinds.lead": "lead", "kinds.body": "body", "kinds.authors": "authors",
        "kinds.tags": "tags", "kinds.published": "publication time", "kinds.section": "section",
        "kinds.takedown": "takedown", "kinds.return": "return", "fields.published": "publication time",
    },
}

# Run counts in Vietnamese; English ones are `archive.runs.COUNT_LABELS`.
COUNT_LABELS_VI = {"pages": "trang", "new_articles": "bài mới", "new_versions": "phiên bản mới",
                   "not_modified": "304", "gone": "đã gỡ", "browser_pages": "qua trình duyệt",
                   "version": "phiên bản", "unchanged": "không đổi", "failed": "lỗi",
                   "refused_pages": "bị tường lửa của trang chặn", "extractions_written": "lần trích xuất",
                   "articles_changed": "bài thay đổi", "bodies_checked": "trang gốc đã kiểm",
                   "problems_found": "lỗi tìm thấy", "errors": "lỗi"}


def choose(query_lang: str | None, cookie: str | None, accept_language: str | None) -> str:
    for explicit in (query_lang, cookie):
        if explicit in LANGUAGES:
            return explicit
    best, best_q = DEFAULT, 0.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        weight -= position * 1e-6  # equal weights: the first listed wins
        if language in LANGUAGES and weight > best_q:
            best, best_q = language, weight
    return best


class Translator:
    """`t("key", n=3)`: the label in the request's language, its placeholders filled."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.labels: Mapping[str, str] = LABELS[language]

    def __call__(self, key: str, **values: object) -> str:
        label = self.labels.get(key, key)
        return label.format(**values) if values else label
