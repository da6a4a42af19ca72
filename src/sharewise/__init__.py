"""sharewise: guided, recorded decisions about sharing information to safeguard people."""

__all__ = ["__version__"]

__version__ = "0.1.0"
