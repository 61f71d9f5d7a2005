"""GraphQL requests -> compiled plans: parsing, operation selection, validation with Hasura's
error messages, normalisation into ``livegres.ir``, and the plan cache (``engine``).

Modules: ``request`` (the HTTP body), ``paths`` (Hasura's error paths), ``validation``
(graphql-core errors -> Hasura's), ``inputs`` (argument values and variables),
``arguments`` (``where``, ``order_by``, ...), ``normalize`` (selections -> IR), ``engine``
(schemas per role and the plan cache).
"""

from livegres.graphql.engine import Plan, Prepared, QueryEngine, Stats
from livegres.graphql.request import GraphQLRequest, parse_request

__all__ = ["GraphQLRequest", "Plan", "Prepared", "QueryEngine", "Stats", "parse_request"]
