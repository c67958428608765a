"""Defaults of collection that the command line shows without importing SSH."""

CACHE_DIR_NAME = ".memmap-lint-cache"
DEFAULT_MAX_AGE = "1d"
DEFAULT_JOBS = 16
DEFAULT_SSH_CONFIG = "~/.ssh/config"
