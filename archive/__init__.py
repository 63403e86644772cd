"""Headless GraphQL records-archive service."""

__version__ = "0.1.0"
