// Apollo Client (HttpLink + InMemoryCache) runs GraphQL queries over HTTP.
//
// input: { "operations": [{ "query": "...", "variables": {...}, "operationName": "..." }, ...] }
// Each operation is sent to the server (fetchPolicy "network-only"), then read back from the
// cache ("cache-only"), as an application would. Result:
// { "results": [{ "data": ... , "cached": ... } | { "error": ... }, ...], "cache": <cache.extract()> }
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";

function describeError(error) {
  return {
    name: error.name,
    message: error.message,
    graphQLErrors: error.graphQLErrors ?? [],
    networkError: error.networkError
      ? {
          name: error.networkError.name,
          message: error.networkError.message,
          statusCode: error.networkError.statusCode ?? null,
          result: error.networkError.result ?? null,
        }
      : null,
  };
}

export default async function apolloQuery({ graphqlUrl, headers, input }) {
  const client = new ApolloClient({
    link: new HttpLink({ uri: graphqlUrl, headers }),
    // Hasura names its root types query_root, mutation_root and subscription_root (not Query, ...).
    cache: new InMemoryCache({
      typePolicies: {
        query_root: { queryType: true },
        mutation_root: { mutationType: true },
        subscription_root: { subscriptionType: true },
      },
    }),
  });
  const results = [];
  for (const { query, variables, operationName } of input.operations) {
    const options = { query: gql(query), variables, operationName };
    try {
      const { data } = await client.query({ ...options, fetchPolicy: "network-only" });
      const { data: cached } = await client.query({ ...options, fetchPolicy: "cache-only" });
      results.push({ data, cached });
    } catch (error) {
      results.push({ error: describeError(error) });
    }
  }
  const cache = client.cache.extract();
  client.stop();
  return { results, cache };
}
