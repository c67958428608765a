"""Collection over SSH: targets, host keys, the fixed remote script, facts and the cache."""
