"""The DDDN archive: extraction, versioned storage and research tools. It never imports Scrapy."""

__version__ = "0.1.0"
