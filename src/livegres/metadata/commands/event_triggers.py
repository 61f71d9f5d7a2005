"""Metadata commands: event_triggers."""
