// The graphql-sse client subscribes over Server-Sent Events and collects results as
// sub_graphql_ws does: in distinct connections mode, or in single connection mode when
// input.singleConnection is true.
import { createClient } from "graphql-sse";

import { collect } from "./sub_common.mjs";

export default async function subSse({ graphqlUrl, headers, input }) {
  const client = createClient({ url: graphqlUrl, headers, singleConnection: !!input.singleConnection, retryAttempts: 0 });
  try {
    return await collect(input, (sink) =>
      client.subscribe({ query: input.query, variables: input.variables ?? {} }, sink),
    );
  } finally {
    client.dispose();
  }
}
