"""Hasura-compatible metadata: the typed model (``model``), its storage and the commands on it."""

from livegres.metadata.model import Metadata, QualifiedName, Source, Table, parse_metadata

__all__ = ["Metadata", "QualifiedName", "Source", "Table", "parse_metadata"]
