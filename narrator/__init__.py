"""narrator: turn written articles into a real podcast."""

__version__ = "0.1.0"
