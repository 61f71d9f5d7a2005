"""SQL generation: IR -> one parameterised statement (``compile_operation``) and its
arguments (``bind``). Imports ``livegres.ir`` and ``livegres.catalog`` only."""

from livegres.sql.bind import BindError, MissingSessionVariable, MissingVariable, bind
from livegres.sql.compile import CompiledQuery, compile_operation, operation_sql

__all__ = [
    "BindError",
    "CompiledQuery",
    "MissingSessionVariable",
    "MissingVariable",
    "bind",
    "compile_operation",
    "operation_sql",
]
