"""A simulated season: months of scheduled crawl runs against a living replica, checked against its ground
truth (`python -m tests.season`, `make season`)."""
