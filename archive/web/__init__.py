"""`archive serve`: the archive in a browser, and its JSON API."""
