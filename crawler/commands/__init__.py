"""Project commands: `crawl` with a run lock and an exit code that says how the run went."""
