"""narrator: turn written articles into a real podcast."""

__version__ = "0.1.0"
"""The one version number: pyproject.toml reads it (``dynamic = ["version"]``), without
importing the package, and ``narrator --version`` prints it without reading package metadata."""
