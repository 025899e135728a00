"""Page objects, one per site template, and the generic fallback; `detect` picks one by markup."""
