// The graphql-ws client (graphql-transport-ws protocol) subscribes and collects results until
// the value at input.field changes input.changes times (or input.timeoutMs passes).
//
// input: { "query": "...", "variables": {...}, "changes": 1, "timeoutMs": 15000 }
// Result: { "results": [<each payload received>], "error": <error or null> }
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { collect } from "./sub_common.mjs";

export default async function subGraphqlWs({ wsUrl, headers, input }) {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { headers },
    retryAttempts: 0,
  });
  try {
    return await collect(input, (sink) =>
      client.subscribe({ query: input.query, variables: input.variables ?? {} }, sink),
    );
  } finally {
    await client.dispose();
  }
}
