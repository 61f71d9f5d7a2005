"""Mutations in the role schema: ``fields`` (root fields and their types, as Hasura names them)
and ``rules`` (the role's insert, update and delete permissions on a table, inherited roles
included). The modules are imported directly: ``rules`` is read by ``livegres.schema.view``,
which ``fields`` depends on."""
