// Runs one client scenario against a Livegres server and prints its result as one JSON line.
//
//   LIVEGRES_URL=http://127.0.0.1:8080 [LIVEGRES_HEADERS='{"x-hasura-admin-secret":"s"}'] \
//     node run.mjs <scenario> < input.json
//
// <scenario> names scenarios/<scenario>.mjs, whose default export is called as
// `await scenario({ url, graphqlUrl, wsUrl, headers, input })`: url is the server's base URL,
// graphqlUrl and wsUrl its /v1/graphql endpoint over HTTP and WebSocket, headers the request
// headers, input the JSON read from standard input (null when it is empty). The value it returns
// is written to standard output as JSON; anything the clients log goes to standard error. A
// scenario that throws ends the run with exit code 1 and the error on standard error.
import { readFileSync } from "node:fs";

const NAME = /^[a-z][a-z0-9_]*$/;

function fail(message) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.exit(2);
}

function readInput() {
  const text = readFileSync(0, "utf8").trim();
  return text === "" ? null : JSON.parse(text);
}

function endpoints(base) {
  const url = new URL("/v1/graphql", base);
  const ws = new URL(url);
  ws.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return { graphqlUrl: url.href, wsUrl: ws.href };
}

async function main() {
  const [name] = process.argv.slice(2);
  if (!name || !NAME.test(name)) fail("usage: node run.mjs <scenario> (a file name in scenarios/, without .mjs)");
  const url = process.env.LIVEGRES_URL;
  if (!url) fail("LIVEGRES_URL is not set (the server's base URL, e.g. http://127.0.0.1:8080)");
  const headers = JSON.parse(process.env.LIVEGRES_HEADERS || "{}");
  // Only the result goes to standard output.
  console.log = console.info = console.debug = console.error;
  const { default: scenario } = await import(`./scenarios/${name}.mjs`);
  const result = await scenario({ url, ...endpoints(url), headers, input: readInput() });
  // Exit once the line is written: clients may keep sockets or timers open.
  process.stdout.write(JSON.stringify(result ?? null) + "\n", () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
