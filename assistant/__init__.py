"""Tandem: an offline, hands-free voice assistant for a couple's trust-building exercises."""

__version__ = "0.1.0"
