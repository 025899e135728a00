"""The Scrapy project: discovers and fetches diendandoanhnghiep.vn, and hands every fetch to `archive`.
It never parses article text."""
