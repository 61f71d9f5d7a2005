"""Metadata commands: relationships."""
