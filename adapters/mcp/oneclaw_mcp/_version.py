"""One version source for the distribution (kept equal to the core's)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
