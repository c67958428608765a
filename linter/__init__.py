"""memmap-lint: predicts what the kernel will do with memory-reservation boot parameters."""

__version__ = "0.1.0"
