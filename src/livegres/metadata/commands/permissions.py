"""Metadata commands: permissions."""
