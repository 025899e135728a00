"""Full-text search over the latest version of every article, with or without Vietnamese diacritics.

`fold` is the one folding rule for text and queries, `query` parses what a researcher types into a
safe expression, `index` keeps the index in step with ingest, `engine` answers queries with filters.
"""
