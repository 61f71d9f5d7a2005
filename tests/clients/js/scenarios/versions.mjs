// Loads every client library of package.json (each must import under this Node.js) and reports
// the versions installed. input: none. Result: { "node": "v20...", "packages": { "<name>": "<version>" } }
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);

const ENTRY_POINTS = {
  "@apollo/client": "@apollo/client/core/index.js",
  graphql: "graphql",
  "graphql-sse": "graphql-sse",
  "graphql-ws": "graphql-ws",
  ws: "ws",
};

export default async function versions() {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const packages = {};
  for (const name of Object.keys(manifest.dependencies)) {
    await import(ENTRY_POINTS[name] ?? name);
    packages[name] = require(`${name}/package.json`).version;
  }
  return { node: process.version, packages };
}
