"""Permissions: from the metadata's permission rules to the IR.

* ``rules``: a role's effective select permission on a table, inherited roles combined;
* ``filters``: a permission's boolean expression (metadata JSON) -> ``ir.BoolExp``, values
  and session variables as bound parameters (``compile_filter``); mutations use it for
  ``check`` and ``filter`` of insert, update and delete permissions too;
* ``select``: ``RowPermissions``, one per role schema: the ``ir.Permission`` of every read.
"""

from livegres.permissions.filters import compile_filter, is_session_variable, session_variables
from livegres.permissions.rules import SelectRule, inherited_roles, select_rule
from livegres.permissions.select import ADMIN, RowPermissions, restrict

__all__ = [
    "ADMIN",
    "RowPermissions",
    "SelectRule",
    "compile_filter",
    "inherited_roles",
    "is_session_variable",
    "restrict",
    "select_rule",
    "session_variables",
]
