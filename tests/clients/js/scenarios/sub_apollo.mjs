// Apollo Client subscribes, over WebSocket (GraphQLWsLink with graphql-ws) when input.link is
// "ws", or over multipart HTTP (HttpLink: Accept multipart/mixed; subscriptionSpec=1.0) when
// it is "multipart", and collects results as sub_graphql_ws does.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { collect } from "./sub_common.mjs";

export default async function subApollo({ graphqlUrl, wsUrl, headers, input }) {
  let wsClient = null;
  let link;
  if (input.link === "ws") {
    wsClient = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { headers }, retryAttempts: 0 });
    link = new GraphQLWsLink(wsClient);
  } else {
    link = new HttpLink({ uri: graphqlUrl, headers });
  }
  const client = new ApolloClient({
    link,
    cache: new InMemoryCache({
      typePolicies: {
        query_root: { queryType: true },
        mutation_root: { mutationType: true },
        subscription_root: { subscriptionType: true },
      },
    }),
  });
  try {
    return await collect(input, (sink) => {
      const subscription = client
        .subscribe({ query: gql(input.query), variables: input.variables ?? {} })
        .subscribe({
          next: (value) => sink.next({ data: value.data, errors: value.errors ?? undefined }),
          error: sink.error,
          complete: sink.complete,
        });
      return () => subscription.unsubscribe();
    });
  } finally {
    client.stop();
    if (wsClient) await wsClient.dispose();
  }
}
