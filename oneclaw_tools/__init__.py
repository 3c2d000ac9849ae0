"""oneclaw-tools: secret-management tools for AI agents that never show a value to the model."""

from ._version import __version__

__all__ = ["__version__"]
