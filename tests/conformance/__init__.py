"""The Hasura conformance runner: Hasura's own server test cases, run against Livegres.

``python -m tests.conformance`` runs the corpus of Hasura v2 YAML test cases against a real
``livegres serve`` process and a fresh database, and prints a table of results per folder.
See README.md in this folder.
"""
