"""The kernel model: what Linux does with the memory parameters of its command line (pure)."""
