"""Loa: pulls scam-awareness material from national sources and syndicates it to a city and its wards."""

__version__ = "0.1.0"
