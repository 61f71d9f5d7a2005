"""Livegres: a realtime GraphQL engine for PostgreSQL, compatible with Hasura v2."""

__version__ = "0.1.0"
