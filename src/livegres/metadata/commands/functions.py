"""Metadata commands: functions."""
