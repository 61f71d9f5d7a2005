"""The metadata commands: one module per kind of object, each registering its handlers.

A handler is ``async def handler(ctx: Context, args: Json) -> Json``; it reads and replaces
``ctx.metadata`` and may use ``ctx.conn`` (the request's transaction). ``registry`` maps the
names of every API (``pg_track_table`` on /v1/metadata, ``track_table`` on /v1/query) to the
handlers.
"""

from livegres.metadata.commands.base import COMMANDS, Command, Context, command

# Importing the modules registers their commands.
from livegres.metadata.commands import (  # noqa: F401  isort: skip
    dml,
    event_triggers,
    functions,
    manage,
    permissions,
    relationships,
    scheduled,
    sources,
    sql,
    tables,
)

__all__ = ["COMMANDS", "Command", "Context", "command"]
